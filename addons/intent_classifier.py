"""Rasa's own ``LogisticRegressionClassifier``, given TF-IDF weighting and a
chosen regularisation: the intent classifier of config.yml.

Rasa's component fits scikit-learn's ``LogisticRegression`` on the count
featurizers' sentence vectors with the library's default regularisation
(``C=1``) and balanced class weights. Here the same vectors first go through
scikit-learn's ``TfidfTransformer`` (sublinear term frequency, so a word said
three times is not three times the evidence; inverse document frequency, so
"credential", which every intent uses, weighs less than "expire"), and ``C``
and ``class_weight`` are settings. Everything else (features, ranking,
persistence with skops) is Rasa's code, inherited.

Why not DIET: on this project's data it was measured side by side
(docs/EVALUATION.md, "Classifier variants"): cross-validation, out-of-scope
caught, held-out accuracy, training time, and above all determinism: the
same data always gives the same model, so a change to the data (a `make
review` suggestion) is judged by its own effect, not by a training's draw.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)

C_KEY = "C"
CLASS_WEIGHT_KEY = "class_weight"
SUBLINEAR_TF_KEY = "sublinear_tf"
# What the stored pipeline may contain besides scikit-learn's estimators, which
# skops trusts by default: the TF-IDF transformer keeps its weights as a sparse
# diagonal matrix (plain numbers, no code).
TRUSTED_TYPES = ("scipy.sparse._csr.csr_matrix",)


class ModelLoadError(RuntimeError):
    """A stored classifier that cannot be loaded safely: start-up stops here."""


def make_pipeline(config: Dict[Text, Any]) -> Pipeline:
    """The scikit-learn estimator the component fits: TF-IDF, then logistic regression."""
    return Pipeline([
        ("tfidf", TfidfTransformer(sublinear_tf=bool(config[SUBLINEAR_TF_KEY]))),
        ("lr", LogisticRegression(
            C=float(config[C_KEY]),
            class_weight=config[CLASS_WEIGHT_KEY],
            solver=config["solver"],
            max_iter=int(config["max_iter"]),
            tol=float(config["tol"]),
            random_state=config["random_state"],
        )),
    ])


def fast_to_predict(pipeline: Pipeline) -> Pipeline:
    """Stores the fitted weights column-major, the same numbers. scikit-learn scores a message
    as ``X @ coef_.T``; scipy multiplies a sparse row by a dense matrix only in C order, so a
    row-major ``coef_`` (48 intents by ~38,000 n-grams) was copied whole for every message:
    about 5 of the 7.4 ms a parse took (measured 2026-12-01, docs/BENCHMARKS.md)."""
    lr = pipeline.named_steps["lr"]
    if hasattr(lr, "coef_"):
        lr.coef_ = np.asfortranarray(lr.coef_)
    return pipeline


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline stored at `path` (skops), trusting nothing beyond skops' defaults and
    ``TRUSTED_TYPES``. Any failure is a ``ModelLoadError`` that names the file (never a
    ``ValueError``, which ``load`` reads as "nothing stored")."""
    import skops.io as sio

    try:
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    except Exception as exc:  # not a skops file: a zip error, a missing schema, ...
        raise ModelLoadError(f"{path}: the stored intent classifier cannot be read: {exc}") from exc
    if untrusted:
        raise ModelLoadError(f"{path}: the stored intent classifier holds types that are "
                             f"not trusted: {', '.join(untrusted)}")
    try:
        return fast_to_predict(sio.load(path, trusted=list(TRUSTED_TYPES)))
    except Exception as exc:
        raise ModelLoadError(f"{path}: the stored intent classifier cannot be read: {exc}") from exc


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` on TF-IDF-weighted features, with ``C`` set."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            C_KEY: 30.0,
            CLASS_WEIGHT_KEY: None,
            SUBLINEAR_TF_KEY: True,
            "max_iter": 3000,
        }

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = make_pipeline(self.config)

    def train(self, training_data: TrainingData) -> Resource:
        resource = super().train(training_data)
        fast_to_predict(self.clf)
        return resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfLogisticRegressionClassifier:
        """Loads the stored pipeline; unlike the parent, an unreadable or untrusted file is an
        error that stops start-up (``ModelLoadError``), not a silently untrained classifier."""
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.skops"
                if path.exists():
                    component.clf = load_pipeline(path)
                else:
                    logger.debug("No stored intent classifier in %s: it will be trained.", model_dir)
        except ValueError:  # raised by read_from alone: nothing was stored for this resource
            logger.debug("No stored intent classifier for %s: it will be trained.", resource.name)
        return component
