"""Is a message written in a language other than English? Pure and typed, no
Rasa: the NLU component ``addons.language_filter`` calls it, and the tests
call it directly.

The detector is Lingua (``lingua-language-detector``, models inside the wheel,
nothing downloaded), built once on first use from the languages below. A
message is flagged only when it is clearly not English:

- letters mostly in a non-Latin script (Cyrillic, Han, kana, Hangul, Arabic,
  Devanagari, Greek, ...): the language Lingua names (or ``"und"`` for a script
  none of the languages uses), once there are ``MIN_SCRIPT_LETTERS`` letters;
- Latin script: at least ``MIN_WORDS`` words of two or more letters after
  acronyms (PMP, CPA), numbers, links and addresses are dropped, not one common
  English function word (``ENGLISH_MARKERS``), and Lingua's best language is
  not English, has confidence ``MIN_CONFIDENCE`` or more, leads English by
  ``MIN_LEAD_OVER_ENGLISH`` or more, and (below ``SURE_WITHOUT_COMMON_WORDS``)
  the message has a common word of one of the languages (``FUNCTION_WORDS``)
  or a letter English doesn't use.

So greetings ("hola", "hi"), credential names ("Kubernetes", "React"), emoji,
button payloads ("/greet") and short or misspelt English are never flagged.
The thresholds were tuned on every example in data/nlu*.yml and
tests/nlu_heldout.yml (no English one flagged) and on the questions in other
languages in tests/test_language.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:  # lingua is imported when the detector is first built
    from lingua import LanguageDetector

ENGLISH = "en"
# ISO 639-2 "undetermined": not English, in a script none of LANGUAGES uses.
UNDETERMINED = "und"

# Lingua language names. Each Latin-script language costs about 25 MB of models
# once the first Latin-script message is seen (all 11: about 270 MB); a
# language that is the only one of its script is recognised from the script
# alone and costs nothing, so those are all listed (Ukrainian comes out as
# "ru", Persian and Urdu as "ar", Marathi as "hi").
LATIN_LANGUAGES: Tuple[str, ...] = (
    "ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE", "ITALIAN", "DUTCH",
    "POLISH", "TURKISH", "INDONESIAN", "VIETNAMESE",
)
OTHER_SCRIPT_LANGUAGES: Tuple[str, ...] = (
    "CHINESE", "JAPANESE", "KOREAN", "RUSSIAN", "ARABIC", "HINDI",
    "GREEK", "HEBREW", "THAI", "ARMENIAN", "GEORGIAN", "BENGALI", "TAMIL",
    "TELUGU", "GUJARATI", "PUNJABI",
)
LANGUAGES: Tuple[str, ...] = LATIN_LANGUAGES + OTHER_SCRIPT_LANGUAGES

# Unicode script (first word of a letter's name) -> one of LANGUAGES writes it.
# Lingua is never asked about text in any other script: it would load every
# language's models (about 400 MB) to answer.
COVERED_SCRIPTS = frozenset({
    "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "CYRILLIC", "ARABIC", "DEVANAGARI",
    "GREEK", "HEBREW", "THAI", "ARMENIAN", "GEORGIAN", "BENGALI", "TAMIL",
    "TELUGU", "GUJARATI", "GURMUKHI",
})

# Latin script: fewer words than this is never flagged ("hola", "merci beaucoup").
MIN_WORDS = 3
# Latin script: Lingua's best language needs at least this confidence ...
# (English examples that lead English by 0.1 or more: at most 0.21, "no no no";
# questions in other languages: 0.34 or more) ...
MIN_CONFIDENCE = 0.30
# ... and must lead English by this much (English examples at 0.30 or more:
# lead at most 0.05, "do certifications expire"; other languages: 0.19 or more).
MIN_LEAD_OVER_ENGLISH = 0.15
# ... and below this confidence it needs a common word of another language or a
# letter English doesn't use: "is Coursera a reputable organisation" is French 0.66.
SURE_WITHOUT_COMMON_WORDS = 0.80
# Other scripts: at least this many letters ("好" alone is not enough).
MIN_SCRIPT_LETTERS = 2
# Only the start of a long message is looked at (time grows with length).
MAX_CHARS = 500

# Common English words that are not also common words in the Latin-script
# languages above (so no "a", "i", "in", "is", "of", "to", "do", "me", "my",
# "on", "an", "was", "will", "has", "die"): a message with one is English enough
# to be answered. Compared without apostrophes ("what's" -> "whats").
ENGLISH_MARKERS = frozenset("""
    the and or for with from about what whats how why when where who which
    does did doesnt dont can cant could should would are be been
    you your it its this that these those there have get not any much many
    im ive if they their them just need want
""".split())

# Latin script: below SURE_WITHOUT_COMMON_WORDS a message Lingua gives to another
# language is flagged only if it also has a common word of one of these
# languages (two letters or more) or a letter English doesn't use, so an English
# question with foreign-looking words ("is CompTIA a reputable organisation",
# French 0.55) stays English.
FUNCTION_WORDS: Dict[str, frozenset] = {code: frozenset(words.split()) for code, words in {
    "es": "el la los las de del que qué es son una un por para con se cómo como cuál cuáles cuánto cuánta "
          "dónde cuando cuándo hay mi mis tu su sus lo al más pero muy sí también sobre puedo puede "
          "tiene tienen están está esta este estos ser sin vale caducan",
    "fr": "le la les des du une un est sont que qui quoi pour avec dans sur ce cette ces mon ma mes "
          "ton ta tes son sa ses je tu il elle nous vous ils elles pas ne plus mais ou où comment "
          "combien pourquoi quel quelle quels quelles est-ce au aux faut peut",
    "de": "der die das den dem des ein eine einen einem ist sind und oder nicht für mit von zu bei "
          "wie was wer wo warum welche welcher welches ich du er sie es wir ihr mein meine kann "
          "können auf auch noch sich haben hat gibt lohnt sich",
    "pt": "o os as de do da dos das que é são um uma uns umas por para com se como qual quais "
          "quanto quanta onde quando há meu minha seu sua não mais mas também sobre posso pode "
          "tem têm está estão ser sem vale",
    "it": "il lo la gli le di del della dei delle che è sono uno una un per con se come quale "
          "quali quanto dove quando ci mio mia suo sua non più ma anche sono posso può ha hanno "
          "vale sul nella",
    "nl": "de het een en of niet voor met van te bij hoe wat wie waar waarom welke ik jij je hij "
          "zij wij mijn kan kunnen op ook nog zich heeft hebben er zijn is dat deze",
    "pl": "jest są nie to na do od po za jak co kto gdzie dlaczego który która które czy się mi "
          "mój moja może mogę ile dla oraz ale też",
    "tr": "bir ve ile için mi mı mu mü ne nasıl neden nerede kim hangi bu şu ben sen benim değil "
          "var yok mı ama daha çok gibi olarak olan",
    "id": "apa yang dan atau di ke dari untuk dengan ini itu saya kamu anda tidak bisa ada "
          "bagaimana berapa mengapa kenapa siapa mana apakah juga sudah akan",
    "vi": "là và của có không cho với một những các này đó tôi bạn được như thế nào tại sao "
          "bao nhiêu ai đâu gì",
}.items()}

_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NOISE = re.compile(r"\d|://|@|^www\.", re.IGNORECASE)
_EDGE_PUNCTUATION = ".,;:!?¿¡()[]{}\"'“”‘’«»…"


@dataclass(frozen=True)
class Verdict:
    """What was decided about a message, and why (for tests and logs)."""

    language: Optional[str]  # ISO 639-1 code of the other language, "und", or None
    reason: str
    confidence: float = 0.0  # Lingua's confidence in `language` (0 when not asked)


def detect_non_english(text: str) -> Optional[str]:
    """The ISO 639-1 code (e.g. "es") of the language `text` is written in when
    that is clearly not English ("und" for an unknown non-Latin script), else None."""
    return judge(text).language


def judge(text: str) -> Verdict:
    """`detect_non_english` with the reason for its answer."""
    if not isinstance(text, str):
        return Verdict(None, "not text")
    text = unicodedata.normalize("NFKC", text)[:MAX_CHARS].strip()
    if text.startswith("/"):
        return Verdict(None, "button payload")
    tokens = _content_tokens(text)
    scripts = Counter(_script(c) for token in tokens for c in token if c.isalpha())
    if not scripts:
        return Verdict(None, "no letters")
    latin = scripts.pop("LATIN", 0)
    other = sum(scripts.values())
    cleaned = " ".join(tokens)
    if other > latin:
        return _judge_other_script(cleaned, scripts, other)
    return _judge_latin(cleaned)


def warm_up() -> None:
    """Build the detector and load the Latin-script models now (about 3 s and
    270 MB) rather than on the first message."""
    _detector().compute_language_confidence_values("does the certificate expire")


@lru_cache(maxsize=1)
def _detector() -> "LanguageDetector":
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*(Language.from_str(name) for name in LANGUAGES)).build()


def _content_tokens(text: str) -> List[str]:
    """The whitespace-separated tokens worth judging: not links, addresses,
    numbers ("k8s", "2024") or acronyms ("PMP", "CISSP"), and with a letter."""
    out = []
    for token in _TOKEN.findall(text):
        core = token.strip(_EDGE_PUNCTUATION)
        letters = [c for c in core if c.isalpha()]
        if not letters or _NOISE.search(core):
            continue
        if 2 <= len(letters) <= 6 and all(c.isupper() for c in letters):
            continue
        out.append(token)
    return out


def _script(letter: str) -> str:
    # "LATIN SMALL LETTER E WITH ACUTE" -> "LATIN", "CJK UNIFIED IDEOGRAPH-4E2D" -> "CJK"
    return unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0].split("-", 1)[0]


def _confidences(text: str) -> Tuple[str, float, float]:
    """Lingua's best language (ISO 639-1, lower case), its confidence, and English's."""
    values = _detector().compute_language_confidence_values(text)
    by_code: Dict[str, float] = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), best.value, by_code.get(ENGLISH, 0.0)


def _judge_other_script(cleaned: str, scripts: "Counter[str]", letters: int) -> Verdict:
    if letters < MIN_SCRIPT_LETTERS:
        return Verdict(None, f"only {letters} letter(s) in a non-Latin script")
    script = scripts.most_common(1)[0][0]
    if script not in COVERED_SCRIPTS:
        return Verdict(UNDETERMINED, f"{script} script, which none of the languages uses")
    code, confidence, _ = _confidences(cleaned)
    if code == ENGLISH or confidence <= 0.0:
        return Verdict(UNDETERMINED, f"{script} script, language not determined")
    return Verdict(code, f"{script} script", confidence)


# Words of those lists that are also everyday English don't count.
_ALSO_ENGLISH = frozenset("is in on an as at by me my we he be no so or to do up us am go die son con come "
                          "more per ha ne ten she of was ai ale ben kim ton sin co op ma mas ada ama".split())
_ALL_FUNCTION_WORDS = frozenset().union(*FUNCTION_WORDS.values()) - _ALSO_ENGLISH - ENGLISH_MARKERS


def _looks_foreign(words: List[str]) -> bool:
    """A common word of one of the other languages, or a letter English doesn't use (é, ä, ł, ç ...)."""
    return any(w in _ALL_FUNCTION_WORDS or not w.isascii() for w in words)


def _judge_latin(cleaned: str) -> Verdict:
    words = [w.lower().replace("’", "'") for w in _WORD.findall(cleaned)]
    long_words = [w for w in words if len(w) >= 2]
    if len(long_words) < MIN_WORDS:
        return Verdict(None, f"{len(long_words)} word(s), fewer than {MIN_WORDS}")
    markers = [w for w in words if w.replace("'", "") in ENGLISH_MARKERS]
    if markers:
        return Verdict(None, f"English word(s): {', '.join(markers)}")
    code, confidence, english = _confidences(cleaned)
    if code == ENGLISH:
        return Verdict(None, f"English is the most likely ({confidence:.2f})", confidence)
    if confidence < MIN_CONFIDENCE:
        return Verdict(None, f"{code} only {confidence:.2f} (< {MIN_CONFIDENCE})", confidence)
    if confidence - english < MIN_LEAD_OVER_ENGLISH:
        return Verdict(None, f"{code} {confidence:.2f} too close to English {english:.2f}", confidence)
    if confidence < SURE_WITHOUT_COMMON_WORDS and not _looks_foreign(long_words):
        return Verdict(None, f"{code} {confidence:.2f} but no common word or letter of another language",
                       confidence)
    return Verdict(code, f"{code} {confidence:.2f}, English {english:.2f}", confidence)
