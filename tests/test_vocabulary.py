"""One vocabulary (actions/vocabulary.py), checked against every place that
names intents, slots, entities, topics and actions: domain.yml, the NLU data,
the rules, the held-out set, docs/INTENTS.md, config.yml and the knowledge
file. A name added in one place and forgotten in another fails here, with a
message that says where (the checklist is in the README, "Editing the answers")."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Dict, List, Set

import pytest
import yaml

from actions import actions as action_module
from actions import vocabulary as v
from actions.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
KB = load_knowledge()

# intents no rule answers on its own: the advice form's bare answers are rules of their own
# (rules_advice_form.yml), and nlu_fallback is Rasa's
NOT_IN_HELDOUT = {v.SOMETHING_ELSE, v.FEEDBACK, v.STOP, v.INFORM, v.AFFIRM, v.DENY}


def _nlu_examples(paths: List[Path]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if isinstance(item, dict) and "intent" in item:
                lines = [ln.strip()[2:] for ln in str(item.get("examples") or "").splitlines()
                         if ln.strip().startswith("- ")]
                out.setdefault(item["intent"], []).extend(lines)
    return out


def _rule_intents(paths: List[Path]) -> Set[str]:
    found: Set[str] = set()
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in (doc.get("rules") or []) + (doc.get("stories") or []):
            for step in block.get("steps") or []:
                if isinstance(step, dict) and "intent" in step:
                    found.add(step["intent"])
    return found


def _in_form_rule_intents() -> Set[str]:
    doc = yaml.safe_load((ROOT / "data" / "rules_advice_form.yml").read_text(encoding="utf-8"))
    return {step["intent"] for block in doc["rules"] for step in block["steps"] if "intent" in step}


def _missing(expected: Set[str], present: Set[str]) -> List[str]:
    return sorted(expected - present)


def test_domain_intents_are_the_vocabulary():
    domain = set(DOMAIN["intents"])
    assert not _missing(set(v.INTENTS), domain), f"add to domain.yml `intents:` {_missing(set(v.INTENTS), domain)}"
    assert not _missing(domain, set(v.INTENTS)), f"add to actions/vocabulary.py {_missing(domain, set(v.INTENTS))}"


def test_every_intent_has_training_examples():
    examples = _nlu_examples(sorted((ROOT / "data").glob("nlu*.yml")))
    thin = {i: len(examples.get(i, [])) for i in v.INTENTS if len(examples.get(i, [])) < 10}
    assert not thin, f"intents with fewer than 10 examples in data/nlu*.yml: {thin}"


def test_every_intent_has_a_rule():
    ruled = _rule_intents(sorted((ROOT / "data").glob("rules*.yml")) + [ROOT / "data" / "stories.yml"])
    assert not _missing(set(v.INTENTS), ruled), f"no rule in data/rules*.yml answers {_missing(set(v.INTENTS), ruled)}"


def test_every_question_is_answered_inside_the_advice_form_too():
    questions = set(v.FAQ_INTENTS) | set(v.ATTRIBUTE_INTENTS) | set(v.CREDENTIAL_INTENTS) | {
        v.HELP, v.BOT_CHALLENGE, v.OUT_OF_SCOPE, v.GREET, v.THANK, v.MORE_DETAIL, v.OTHER_LANGUAGE, v.NLU_FALLBACK}
    missing = _missing(questions, _in_form_rule_intents())
    assert not missing, f"add 'answer <intent> inside the advice form' to data/rules_advice_form.yml for {missing}"


def test_every_intent_is_in_the_held_out_set():
    held = _nlu_examples([ROOT / "tests" / "nlu_heldout.yml"])
    missing = _missing(set(v.INTENTS) - NOT_IN_HELDOUT, set(held))
    assert not missing, f"write held-out examples (apart from data/) in tests/nlu_heldout.yml for {missing}"


def test_every_intent_is_documented():
    doc = (ROOT / "docs" / "INTENTS.md").read_text(encoding="utf-8")
    missing = [i for i in v.INTENTS if f"`{i}`" not in doc]
    assert not missing, f"describe in docs/INTENTS.md: {missing}"


def test_faq_topics_are_the_knowledge_files():
    assert list(KB.faq) == list(v.FAQ_TOPICS), (
        "knowledge/credentials.yml `faq:` and vocabulary.FAQ_TOPICS differ: "
        f"only in the file {_missing(set(KB.faq), set(v.FAQ_TOPICS))}, "
        f"only in the vocabulary {_missing(set(v.FAQ_TOPICS), set(KB.faq))} (same order too)")


def test_every_faq_topic_has_a_button_title():
    missing = [i for i in v.FAQ_INTENTS if i not in v.BUTTON_TITLES]
    assert not missing, f"add a button title to vocabulary.BUTTON_TITLES for {missing}"


def test_slots_and_entities_are_the_domains():
    assert set(DOMAIN["slots"]) - {"requested_slot"} == set(v.SLOTS), (
        f"domain.yml slots vs vocabulary.SLOTS: only in the domain {_missing(set(DOMAIN['slots']), set(v.SLOTS))}, "
        f"only in the vocabulary {_missing(set(v.SLOTS), set(DOMAIN['slots']))}")
    domain_entities = {e if isinstance(e, str) else next(iter(e)) for e in DOMAIN["entities"]}
    assert domain_entities == set(v.ENTITIES), f"domain.yml entities {sorted(domain_entities)} vs {sorted(v.ENTITIES)}"


def test_the_entity_extractor_keeps_every_knowledge_label():
    extractor = next(c for c in CONFIG["pipeline"] if c["name"] == "SpacyEntityExtractor")
    labels = set(v.KNOWLEDGE_ENTITIES) | {v.PRODUCT}
    assert set(extractor["dimensions"]) == labels, f"config.yml SpacyEntityExtractor dimensions: {sorted(labels)}"


def test_custom_actions_are_the_domains():
    classes = [c for _, c in inspect.getmembers(action_module, inspect.isclass)
               if c.__module__ == action_module.__name__ and c.__name__.startswith(("Action", "Validate"))]
    names = {c().name() for c in classes}
    domain_actions = {a for a in DOMAIN["actions"] if not a.startswith("utter_")}
    assert names == domain_actions, (
        f"only in actions/actions.py {_missing(names, domain_actions)}, "
        f"only in domain.yml {_missing(domain_actions, names)}")


@pytest.mark.parametrize("path", sorted((ROOT / "actions").glob("*.py")) + sorted((ROOT / "data").glob("*.yml")),
                         ids=lambda p: p.name)
def test_every_response_named_exists(path):
    named = set(re.findall(r"(?<![.\w])utter_[a-z_]+", path.read_text(encoding="utf-8")))
    missing = _missing(named, set(DOMAIN["responses"]))
    assert not missing, f"{path.name} names responses domain.yml lacks: {missing}"


def test_follow_up_buttons_point_to_known_intents():
    for topic in KB.faq.values():
        for intent in topic.follow_ups:
            assert intent in v.INTENTS and intent in v.BUTTON_TITLES, (topic.id, intent)
