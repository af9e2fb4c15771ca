"""The intent classifier (addons.intent_classifier): Rasa's LogisticRegressionClassifier
on TF-IDF-weighted count features, trained, stored and loaded with a real model storage
after a real CountVectorsFeaturizer; its determinism (what makes `make review`'s gate judge
a change, not a training's draw); a stored file it must not trust; its place in config.yml.
(Its accuracy is measured by tests/test_rasa_cli.py and `make eval`.)"""

from __future__ import annotations

from typing import Dict, List, Tuple

import pytest

EXAMPLES = [
    ("do micro credentials expire", "expiry"), ("will my badge expire one day", "expiry"),
    ("how long is a certification valid", "expiry"), ("do I have to renew it", "expiry"),
    ("how much does a micro credential cost", "cost"), ("what is the price of a badge", "cost"),
    ("is it expensive", "cost"), ("how much money do I need", "cost"),
    ("hello there", "greet"), ("hi", "greet"), ("good morning", "greet"), ("hey bot", "greet"),
]


def context():
    from rasa.engine.graph import ExecutionContext, GraphSchema

    return ExecutionContext(GraphSchema({}), "test")


def featurized(storage, texts_intents: List[Tuple[str, str]], featurizer=None):
    """Messages tokenized and featurized by a real CountVectorsFeaturizer (trained on the
    first call, reused after)."""
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message(data={"text": t, "intent": i}) for t, i in texts_intents]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    data = TrainingData(messages)
    if featurizer is None:
        featurizer = CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
            storage, Resource("counts"), context())
        featurizer.train(data)
    featurizer.process_training_data(data)
    return data, featurizer


def ranking(component, storage, featurizer, text: str) -> Dict[str, float]:
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    [message] = featurized(storage, [(text, "")], featurizer)[0].training_examples
    component.process([message])
    return {r["name"]: r["confidence"] for r in message.get("intent_ranking")}


def trained(tmp_path, name: str, config=None):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    data, featurizer = featurized(storage, EXAMPLES)
    config = {**Classifier.get_default_config(), **(config or {})}
    component = Classifier.create(config, storage, Resource("classifier"), context())
    component.train(data)
    return component, storage, featurizer, config


def test_trains_stores_loads_and_ranks_the_same(tmp_path):
    from rasa.engine.storage.resource import Resource

    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    component, storage, featurizer, config = trained(tmp_path, "a")
    fresh = ranking(component, storage, featurizer, "when does it expire")
    assert max(fresh, key=fresh.get) == "expiry"
    assert sum(fresh.values()) == pytest.approx(1.0)
    loaded = Classifier.load(config, storage, Resource("classifier"), context())
    assert ranking(loaded, storage, featurizer, "when does it expire") == fresh
    price = ranking(loaded, storage, featurizer, "what is the price")
    assert max(price, key=price.get) == "cost"


def test_the_weights_are_kept_column_major_after_training_and_loading(tmp_path):
    """What keeps a parse from copying the whole weight matrix (addons.intent_classifier.fast_to_predict)."""
    from rasa.engine.storage.resource import Resource

    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    component, storage, featurizer, config = trained(tmp_path, "a")
    loaded = Classifier.load(config, storage, Resource("classifier"), context())
    for c in (component, loaded):
        coef = c.clf.named_steps["lr"].coef_
        assert coef.shape == (3, len(c.clf.named_steps["tfidf"].idf_)) and coef.T.flags["C_CONTIGUOUS"]


def test_the_same_data_gives_the_same_model(tmp_path):
    """No random draw in training: two trainings rank every message identically (the review
    gate's before and after differ only by the data)."""
    a = trained(tmp_path, "a")
    b = trained(tmp_path, "b")
    for text in ("hello", "is it costly", "does my badge run out", "tell me about the weather"):
        assert ranking(a[0], a[1], a[2], text) == ranking(b[0], b[1], b[2], text)


def test_c_and_tfidf_are_settings_that_change_the_model(tmp_path):
    base = trained(tmp_path, "a")
    weak = trained(tmp_path, "b", {"C": 0.01})
    flat = trained(tmp_path, "c", {"sublinear_tf": False})
    text = "does my badge run out"
    top = max(ranking(*base[:3], text).values())
    assert max(ranking(*weak[:3], text).values()) < top  # strong regularisation: flatter ranking
    assert ranking(*flat[:3], text) != ranking(*base[:3], text)
    assert base[0].clf.named_steps["lr"].C == 30.0 and weak[0].clf.named_steps["lr"].C == 0.01


def test_a_stored_file_with_untrusted_types_stops_loading(tmp_path):
    import skops.io as sio
    from rasa.engine.storage.resource import Resource
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from addons.intent_classifier import ModelLoadError
    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    component, storage, _, config = trained(tmp_path, "a")
    with storage.write_to(Resource("classifier")) as directory:
        # a function stored by reference: skops does not trust it, nor do we
        sio.dump(Pipeline([("f", FunctionTransformer(print))]), directory / "classifier.skops")
    with pytest.raises(ModelLoadError, match=r"classifier\.skops.*not trusted.*print"):
        Classifier.load(config, storage, Resource("classifier"), context())


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"PK\x03\x04" + b"\x00" * 64])
def test_a_stored_file_that_cannot_be_read_stops_loading(tmp_path, content):
    from rasa.engine.storage.resource import Resource

    from addons.intent_classifier import ModelLoadError
    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    component, storage, _, config = trained(tmp_path, "a")
    with storage.write_to(Resource("classifier")) as directory:
        (directory / "classifier.skops").write_bytes(content)
    with pytest.raises(ModelLoadError, match=r"classifier\.skops: the stored intent classifier cannot be read"):
        Classifier.load(config, storage, Resource("classifier"), context())


def test_nothing_stored_gives_an_untrained_component_for_rasa_to_train(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier

    loaded = Classifier.load(Classifier.get_default_config(), LocalModelStorage(tmp_path), Resource("never"),
                             context())
    assert not hasattr(loaded.clf, "classes_")


def test_config_classifies_intents_with_it_after_the_count_featurizers():
    """The graph config.yml makes (as `rasa train` builds it, validated, no training)."""
    from addons.intent_classifier import TfidfLogisticRegressionClassifier as Classifier
    from tests.helpers.graph import config_graph, upstream

    nodes = config_graph().predict_schema.nodes
    [ours] = [n for n, node in nodes.items() if node.uses is Classifier]
    assert any(n.startswith("run_CountVectorsFeaturizer") for n in upstream(nodes, ours, "messages"))
    assert not [n for n, node in nodes.items() if node.uses.__name__ == "DIETClassifier"]
