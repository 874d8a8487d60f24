"""People and speakers: honorifics, name keys, countries, and what kind of speaker a label is.

A person is matched across documents by `person_key`: honorifics removed, mojibake repaired,
diacritics folded, case ignored, a repeated token dropped, token order ignored ("XU Yuan" = "Yuan XU").
"""
from __future__ import annotations

import re
from functools import lru_cache

import pycountry

from pipeline.model.text import clean_inline, collapse_ws, fold

# Honorifics are courtesy forms, not part of a name. Deliberately short: words that are also
# given names or positions (Dean, Judge, Minister) stay in the name.
_HONORIFIC_RE = re.compile(
    r"^(?:(?:his|her|your)\s+excellency|excellency|h\.\s?e\.?|mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|"
    r"hon|honou?rable|the\s+honou?rable|amb|ambassador|rev|dato'?|datuk|tan\s+sri|mme)\b\.?\s*,?\s+",
    re.IGNORECASE,
)
# "H.E." must carry its dots: a bare "He" is also a surname (see _HONORIFIC_RE).

NON_PERSON_LABELS = {
    "introduction", "moderator", "audience", "participant", "participants", "chair", "chairperson",
    "co-chair", "speaker", "unknown speaker", "unidentified speaker", "video", "narrator", "host",
    "facilitator", "rapporteur", "online moderator", "panel", "panelist", "panellist", "floor",
    "question", "q&a", "all", "interpreter", "announcer", "mc", "master of ceremonies", "secretariat",
}
_LABEL_RE = re.compile(
    r"^(?:(?:unknown|unidentified)\s+)?(?:speaker|participant|audience(?: member)?|panel(?:l)?ist|moderator|chair)\s*\d*$",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(r"^[\[(<{]?\s*(?:name of |insert |tbc|tbd|to be confirmed|speaker\s*\d+\b|xxx)", re.I)
_TEAM_RE = re.compile(r"^(?:team|delegation|group|working group|committee)\b|\b(?:team|delegation)$", re.I)
SUPRANATIONAL = {"european union", "eu", "african union", "asean", "united nations", "un", "oas", "nato", "osce"}

COUNTRY_ALIASES = {
    "russia": "Russian Federation", "korea": "Korea, Republic of", "south korea": "Korea, Republic of",
    "republic of korea": "Korea, Republic of", "north korea": "Korea, Democratic People's Republic of",
    "uk": "United Kingdom", "great britain": "United Kingdom", "britain": "United Kingdom",
    "usa": "United States", "us": "United States", "u.s.": "United States", "the netherlands": "Netherlands",
    "turkey": "Türkiye", "turkiye": "Türkiye", "iran": "Iran, Islamic Republic of", "vietnam": "Viet Nam",
    "laos": "Lao People's Democratic Republic", "syria": "Syrian Arab Republic", "tanzania": "Tanzania, United Republic of",
    "bolivia": "Bolivia, Plurinational State of", "venezuela": "Venezuela, Bolivarian Republic of",
    "moldova": "Moldova, Republic of", "czech republic": "Czechia", "ivory coast": "Côte d'Ivoire",
    "palestine": "Palestine, State of", "taiwan": "Taiwan, Province of China", "brunei": "Brunei Darussalam",
}


@lru_cache(maxsize=65536)
def strip_honorifics(name: str) -> tuple[str, tuple[str, ...]]:
    """Remove leading honorifics ("H.E. Mr. X" -> "X"); returns the name and what was removed."""
    removed: list[str] = []
    name = collapse_ws(name)
    while True:
        match = _HONORIFIC_RE.match(name + " ")
        if not match or len(name) <= len(match.group(0).strip()):
            break
        removed.append(match.group(0).strip().rstrip(","))
        name = name[match.end():].strip() if match.end() <= len(name) else ""
    return name.strip(" ,;"), tuple(removed)


_MODERATOR_MARK = re.compile(r"\s*[\[(]\s*(moderator|chair|co-chair|rapporteur|online moderator|keynote)\s*[\])]\s*", re.I)


def split_role_mark(name: str) -> tuple[str, str | None]:
    """"Ms Y [Moderator]" -> ("Ms Y", "moderator")."""
    match = _MODERATOR_MARK.search(name) if "(" in name or "[" in name else None  # the mark is in brackets
    if not match:
        return name, None
    return (name[: match.start()] + " " + name[match.end():]).strip(), match.group(1).lower()


def person_display_name(raw: str) -> str | None:
    """The name as written, cleaned of markup and honorifics; None when nothing is left."""
    text = clean_inline(raw)
    if not text:
        return None
    text, _ = strip_honorifics(text)
    return text or None


def _repair_lost_byte(value: str) -> str:
    # "MatÃas": UTF-8 "í" (C3 AD) read as cp1252 leaves "Ã" + a soft hyphen that editors drop.
    return re.sub(r"Ã(?=[a-zà-ÿ])", "í", value)


@lru_cache(maxsize=65536)
def person_key(name: str) -> str:
    """The matching key of a person's name (see module docstring)."""
    name, _ = strip_honorifics(_repair_lost_byte(name))
    tokens = fold(name).split()
    deduped: list[str] = []
    for token in tokens:
        if not deduped or deduped[-1] != token:
            deduped.append(token)
    return " ".join(sorted(deduped))


@lru_cache(maxsize=65536)  # a miss costs a scan of pycountry; misses repeat (every token of a name is asked)
def country_name(value: str | None) -> str | None:
    """The ISO 3166 short name of a country written in any common form, or None if it is not one."""
    if not value:
        return None
    text = collapse_ws(clean_inline(value) or "").strip(" .,;")
    if not text:
        return None
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    if _may_be_in_pycountry(text):
        try:
            return pycountry.countries.lookup(text).name
        except LookupError:
            pass
    if text.lower().startswith("the "):
        return country_name(text[4:])
    return None


@lru_cache(maxsize=1)
def _pycountry_values() -> frozenset[str]:
    """Every field of every country, in lower case: pycountry.countries.lookup finds a text only when
    its lower case is one of them (an index key, or a non-indexed field compared in lower case)."""
    return frozenset(value.lower() for country in pycountry.countries
                     for value in country._fields.values() if isinstance(value, str))


def _may_be_in_pycountry(text: str) -> bool:
    """Whether pycountry's lookup can find `text`: a miss scans every country, a set lookup does not."""
    return text.lower() in _pycountry_values()


def is_place(value: str | None) -> bool:
    """A country or a union of countries (the last line of a speaker card)."""
    return bool(value) and (country_name(value) is not None or fold(value) in SUPRANATIONAL or fold(value) == "european union")


@lru_cache(maxsize=65536)
def speaker_kind(label: str) -> str:
    """person | label | delegation | team | placeholder."""
    text = collapse_ws(clean_inline(label) or "")
    folded = fold(text)
    if not folded:
        return "placeholder"
    if _PLACEHOLDER_RE.match(text):
        return "placeholder"
    if folded in NON_PERSON_LABELS or _LABEL_RE.match(text):
        return "label"
    if is_place(text) or folded in SUPRANATIONAL:
        return "delegation"
    if _TEAM_RE.search(text):
        return "team"
    return "person"


_ORG_STOPWORDS = {"of", "the", "and", "for", "de", "la", "des", "du", "del", "a", "an", "in", "on"}
_SESSION_CODE = re.compile(
    r"^(?:igf\s*\d{4}\s*[-–]?\s*(?:day\s*\d+\s*[-–]?\s*)?)?"
    r"(?:ws|workshop|of|open forum|lightning talk|lt|dc|dynamic coalition|town hall|networking session|ns|"
    r"day 0 event|main session|launch|award)\s*#?\s*\d+\s*[:.\-–]?\s*", re.I)


@lru_cache(maxsize=65536)
def country_key(value: str | None) -> str | None:
    """A country as written -> comparison key of its name ("Brasil", "Brazil" -> "brazil")."""
    if not value:
        return None
    return fold(country_name(value) or value)


@lru_cache(maxsize=65536)
def organization_tokens(value: str | None) -> frozenset:
    """The words of an organization's name that say which one it is (no articles or prepositions)."""
    return frozenset(fold(value).split()) - _ORG_STOPWORDS if value else frozenset()


def session_title_key(title: str | None) -> str:
    """Folded title without a leading session code ("WS #123: ...") so that a proposal and its report meet."""
    return fold(_SESSION_CODE.sub("", title.strip())) if title else ""
