"""The assistant's vocabulary: every intent, entity, slot and topic name, and
the title of each follow-up button, in one place.

The actions, the "did you mean" buttons, the evaluation and the report import
their names from here. `tests/test_vocabulary.py` checks this module against
`domain.yml`, the NLU data, the rules, `docs/INTENTS.md` and the knowledge
file, so a name added in one place and forgotten in another fails with a
message saying where. The checklist for adding a FAQ topic, a credential or a
channel is in the README ("Editing the answers").
"""

from __future__ import annotations

from typing import Dict, Tuple

# --------------------------------------------------------------------------
# intents

GREET = "greet"
GOODBYE = "goodbye"
THANK = "thank"
AFFIRM = "affirm"
DENY = "deny"
BOT_CHALLENGE = "bot_challenge"
HUMAN_HANDOFF = "human_handoff"  # "talk to a person": actions/handoff.py
HELP = "help"
OUT_OF_SCOPE = "out_of_scope"
STOP = "stop"
INFORM = "inform"
SOMETHING_ELSE = "something_else"
FEEDBACK = "feedback"
MORE_DETAIL = "more_detail"
OTHER_LANGUAGE = "other_language"
GET_ADVICE = "get_advice"
ASK_KIND = "ask_kind"
ASK_OVERVIEW = "ask_overview"
COMPARE = "compare"
LIST_CREDENTIALS = "list_credentials"
NLU_FALLBACK = "nlu_fallback"  # Rasa's own, set by the FallbackClassifier

CONVERSATION_INTENTS: Tuple[str, ...] = (
    GREET, GOODBYE, THANK, AFFIRM, DENY, BOT_CHALLENGE, HUMAN_HANDOFF, HELP, OUT_OF_SCOPE, STOP, INFORM,
    SOMETHING_ELSE, FEEDBACK, MORE_DETAIL, OTHER_LANGUAGE,
)

# The article's general questions: intent "faq_<topic>", answered from the
# knowledge file's `faq.<topic>` entry (same keys, same order).
FAQ_PREFIX = "faq_"
FAQ_TOPICS: Tuple[str, ...] = (
    "employers_care",
    "same_as_certification",
    "what_is",
    "which_to_choose",
    "higher_education",
    "trends",
    "replace_degrees",
    "teachers",
    "what_is_certificate",
    "what_is_certification",
    "certificate_vs_certification",
    "hold_both",
    "job_guarantee",
    "regulated_professions",
    "web_development",
    "hiring",
    "fields",
    "pay",
    "provider_trust",
    "teacher_pd",
)


def faq_intent(topic: str) -> str:
    return FAQ_PREFIX + topic


def faq_topic(intent: str) -> str:
    """The FAQ topic an intent answers ("" when it is not a FAQ intent)."""
    return intent[len(FAQ_PREFIX):] if intent.startswith(FAQ_PREFIX) else ""


FAQ_INTENTS: Tuple[str, ...] = tuple(faq_intent(t) for t in FAQ_TOPICS)

# One attribute of a credential or kind: intent "ask_<attribute>".
ATTRIBUTES: Tuple[str, ...] = (
    "scope", "duration", "cost", "issuer", "format", "career_impact", "expiry", "stackable",
)
ATTRIBUTE_INTENT: Dict[str, str] = {a: f"ask_{a}" for a in ATTRIBUTES}
INTENT_ATTRIBUTE: Dict[str, str] = {i: a for a, i in ATTRIBUTE_INTENT.items()}
ATTRIBUTE_INTENTS: Tuple[str, ...] = tuple(ATTRIBUTE_INTENT.values())

CREDENTIAL_INTENTS: Tuple[str, ...] = (ASK_KIND, ASK_OVERVIEW, COMPARE, LIST_CREDENTIALS)

INTENTS: Tuple[str, ...] = (
    CONVERSATION_INTENTS + (GET_ADVICE,) + FAQ_INTENTS + ATTRIBUTE_INTENTS + CREDENTIAL_INTENTS
)

# --------------------------------------------------------------------------
# entities (credential, kind, field, topic: the spaCy entity ruler, built from
# the knowledge file; rating: the feedback buttons' payload)

CREDENTIAL = "credential"
KIND = "kind"
FIELD = "field"
TOPIC = "topic"
RATING = "rating"
# names the article doesn't cover (knowledge `unknown_names`): found by the entity
# ruler, read by actions/subject.py, not stored in a slot
PRODUCT = "product"
KNOWLEDGE_ENTITIES: Tuple[str, ...] = (CREDENTIAL, KIND, FIELD, TOPIC)
ENTITIES: Tuple[str, ...] = KNOWLEDGE_ENTITIES + (PRODUCT, RATING)

# --------------------------------------------------------------------------
# slots

SLOT_CREDENTIAL = "credential"  # the credential (or subject) the conversation is about (canonical name)
SLOT_LAST_TOPIC = "last_topic"  # what the last answer was about (see topic names below)
SLOT_LAST_SUBJECT = "last_subject"  # what "tell me more" continues: the last answer's subject (JSON)
SLOT_GOAL = "goal"
SLOT_FIELD = "field"
SLOT_TIME = "time_available"
SLOT_BUDGET = "budget"
SLOT_ANSWERS_SINCE_FEEDBACK = "answers_since_feedback"
SLOT_FEEDBACK_TOPIC = "feedback_topic"
SLOT_FEEDBACK_VALUE = "feedback_value"
SLOT_FEEDBACK_COMMENT = "feedback_comment"
SLOT_AWAITING_COMMENT = "awaiting_comment"
SLOT_UNKNOWN_CREDENTIAL = "unknown_credential"
SLOT_HANDOFF = "handoff"  # how the last hand-off went: HANDOFF_OUTCOMES

ADVICE_SLOTS: Tuple[str, ...] = (SLOT_GOAL, SLOT_FIELD, SLOT_TIME, SLOT_BUDGET)
SLOTS: Tuple[str, ...] = (
    SLOT_CREDENTIAL, SLOT_LAST_TOPIC, SLOT_LAST_SUBJECT, *ADVICE_SLOTS, SLOT_ANSWERS_SINCE_FEEDBACK,
    SLOT_FEEDBACK_TOPIC, SLOT_FEEDBACK_VALUE, SLOT_FEEDBACK_COMMENT, SLOT_AWAITING_COMMENT,
    SLOT_UNKNOWN_CREDENTIAL, SLOT_HANDOFF,
)

# --------------------------------------------------------------------------
# topics: what an answer was about, stored in `last_topic` and `feedback_topic`
# and counted by the report. "faq/<topic>", "attribute/<attribute>", and these:

TOPIC_OVERVIEW = "overview"
TOPIC_KIND = "kind"
TOPIC_COMPARE_KINDS = "compare/kinds"
TOPIC_COMPARE_CREDENTIALS = "compare/credentials"
TOPIC_LIST = "list"
TOPIC_ADVICE = "advice"
TOPIC_UNKNOWN_CREDENTIAL = "unknown_credential"
TOPIC_SUBJECT = "subject"  # a subject the article names (React, agile methods, ...)
TOPIC_HANDOFF = "handoff"  # passed to a person, or told none is available
TOPIC_PASSAGE = "passage"  # "Here is what the article says about that" (long-tail search)
FALLBACK_TOPIC_PREFIX = "fallback/"  # "fallback/out_of_scope", "fallback/did_you_mean", ...


def faq_topic_name(topic: str) -> str:
    return f"faq/{topic}"


def attribute_topic_name(attribute: str) -> str:
    return f"attribute/{attribute}"


# --------------------------------------------------------------------------
# the title of a follow-up button that asks this intent (plain language)

BUTTON_TITLES: Dict[str, str] = {
    faq_intent("employers_care"): "Do employers care?",
    faq_intent("same_as_certification"): "Same as a certification?",
    faq_intent("what_is"): "What is a micro-credential?",
    faq_intent("which_to_choose"): "Which should I choose?",
    faq_intent("higher_education"): "Effect on universities",
    faq_intent("trends"): "How they are changing learning",
    faq_intent("replace_degrees"): "Will they replace degrees?",
    faq_intent("teachers"): "For teachers",
    faq_intent("what_is_certificate"): "What is a certificate programme?",
    faq_intent("what_is_certification"): "What is a certification?",
    faq_intent("certificate_vs_certification"): "Certificate vs certification",
    faq_intent("hold_both"): "Can I hold both?",
    faq_intent("job_guarantee"): "Will one get me a job?",
    faq_intent("regulated_professions"): "Doctors, engineers, licensed jobs",
    faq_intent("web_development"): "Becoming a web developer",
    faq_intent("hiring"): "For employers: hiring",
    faq_intent("fields"): "Which fields value them?",
    faq_intent("pay"): "Will it raise my pay?",
    faq_intent("provider_trust"): "Can I trust a provider?",
    faq_intent("teacher_pd"): "Teachers' PD hours and licences",
    "ask_scope": "What does it cover?",
    "ask_duration": "How long does it take?",
    "ask_cost": "How much does it cost?",
    "ask_issuer": "Who issues it?",
    "ask_format": "What is the format?",
    "ask_career_impact": "Career impact",
    "ask_expiry": "Do they expire?",
    "ask_stackable": "Do they stack?",
    COMPARE: "Certificate vs micro-credential",
    LIST_CREDENTIALS: "Examples by field",
    GET_ADVICE: "Advice for my situation",
    MORE_DETAIL: "More detail",
}

# Intents a follow-up button in the knowledge file may point to.
BUTTON_INTENTS: Tuple[str, ...] = tuple(BUTTON_TITLES)
