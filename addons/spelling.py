"""Typo robustness from the features: a Rasa NLU component that maps a
misspelt word to the training word it was meant to be, before the count
featurizers see it.

It sits right after the tokenizer in config.yml's pipeline. Training counts
the words of the training examples (lower case); that vocabulary is stored
with the model. On a message, a word is replaced only when all of these hold:

- it has at least ``min_length`` letters, letters only, and is not all upper
  case (acronyms and names such as "CCNA" stay as written);
- it is neither a training word nor an English word (the English word list
  ships inside symspellpy: ``frequency_dictionary_en_82_765.txt``), so "root"
  or "hear" is never "corrected" into a training word;
- a training word lies within ``max_edit_distance`` edits of it (SymSpell's
  lookup, Damerau-OSA distance: a swap of two neighbouring letters is one
  edit). Of the closest, the most frequent in the training data wins.

Only the token's *lemma* changes, which is what ``CountVectorsFeaturizer``
reads (``use_lemma``, its default). The message's text, its tokens' text (the
``LexicalSyntacticFeaturizer`` reads those) and the entities stay as the user
wrote them. Every training word is in the vocabulary, so the training
examples are featurized exactly as without this component.

The speller itself (``Speller``) is plain Python, tested without Rasa.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
from collections import Counter
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from symspellpy import SymSpell, Verbosity

logger = logging.getLogger(__name__)

MIN_LENGTH_KEY = "min_length"
MAX_EDIT_DISTANCE_KEY = "max_edit_distance"
VOCABULARY_FILE = "vocabulary.json"
ENGLISH_WORDS_FILE = "frequency_dictionary_en_82_765.txt"  # inside the symspellpy wheel


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """The English words of symspellpy's frequency dictionary (82,765 of them)."""
    text = importlib.resources.files("symspellpy").joinpath(ENGLISH_WORDS_FILE).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class Speller:
    """Maps a word that is neither known nor English to the closest known word."""

    def __init__(self, vocabulary: Mapping[str, int], english: Iterable[str] = (),
                 min_length: int = 4, max_edit_distance: int = 1) -> None:
        if min_length < 1 or max_edit_distance < 1:
            raise ValueError("min_length and max_edit_distance must be at least 1")
        self.vocabulary: Dict[str, int] = {w.lower(): int(c) for w, c in vocabulary.items() if c > 0}
        self.english = english if isinstance(english, (set, frozenset)) else frozenset(english)
        self.min_length = min_length
        self.max_edit_distance = max_edit_distance
        self._symspell = SymSpell(max_dictionary_edit_distance=max_edit_distance, prefix_length=7)
        for word, count in self.vocabulary.items():
            self._symspell.create_dictionary_entry(word, count)

    def correct(self, word: str) -> Optional[str]:
        """The known word meant by `word` (lower case), or None to leave it as it is."""
        if len(word) < self.min_length or not word.isalpha() or word.isupper():
            return None
        low = word.lower()
        if low in self.vocabulary or low in self.english:
            return None
        found = self._symspell.lookup(low, Verbosity.CLOSEST, max_edit_distance=self.max_edit_distance)
        return found[0].term if found else None  # closest first, then the most frequent


def count_words(messages: Iterable[Message]) -> Counter:
    """How often each word (lower case) occurs in the messages' tokens."""
    words: Counter = Counter()
    for message in messages:
        for token in message.get(TOKENS_NAMES[TEXT]) or []:
            words[token.text.lower()] += 1
    return words


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SpellingNormalizer(GraphComponent):
    """Gives a misspelt token the lemma of the training word it was meant to be."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {MIN_LENGTH_KEY: 4, MAX_EDIT_DISTANCE_KEY: 1}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["symspellpy"]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Mapping[str, int]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._speller: Optional[Speller] = None
        if vocabulary:
            self._speller = self._make_speller(vocabulary)

    def _make_speller(self, vocabulary: Mapping[str, int]) -> Speller:
        return Speller(vocabulary, english_words(), self._config[MIN_LENGTH_KEY],
                       self._config[MAX_EDIT_DISTANCE_KEY])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SpellingNormalizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SpellingNormalizer:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("No vocabulary stored for %s: spelling is left alone.", resource.name)
            vocabulary = None
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary = dict(count_words(training_data.training_examples))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(vocabulary, sort_keys=True), encoding="utf-8")
        self._speller = self._make_speller(vocabulary)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._speller is None:
            return messages
        for message in messages:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                meant = self._speller.correct(token.text)
                if meant is not None:
                    logger.debug("Spelling: '%s' read as '%s'.", token.text, meant)
                    token.lemma = meant
        return messages
