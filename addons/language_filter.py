"""A Rasa NLU component that sends messages written in another language to
the intent ``other_language`` (answered with ``utter_english_only``).

It sits after the FallbackClassifier in config.yml's pipeline. When
``actions.language.detect_non_english`` finds that a message is not English,
the intent becomes ``other_language`` with confidence 1.0, the same entry is
put first in ``intent_ranking``, and the detected ISO code is stored under
``language`` in the parse data (``tracker.latest_message["language"]``; the
channel's metadata, where the web chat puts its own ``language``, is left
alone). English messages pass through untouched. It trains nothing; its
detector is built and its models loaded when the model is loaded.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions import language

logger = logging.getLogger(__name__)

INTENT_KEY = "intent"  # config: the intent given to messages in another language
DEFAULT_INTENT = "other_language"
LANGUAGE_KEY = "language"  # parse data key holding the detected ISO code


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageFilter(GraphComponent, IntentClassifier):
    """Classifies messages that are not in English as `other_language`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {INTENT_KEY: DEFAULT_INTENT}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.intent_name: Text = config.get(INTENT_KEY) or DEFAULT_INTENT

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageFilter:
        language.warm_up()  # at model load, not on the first user's message
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            code = language.detect_non_english(message.get(TEXT) or "")
            if code is not None:
                self._mark(message, code)
        return messages

    def _mark(self, message: Message, code: Text) -> None:
        previous: Optional[Dict[Text, Any]] = message.get(INTENT)
        intent = {INTENT_NAME_KEY: self.intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY) or []
            if not (isinstance(r, dict) and r.get(INTENT_NAME_KEY) == self.intent_name)
        ]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(intent)] + ranking, add_to_output=True)
        message.set(LANGUAGE_KEY, code, add_to_output=True)
        logger.debug(
            "Message in '%s': intent '%s' (was %s).",
            code, self.intent_name, (previous or {}).get(INTENT_NAME_KEY),
        )
