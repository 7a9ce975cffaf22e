"""Whether two differing names are one entity in other words, or not an entity at all.

"Republican Gov" and "GOP Gov", "U.S." and "United States", "IOC" and "International Olympic Committee",
"Colombian" and "Columbian" name one thing: a swap between them is a rewording, never a disagreement.
Normalisation (expanded abbreviations, initials, spelling distance) catches the common forms; the
embedder catches the rest ("Most Valuable Player" / "MVP"), judging the two spans side by side.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
from langchain_core.embeddings import Embeddings

# Two name spans this close (MiniLM cosine, the spans embedded alone) are one entity in other words.
SAME_ENTITY_MIN_COSINE = 0.8
# Two spellings this alike (difflib ratio of their letters) are one name misspelt ("Colombian"/"Columbian").
SAME_SPELLING_MIN_RATIO = 0.85
_ABBREVIATIONS = {
    "us": "united states", "usa": "united states", "uk": "united kingdom", "un": "united nations",
    "eu": "european union", "gop": "republican", "republicans": "republican", "democrats": "democratic",
    "democrat": "democratic", "gov": "governor", "sen": "senator", "rep": "representative",
    "pres": "president", "dept": "department", "st": "saint", "mt": "mount", "ft": "fort", "jr": "junior",
    "co": "company", "corp": "corporation", "inc": "", "ltd": "", "american": "united states",
    "team usa": "united states", "olympic games": "olympics", "olympic": "olympics",
}
_TITLES = frozenset(
    {"governor", "senator", "representative", "president", "mayor", "judge", "justice", "secretary", "minister",
     "prime", "chief", "ceo", "mr", "mrs", "ms", "dr", "sir", "the", "former", "gen", "general", "king", "queen",
     "prince", "princess", "new", "york", "supreme", "court"}
)
_PARTIES = frozenset({"republican", "democratic", "labour", "conservative", "liberal", "independent"})
# A "name" that is a weekday, a relative word or a section label is no entity of its own.
_NOT_ENTITIES = re.compile(
    r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tonight|yesterday|tomorrow|"
    r"more|related|read more|opinion|background|watch|photos?|video|contact|staff report|at odds|"
    r"thanksgiving|christmas|easter|halloween|hanukkah|new year|independence day|[a-z' ]+ (?:day|eve))\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"/|\b(?:Getty|Images|Reuters|AFP|AP Photo|Bloomberg|WireImage)\b")
_SECTION_PREFIX = re.compile(r"^[\w &']{0,30}:(?=\S)")  # "More:LeBron James", "NBA:LeBron"


def words_of(surface: str) -> list[str]:
    """Lowercased, unaccented words with abbreviations spelt out and a section label ("More:") dropped."""
    plain = unicodedata.normalize("NFKD", _SECTION_PREFIX.sub("", surface)).encode("ascii", "ignore").decode()
    plain = re.sub(r"(?<=\b[A-Za-z])\.(?=[A-Za-z]\b)", "", plain).lower()  # "U.S." -> "us"
    text = " ".join(re.sub(r"[’']s\b", "", w) for w in re.findall(r"[a-z0-9’'&]+", plain))
    for short, full in _ABBREVIATIONS.items():
        text = re.sub(rf"\b{re.escape(short)}\b", full, text)
    return text.split()


def is_entity(surface: str) -> bool:
    """False for photo credits, weekdays, section labels and words that only start a sentence."""
    stripped = _SECTION_PREFIX.sub("", surface).strip()
    return bool(stripped) and not _CREDIT.search(surface) and not _NOT_ENTITIES.match(stripped)


def same_by_form(left: str, right: str) -> bool:
    """One entity by its written form: the same words once spelt out, one the initials of the other, the
    same words bar a title or party label, or one misspelling apart."""
    a, b = words_of(left), words_of(right)
    if not a or not b or a == b:
        return bool(a) == bool(b)
    if _initials(a) == "".join(b) or _initials(b) == "".join(a):
        return True
    core_a, core_b = set(a) - _TITLES - _PARTIES, set(b) - _TITLES - _PARTIES
    if not core_a or not core_b or core_a <= core_b or core_b <= core_a:
        return True  # "Republican Gov" / "GOP Gov": what is left is a title or nothing
    return difflib.SequenceMatcher(None, "".join(a), "".join(b)).ratio() >= SAME_SPELLING_MIN_RATIO


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w not in {"of", "the", "and", "for"})


def same_entity(left: str, right: str, embeddings: Embeddings) -> bool:
    """One entity in other words, by form or by meaning (the two spans embedded side by side)."""
    if same_by_form(left, right):
        return True
    vectors = np.asarray(embeddings.embed_documents([" ".join(words_of(left)), " ".join(words_of(right))]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    return float(vectors[0] @ vectors[1]) >= SAME_ENTITY_MIN_COSINE
