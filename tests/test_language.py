"""Language identification: actions.language.detect_non_english on every
English example of the NLU data (none may be flagged), on questions in other
languages (95% or more must be), on edge cases; and the NLU component
addons.language_filter.LanguageFilter on Rasa Message objects and in the graph
that config.yml builds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from actions import language
from actions.language import UNDETERMINED, detect_non_english, judge

ROOT = Path(__file__).resolve().parent.parent
OTHER_LANGUAGE = "other_language"

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def nlu_examples() -> List[Tuple[str, str, str]]:
    """(file, intent, text) for every example of data/nlu*.yml and tests/nlu_heldout.yml,
    entity annotations removed ("[PMP](credential)" -> "PMP")."""
    out = []
    for path in sorted(ROOT.glob("data/nlu*.yml")) + [ROOT / "tests" / "nlu_heldout.yml"]:
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.append((path.name, item["intent"], _ANNOTATION.sub(r"\1", line[2:]).strip()))
    return out


# Examples in the data that are written in another language although their
# intent is not other_language (off-topic questions kept in out_of_scope). The
# component sends them to other_language too; they are checked below as
# non-English, not counted as English.
NOT_ENGLISH_IN_DATA: Dict[str, str] = {
    "¿qué tiempo hace hoy?": "es",
    "¿dónde está la biblioteca?": "es",
    "¿Qué tiempo va a hacer mañana en Madrid?": "es",
    "¿Los empleadores valoran las microcredenciales?": "es",
    "ich brauche Hilfe bei meiner Bewerbung": "de",
    "wie spät ist es": "de",
    "Wie kann ich mein Passwort zurücksetzen?": "de",
    "quelle heure est-il": "fr",
    "Je cherche un bon restaurant près d'ici": "fr",
    "Quanto costa un biglietto del treno per Roma?": "it",
    "今日は天気がいいですね": "ja",
    "今日はいい天気ですね": "ja",
}

# Questions about the assistant's subjects in 16 languages, written for this test.
NON_ENGLISH: Dict[str, List[str]] = {
    "es": ["¿Cuánto cuesta la certificación PMP?", "¿Las microcredenciales caducan después de unos años?",
           "¿Qué diferencia hay entre un certificado y una microcredencial?",
           "¿Los empleadores valoran los cursos cortos en línea?", "necesito ayuda urgente"],
    "fr": ["Combien de temps faut-il pour obtenir le PMP ?", "Est-ce que les micro-certifications expirent ?",
           "Quelle est la différence entre un certificat et une certification ?",
           "Les employeurs accordent-ils de l'importance aux badges numériques ?", "je ne comprends pas"],
    "de": ["Wie viel kostet die PMP Zertifizierung?", "Laufen Mikrozertifikate nach einigen Jahren ab?",
           "Welche Zertifizierung ist für Datenanalyse am besten?", "Achten Arbeitgeber wirklich auf solche Nachweise?",
           "lohnt sich das Zertifikat?"],
    "pt": ["Quanto custa a certificação PMP?", "As microcredenciais têm prazo de validade?",
           "Qual é a diferença entre certificado e certificação?", "Os recrutadores dão valor a cursos curtos?"],
    "it": ["Quanto tempo ci vuole per ottenere la certificazione PMP?", "Le microcredenziali hanno una scadenza?",
           "Qual è la differenza tra un certificato e una certificazione?", "voglio cambiare lavoro"],
    "nl": ["Hoeveel kost de PMP certificering?", "Verlopen microcredentials na een paar jaar?",
           "Wat is het verschil tussen een certificaat en een microcredential?", "hoe lang duurt de cursus?"],
    "pl": ["Ile kosztuje certyfikat PMP?", "Czy mikropoświadczenia tracą ważność?",
           "Jaka jest różnica między certyfikatem a mikropoświadczeniem?", "nie rozumiem tego pytania"],
    "tr": ["PMP sertifikası ne kadar tutuyor?", "Mikro yeterlilikler ne kadar süre geçerli?",
           "Sertifika ile mikro yeterlilik arasındaki fark nedir?"],
    "id": ["Berapa biaya sertifikasi PMP?", "Apakah kredensial mikro memiliki masa berlaku?",
           "Apa perbedaan antara sertifikat dan kredensial mikro?"],
    "vi": ["Chứng chỉ PMP giá bao nhiêu?", "Chứng chỉ vi mô có hết hạn không?",
           "Nhà tuyển dụng có quan tâm đến chứng chỉ ngắn hạn không?"],
    "ru": ["Сколько стоит сертификация PMP?", "Истекает ли срок действия микросертификатов?",
           "Чем сертификат отличается от микроквалификации?"],
    "zh": ["PMP认证需要多少钱？", "微证书会过期吗？", "雇主真的看重微证书吗？"],
    "ja": ["PMPの資格を取るにはいくらかかりますか？", "マイクロクレデンシャルに有効期限はありますか？",
           "証明書と認定資格の違いは何ですか？"],
    "ko": ["PMP 자격증 비용은 얼마인가요?", "마이크로 자격증은 유효기간이 있나요?",
           "고용주들이 마이크로 자격증을 중요하게 생각하나요?"],
    "ar": ["كم تكلفة شهادة PMP؟", "هل تنتهي صلاحية الشهادات المصغرة؟", "ما الفرق بين الشهادة والاعتماد المهني؟"],
    "hi": ["PMP प्रमाणपत्र की कीमत कितनी है?", "क्या माइक्रो क्रेडेंशियल की वैधता खत्म हो जाती है?",
           "नियोक्ता माइक्रो क्रेडेंशियल को कितना महत्व देते हैं?"],
}

# English, or too short to tell: never flagged.
NOT_FLAGGED = [
    # greetings and thanks, in English and the few foreign words everyone uses
    "hi", "hello there", "hola", "hallo", "ciao", "bonjour", "merci", "gracias", "danke", "buenos días",
    "guten Tag", "thx", "ty", "cheers mate",
    # credential names and acronyms alone
    "PMP", "CPA", "Kubernetes", "React", "PMP vs CPA", "React or Kubernetes?", "CISSP CISA CISM",
    "Kubernetes, React, PMP", "Project Management Professional", "Certified Public Accountant",
    "Python for Data Analysis", "Cloud Security Fundamentals overview", "CompTIA Security+", "Cisco CCNA",
    "k8s vs reactjs", "CPA vs PMP",
    # emoji, payloads, links, numbers, nothing
    "👍", "👎👎", "🙂🙂🙂", "/greet", '/ask_cost{"credential":"pmp"}', "/feedback{\"feedback_value\":\"up\"}",
    "https://www.pmi.org/certifications/project-management-pmp", "www.example.com", "a.b@example.com",
    "2024", "", "   ", "?!",
    # short or misspelt English
    "ok", "no no no", "nope", "sure, go on", "tell me more", "whats teh diffrence", "cerificate vs microcredntial",
    "how mch does pmp cost", "wich one shud i pick", "recomend somethin 4 me", "do certifications expire",
    "scope of a microcredential vs a certificate", "is ReactJS a micro-cred", "résumé tips",
    "naïve question: do badges expire", "déjà vu, I asked this before", "blorp fnarg zzz",
    # English around a foreign word
    "what does 証明書 mean?", "is a Zertifikat the same as a certificate?",
]


def english_examples() -> List[Tuple[str, str, str]]:
    return [e for e in nlu_examples() if e[1] != OTHER_LANGUAGE and e[2] not in NOT_ENGLISH_IN_DATA]


def test_no_english_example_in_the_nlu_data_is_flagged():
    examples = english_examples()
    flagged = [(f, intent, text, judge(text)) for f, intent, text in examples if detect_non_english(text)]
    print(f"\nEnglish examples: {len(examples)}, flagged: {len(flagged)} "
          f"(false-positive rate {len(flagged) / len(examples):.2%})")
    assert len(examples) > 1500
    assert not flagged, "\n".join(f"{f} {i}: {t!r} -> {v}" for f, i, t, v in flagged)


@pytest.mark.parametrize("text,code", sorted(NOT_ENGLISH_IN_DATA.items()))
def test_examples_in_other_languages_outside_other_language_are_flagged(text, code):
    assert detect_non_english(text) == code, judge(text)


def test_questions_in_other_languages_are_flagged():
    questions = [(code, q) for code, qs in NON_ENGLISH.items() for q in qs]
    assert len(questions) >= 40 and len(NON_ENGLISH) >= 12
    results = [(code, q, judge(q)) for code, q in questions]
    flagged = [r for r in results if r[2].language]
    right = [r for r in flagged if r[2].language == r[0]]
    print(f"\nquestions in {len(NON_ENGLISH)} languages: {len(questions)}, flagged {len(flagged)} "
          f"({len(flagged) / len(questions):.1%}), right language {len(right)}")
    misses = "\n".join(f"{c}: {q!r} -> {v}" for c, q, v in results if v.language != c)
    assert len(flagged) / len(questions) >= 0.95, misses
    assert len(right) / len(questions) >= 0.95, misses


def test_the_other_language_examples_are_flagged():
    examples = [text for _, intent, text in nlu_examples() if intent == OTHER_LANGUAGE]
    if not examples:
        pytest.skip("no other_language examples in data/ yet")
    missed = [(t, judge(t).reason) for t in examples if not detect_non_english(t)]
    print(f"\nother_language examples: {len(examples)}, flagged {len(examples) - len(missed)}")
    assert (len(examples) - len(missed)) / len(examples) >= 0.95, missed


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_edge_cases_are_not_flagged(text):
    assert detect_non_english(text) is None, judge(text)


@pytest.mark.parametrize("text,code", [
    ("¿cuánto cuesta?", None),  # two words: too short to be sure
    ("¿cuánto cuesta el PMP?", "es"),  # three words once "PMP" is set aside
    ("привет", "ru"),  # another script: no minimum word count
    ("你好", "zh"),
    ("好", None),  # one letter is not enough
    ("Πόσο κοστίζει το πιστοποιητικό;", "el"),  # scripts used by one language only cost no memory
    ("Скільки коштує сертифікат?", "ru"),  # Ukrainian is not among the languages: its script is
    ("ምን ያህል ያስከፍላል", UNDETERMINED),  # a script none of the languages uses
    ("  ¿Cuánto   cuesta la certificación PMP?  ", "es"),
    ("ＰＭＰ認証の費用はいくらですか", "ja"),  # full-width letters are normalised
])
def test_short_messages_and_scripts(text, code):
    assert detect_non_english(text) == code, judge(text)


def test_unknown_script_does_not_ask_lingua(monkeypatch):
    # Lingua would load the models of every language (about 400 MB) to answer
    def fail(text: str):
        raise AssertionError(f"Lingua was asked about {text!r}")

    monkeypatch.setattr(language, "_confidences", fail)
    assert detect_non_english("ምን ያህል ያስከፍላል") == UNDETERMINED


def test_the_detector_is_built_once():
    language.warm_up()
    detect_non_english("¿Cuánto cuesta la certificación PMP?")
    assert language._detector() is language._detector()
    assert language._detector.cache_info().currsize == 1


def test_a_long_message_is_judged_on_its_start():
    assert detect_non_english("¿Cuánto cuesta la certificación PMP? " * 500) == "es"
    assert detect_non_english("does the PMP expire? " * 500) is None


# --------------------------------------------------------------------------
# the NLU component


@pytest.fixture(scope="module")
def component():
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource

    from addons.language_filter import LanguageFilter

    return LanguageFilter.create(
        LanguageFilter.get_default_config(), None, Resource("language_filter"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def message(text: str, ranking: List[Tuple[str, float]]):
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    m = Message(data={TEXT: text}, output_properties={TEXT})
    ranked = [{"name": n, "confidence": c} for n, c in ranking]
    m.set(INTENT, dict(ranked[0]), add_to_output=True)
    m.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
    return m


def test_component_overrides_the_intent_of_a_message_in_another_language(component):
    m = message("¿Cuánto cuesta la certificación PMP?", [("ask_cost", 0.61), ("out_of_scope", 0.3)])
    [out] = component.process([m])
    parse = out.as_dict(only_output_properties=True)  # what the Rasa server returns
    assert parse["intent"] == {"name": "other_language", "confidence": 1.0}
    assert parse["intent_ranking"] == [
        {"name": "other_language", "confidence": 1.0},
        {"name": "ask_cost", "confidence": 0.61},
        {"name": "out_of_scope", "confidence": 0.3},
    ]
    assert parse["language"] == "es"


def test_component_overrides_a_fallback_and_keeps_one_other_language_entry(component):
    m = message("Wie viel kostet die PMP Zertifizierung?",
                [("nlu_fallback", 0.3), ("other_language", 0.25), ("ask_cost", 0.2)])
    [out] = component.process([m])
    assert out.get("intent") == {"name": "other_language", "confidence": 1.0}
    assert [r["name"] for r in out.get("intent_ranking")] == ["other_language", "nlu_fallback", "ask_cost"]
    assert out.get("language") == "de"


@pytest.mark.parametrize("text", ["does the PMP expire?", "hola", "Kubernetes", "👍", "/greet", ""])
def test_component_leaves_english_and_short_messages_alone(component, text):
    m = message(text, [("ask_expiry", 0.9), ("ask_cost", 0.05)])
    before = m.as_dict(only_output_properties=True)
    [out] = component.process([m])
    assert out.as_dict(only_output_properties=True) == before
    assert out.get("language") is None


def test_component_handles_a_message_without_intent_and_a_configured_intent_name():
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from addons.language_filter import LanguageFilter

    m = Message(data={TEXT: "Сколько стоит сертификация PMP?"})
    [out] = LanguageFilter({"intent": "not_english"}).process([m])
    assert out.get("intent") == {"name": "not_english", "confidence": 1.0}
    assert out.get("intent_ranking") == [{"name": "not_english", "confidence": 1.0}]
    assert out.as_dict(only_output_properties=True)["language"] == "ru"


def test_config_puts_the_component_after_the_fallback_classifier():
    """The graph config.yml makes (as `rasa train` builds it, validated, no training)."""
    from addons.language_filter import LanguageFilter
    from tests.helpers.graph import config_graph

    graph = config_graph()
    nodes = graph.predict_schema.nodes
    [ours] = [name for name, node in nodes.items() if node.uses is LanguageFilter]
    assert nodes[ours].needs["messages"].startswith("run_FallbackClassifier")
    assert nodes[graph.nlu_target].needs["messages"] == ours
    assert not [n for n in graph.train_schema.nodes.values() if n.uses is LanguageFilter]
