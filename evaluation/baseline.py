"""The baseline: TF-IDF (words + character n-grams) and logistic regression,
trained and tested on exactly the same data as the Rasa pipeline."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline


def make_model() -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
    ])
    return Pipeline([("features", features), ("clf", LogisticRegression(max_iter=2000, C=10.0))])


def fit(train: Sequence[Tuple[str, str]]) -> Pipeline:
    model = make_model()
    model.fit([t for t, _ in train], [i for _, i in train])
    return model


def predict(model: Pipeline, texts: Sequence[str]) -> List[Tuple[str, float]]:
    probs = model.predict_proba(list(texts))
    classes = model.classes_
    return [(classes[int(np.argmax(p))], float(np.max(p))) for p in probs]


def cross_validate(data: Sequence[Tuple[str, str]], folds: int = 3, seed: int = 42) -> Dict[str, float]:
    texts = np.array([t for t, _ in data], dtype=object)
    labels = np.array([i for _, i in data], dtype=object)
    accs = []
    for train_idx, test_idx in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(texts, labels):
        model = fit(list(zip(texts[train_idx], labels[train_idx])))
        pred = [p for p, _ in predict(model, texts[test_idx])]
        accs.append(float(np.mean(np.array(pred, dtype=object) == labels[test_idx])))
    return {"accuracy": float(np.mean(accs)), "folds": folds}
