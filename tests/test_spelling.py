"""Typo robustness: addons.spelling.Speller on its own, the NLU component
SpellingNormalizer trained, stored, loaded and run on Rasa messages, and its
place in the graph that config.yml builds. (What it does to held-out accuracy
is measured by tests/test_rasa_cli.py and `make eval`.)"""

from __future__ import annotations

from typing import List

import pytest

from addons.spelling import Speller, english_words
from tests.helpers.graph import config_graph, upstream

VOCABULARY = {"university": 3, "assess": 2, "renew": 4, "year": 9, "real": 1, "really": 5,
              "credentials": 7, "expire": 2, "ccnp": 1}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(VOCABULARY, english_words())


@pytest.mark.parametrize("typo, meant", [
    ("univeristy", "university"),   # two letters swapped: one edit
    ("asess", "assess"),            # a letter left out
    ("renw", "renew"),
    ("Univeristy", "university"),   # capitalised at the start of a sentence
    ("credentails", "credentials"),
    ("exprie", "expire"),
])
def test_a_misspelt_word_is_read_as_the_training_word_meant(speller, typo, meant):
    assert speller.correct(typo) == meant


@pytest.mark.parametrize("word", [
    "university", "University",     # a training word
    "hear",                         # English, one edit from the training word "year"
    "specialist", "root",           # English, not in the training data
    "CCNA",                         # an acronym, one edit from "ccnp"
])
def test_known_english_and_acronym_words_are_left_alone(speller, word):
    assert speller.correct(word) is None


@pytest.mark.parametrize("word", ["yer", "rel", "k8s", "co-op", "2024", "", "ünïversity"])
def test_short_words_and_words_with_other_characters_are_left_alone(speller, word):
    assert speller.correct(word) is None


def test_of_two_equally_close_words_the_more_frequent_in_training_wins():
    assert Speller({"real": 1, "really": 5}, ()).correct("realy") == "really"
    assert Speller({"real": 5, "really": 1}, ()).correct("realy") == "real"


def test_a_word_two_edits_away_is_not_changed_by_default_but_is_with_a_wider_distance():
    assert Speller(VOCABULARY, ()).correct("unversty") is None  # two letters left out
    assert Speller(VOCABULARY, (), max_edit_distance=2).correct("unversty") == "university"


def test_the_minimum_length_is_a_setting():
    assert Speller({"what": 3}, (), min_length=3).correct("wht") == "what"
    assert Speller({"what": 3}, ()).correct("wht") is None


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Speller(VOCABULARY, (), min_length=0)
    with pytest.raises(ValueError):
        Speller(VOCABULARY, (), max_edit_distance=0)


def test_the_english_word_list_is_the_one_inside_symspellpy():
    words = english_words()
    assert len(words) > 80_000
    assert {"specialist", "hear", "root", "expire", "university"} <= words
    assert "univeristy" not in words


# --------------------------------------------------------------------------
# the NLU component, with a real model storage


def tokenized(texts: List[str]):
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    messages = [Message(data={TEXT: t, "intent": "x"}) for t in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process(messages)
    return messages


def lemmas(message) -> List[str]:
    return [t.lemma for t in message.get("text_tokens")]


def context():
    from rasa.engine.graph import ExecutionContext, GraphSchema

    return ExecutionContext(GraphSchema({}), "test")


def test_component_trains_stores_loads_and_corrects_only_the_lemma(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from addons.spelling import SpellingNormalizer

    storage = LocalModelStorage(tmp_path)
    resource = Resource("spelling")
    config = SpellingNormalizer.get_default_config()
    training = TrainingData(tokenized(["does the university accept micro credentials",
                                       "how do they assess people", "do I need to renew it"]))
    trainer = SpellingNormalizer.create(config, storage, resource, context())
    assert trainer.train(training) == resource
    before = [lemmas(m) for m in training.training_examples]
    trainer.process_training_data(training)
    assert [lemmas(m) for m in training.training_examples] == before  # training words are left as they are

    loaded = SpellingNormalizer.load(config, storage, resource, context())
    [m] = loaded.process(tokenized(["how do they asess people at the univeristy"]))
    assert lemmas(m) == ["how", "do", "they", "assess", "people", "at", "the", "university"]
    assert [t.text for t in m.get("text_tokens")] == "how do they asess people at the univeristy".split()
    assert m.get("text") == "how do they asess people at the univeristy"


def test_component_without_a_stored_vocabulary_changes_nothing(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from addons.spelling import SpellingNormalizer

    loaded = SpellingNormalizer.load(SpellingNormalizer.get_default_config(), LocalModelStorage(tmp_path),
                                     Resource("never_trained"), context())
    [m] = loaded.process(tokenized(["how do they asess people"]))
    assert lemmas(m) == ["how", "do", "they", "asess", "people"]


def test_config_puts_the_component_right_after_the_tokenizer_and_before_the_count_featurizers():
    """The graph config.yml makes (as `rasa train` builds it, validated, no training)."""
    from addons.spelling import SpellingNormalizer

    graph = config_graph()
    for schema, key in ((graph.predict_schema, "messages"), (graph.train_schema, "training_data")):
        nodes = schema.nodes
        [ours] = [n for n, node in nodes.items() if node.uses is SpellingNormalizer and n.startswith("run_")]
        assert nodes[ours].needs[key].startswith("run_SpacyTokenizer")
        counters = [n for n, node in nodes.items()
                    if n.startswith("run_CountVectorsFeaturizer")]
        assert counters
        # every count featurizer reads the corrected lemmas: it comes after ours in the chain
        for name in counters:
            assert ours in upstream(nodes, name, key)
