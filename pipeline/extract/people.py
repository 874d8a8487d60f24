"""People, and only people: is a phrase a personal name, and what does a line say of a person.

A candidate is a personal name when its words have the shape of one, none of them is a word of a
heading, a format, an organization or a position (pipeline.model.vocabulary), and probablepeople does not
read it as a corporation, unless the slot it sits in is a person slot of a form ("Speaker 3:", a
caption turn) where capitals or odd casing are normal. What a line says of a person splits as
CONVENTIONS.md has it: name, position, organization (the top-level institution of a one-line string,
the first of two affiliations, never a biography) and country (only when stated for the person).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.model.names import country_name
from pipeline.model.text import fold
from pipeline.model.vocabulary import (GENDERS, NOT_NAME_WORDS, ORG_WORDS, POSITION_WORDS, REGIONAL_GROUPS,
                                 STAKEHOLDER_GROUPS)

# Honorifics, ranks and courtesy titles before a name (stripped, CONVENTIONS.md).
_TITLES = (
    r"(?:his|her|your)\s+(?:excellency|excellence|royal highness)|h\.\s?e\.?|he(?=\s+(?:mr|ms|dr|amb|prof)\b)|"
    r"excellency|the\s+rt\.?\s+hon(?:ourable|orable)?\.?|the\s+hon(?:ourable|orable)?\.?|rt\.?\s+hon\.?|"
    r"hon(?:ourable|orable)?\.?|mr|mrs|ms|mdm|madam|miss|mx|dr|prof|professor|"
    r"(?:assoc(?:iate)?|asst|assistant|adj(?:unct)?|a/)\.?\s*prof(?:essor)?\.?|a/prof|"
    r"sir|dame|lord|lady|shri|smt|sri|dato'?\s*sri|dato'?|datuk|tan\s+sri|puan|encik|engr|engineer|eng|rev|fr|"
    r"sheikh|sheikha|justice|senator|congressman|congresswoman|minister|deputy\s+minister|"
    r"(?:cyber\s+)?ambassador|amb|"
    r"(?:lt\.?|lieutenant|maj\.?|major|brig\.?|brigadier|vice|rear)?\s*(?:gen\.?|general|adm\.?|admiral|col\.?|colonel|"
    r"capt\.?|captain|cdr\.?|commander)(?:\s*\(ret\.?\))?|ltg|lt\.?\s*gen\.?|maj\.?\s*gen\.?|"
    r"president|mag\s+member|keynote\s+speaker"
)
_LEADING_TITLE = re.compile(rf"^(?:{_TITLES})\.?(?:\s*\(ret(?:ired)?\.?\))?\s*,?\s+", re.I)
# Post-nominals after a name: "SC", "GCB", "Ph.D", "(Ret.)"; a generational suffix stays with the name.
_POSTNOMINAL = re.compile(r"(?:,?\s+(?:SC|KC|QC|GCB|KCB|KCMG|CMG|OBE|CBE|MBE|Ph\.?\s?D\.?|MD|Esq\.?|MP|"
                          r"\(ret\.?\)|\(retd\.?\)|\(TBC\)|\(tbc\)))+\s*$")
# The last character of each post-nominal: a name ending otherwise has none to strip.
_POSTNOMINAL_ENDS = frozenset("CBGEDqP.)")
_MOJIBAKE_TOKEN = re.compile("[\u00c0-\u00ff]{2,}")  # a word made only of Latin-1 accented letters
_GENERATIONAL_TAIL = re.compile(r",?\s+(?:jr|sr|ii|iii|iv)\.?$", re.I)
_NICKNAME = re.compile(r"\s\([A-Z][a-z]+\)\s")
_PARTICLES = frozenset({"van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "dos", "das",
                        "do", "bin", "binti", "bte", "bt", "binte", "al", "el", "ibn", "y", "e", "ter", "ten", "zu",
                        "af", "mac", "st.", "st"})
# Name-shaped but never a name: common surnames that are also position words are allowed back.
_SURNAMES_TOO = frozenset({"chancellor", "major", "marshall", "judge", "dean", "bishop", "king", "prince", "general",
                           "lead", "head", "partner", "young", "member", "officer", "rector", "mayor", "chair",
                           "deputy", "fellow", "host", "speaker", "moderator"})
_NAME_TOKEN = re.compile(r"^(?:[^\W\d_][\w'’.\-–]*|\w+[’'][^\W\d_]\w*)$", re.UNICODE)
# Capital letters of the Latin scripts (Š, Ł, Ž ...), for patterns that find names in running text.
UPPER = "".join(chr(c) for c in range(0x41, 0x250) if chr(c).isupper())


@lru_cache(maxsize=65536)  # names repeat across documents; the result is two immutable strings
def split_titles(text: str) -> tuple[str | None, str]:
    """("Lt. General (Ret.)", "Harry D. Raduege") for "Lt. General (Ret.) Harry D. Raduege": the
    honorifics, ranks and courtesy titles before a name, and the rest without post-nominals."""
    text = " ".join(text.split()).strip(" ,;:")
    removed = []
    if text.startswith("HE ") and text[3:4].isupper():  # "HE" in capitals is His/Her Excellency; "He Yi" a surname
        removed.append("HE")
        text = text[3:]
    for _ in range(5):
        match = _LEADING_TITLE.match(text + " ")
        if not match or match.end() >= len(text) + 1:
            break
        removed.append(match.group(0).strip(" ,"))
        text = text[match.end():].strip(" ,")
    return (" ".join(removed) or None), _without_postnominals(text).strip(" ,;:")


def _without_postnominals(text: str) -> str:
    """`text` without the post-nominals that end it; _POSTNOMINAL is anchored at the end, so a text
    whose last non-blank character ends none of them is not scanned."""
    if text.rstrip()[-1:] not in _POSTNOMINAL_ENDS:
        return text
    return _POSTNOMINAL.sub("", text)


def strip_titles(text: str) -> str:
    """Honorifics, ranks and post-nominals removed: "Lt. General (Ret.) Harry D. Raduege" -> "Harry D. Raduege"."""
    return split_titles(text)[1]


@lru_cache(maxsize=65536)
def _corporation(name: str) -> bool:
    # imported on first use (its tagger model costs ~0.08 s to load): a re-build whose changed documents
    # name no one it must weigh never loads it; the pools' workers have it preloaded (pipeline.shards)
    import probablepeople

    try:
        tagged, kind = probablepeople.tag(name)
    except probablepeople.RepeatedLabelError:
        return False
    return kind == "Corporation"


@lru_cache(maxsize=65536)
def is_person_name(name: str, slot: bool = False, strict: bool = False) -> bool:
    """Does `name` (titles already stripped) read as a personal name? `slot`: it stands where a form
    or a transcript puts a person (odd casing and a single surname are then allowed). `strict`: no
    structure vouches for it (a name found in prose), so probablepeople must not read it as a
    corporation either."""
    shaped = _name_shape(name, slot)
    if shaped is None:
        return False
    name, tokens = shaped
    words = [t.strip(".,'’").lower() for t in tokens]
    cased = _capitalised_name_words(tokens, words, slot)
    if cased is None or not _cased_like_a_name(tokens, words, cased, slot):
        return False
    if _names_a_place_or_group(name, tokens):
        return False
    return not (strict and _corporation(name))


def _name_shape(name: str, slot: bool) -> tuple[str, list[str]] | None:
    """The candidate without nickname and generational suffix, and its words, when it has the outward
    shape of a name: no digits, no punctuation a name never has, two to six words (one in a slot),
    no undecoded bytes."""
    if not name or len(name) > 60 or _has_digit(name):
        return None
    name = _without_generational_tail(_without_nickname(name)).strip()
    if _NAME_FORBIDDEN.search(name):
        return None
    tokens = name.replace("–", "-").split()
    if not (2 <= len(tokens) <= 6) and not (slot and len(tokens) == 1 and len(tokens[0]) > 2):
        return None
    if "\ufffd" in name or not name.isascii() and any(_MOJIBAKE_TOKEN.fullmatch(t) for t in tokens):
        return None  # bytes that did not decode: "ÿþý broken" is no one's name (an ASCII name has no such word)
    return name, tokens


def _without_nickname(name: str) -> str:
    """`name` with a bracketed nickname blanked (_NICKNAME), not searched for without a bracket."""
    return _NICKNAME.sub(" ", name) if "(" in name else name


# The last letter of every generational suffix, in any case re.IGNORECASE matches ("ı", "İ" match "i").
_GENERATIONAL_ENDS = frozenset("rRiIvV\u0130\u0131")


def _without_generational_tail(name: str) -> str:
    """`name` without the generational suffix that ends it (_GENERATIONAL_TAIL, anchored at the end, where
    `$` also matches before a final newline); a name whose last letter ends no suffix is not scanned."""
    if name.rstrip("\n.")[-1:] not in _GENERATIONAL_ENDS:
        return name
    return _GENERATIONAL_TAIL.sub("", name)


_ASCII_DIGIT = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    """Whether a character of `text` is a digit (str.isdigit); in ASCII text only 0-9 are, found by one scan."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(ch.isdigit() for ch in text)


def _capitalised_name_words(tokens: list[str], words: list[str], slot: bool) -> int | None:
    """How many words start with a capital, or None when a word is never part of a name (a heading,
    organization or position word, a token of the wrong shape, an article)."""
    cased = 0
    for token, word in zip(tokens, words):
        if word in _PARTICLES:
            continue
        if word in NOT_NAME_WORDS or word in ORG_WORDS:
            return None
        if word in POSITION_WORDS and word not in _SURNAMES_TOO:
            return None
        if not _NAME_TOKEN.match(token) or (token in ("A", "I") and not slot):
            return None  # "A Year Later": an article, not an initial
        if token[:1].isupper():
            cased += 1
    return cased


def _cased_like_a_name(tokens: list[str], words: list[str], cased: int, slot: bool) -> bool:
    """Outside a person slot a name capitalises every word but its particles, and is not all in capitals."""
    if slot:
        return True
    if cased == 0:
        return False
    if all(len(t) > 2 and t.isupper() for t in tokens if t.lower() not in _PARTICLES):
        return False  # "MOCK ARBITRATION": a heading in capitals; a capitalised surname comes with a given name
    # "Minister of Digital affairs": a name capitalises every word but its particles
    return cased >= len([w for w in words if w not in _PARTICLES])


def _names_a_place_or_group(name: str, tokens: list[str]) -> bool:
    """"Esri Singapore", "Lithuania", a stakeholder or regional group."""
    if country_name(name) or any(len(t) > 3 and country_name(t) for t in tokens[-1:]):  # no lookup of a short word
        return True
    folded = fold(name)
    return folded in STAKEHOLDER_GROUPS or folded in REGIONAL_GROUPS


_NAME_FORBIDDEN = re.compile(r"[@/\\|()\[\]{}<>:;!?=+*#%$&\"“”]")
_ENDS_WITH_INITIAL = re.compile(r"(?:\b[A-Z]|\b[JS]r)\.$")
_FINAL_STOP = re.compile(r"\s*\.$")


@lru_cache(maxsize=65536)  # the same name is cleaned many times (a list, then each person in it)
def clean_name(text: str) -> str:
    """The name as recorded: titles stripped, quotes and stray punctuation gone, a duplicated last
    token repaired ("Ann Lee Lee" -> "Ann Lee"), casing kept."""
    name = strip_titles(text.strip(" \"'“”‘’*•-–"))
    if "." in name and not _ENDS_WITH_INITIAL.search(name):  # both patterns need a "."
        name = _FINAL_STOP.sub("", name)
    tokens = name.split()
    if len(tokens) >= 3 and tokens[-1] == tokens[-2]:
        tokens = tokens[:-1]
    return " ".join(tokens)


# -- what a line says of a person -------------------------------------------------------------------
@dataclass
class PersonLine:
    name: str
    position: str | None = None
    organization: str | None = None
    country: str | None = None
    stakeholder_group: str | None = None
    regional_group: str | None = None
    honorific: str | None = None
    extra: list[str] = field(default_factory=list)   # what was left out: second affiliations, units


_PAREN_TAIL = re.compile(r"\(([^()]*)\)\s*$")
_STATUS_MARK = re.compile(r"\s*\((?:tbc|tbd|confirmed|to be confirmed|invited|via video|virtual|online|remote|"
                          r"keynote speaker|moderator|chair|government|private|private sector|civil society|academia|"
                          r"technical community|intergovernmental|igo|ngo)\)\s*", re.I)
_AT = re.compile(r"\s+(?:at|@)\s+")
_OF = re.compile(r"\s+(?:of|for|with)\s+(?:the\s+)?")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9&*\-]{1,9}$")
_CAMEL = re.compile(r"^[A-Z][a-z]+[A-Z]\w*$")


@lru_cache(maxsize=65536)  # the same segment is asked org-like, position-like and has-org-word: split it once
def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip(".,()'’\"").lower() for w in text.replace("/", " ").replace("-", " ").split())


@lru_cache(maxsize=65536)  # the same affiliation lines are asked again and again (a card's lines, per document)
def is_organization_like(segment: str) -> bool:
    """An organization's name rather than a position or a description."""
    text = segment.strip()
    if not text or len(text) > 120:
        return False
    words = _words(text)
    if any(w in ORG_WORDS for w in words):
        return True
    if any(w in POSITION_WORDS for w in words):
        return False
    if _ACRONYM.match(text) and any(c.isupper() for c in text[1:]) or _CAMEL.match(text):
        return True
    capitals = [w for w in text.split() if w[:1].isupper() or w[:1].isdigit()]
    return len(text.split()) <= 8 and len(capitals) >= max(1, len(text.split()) - 2)


def _has_org_word(segment: str) -> bool:
    return any(w in ORG_WORDS for w in _words(segment))


def _continues_name(segment: str) -> bool:
    """"Information and Communications": the rest of a name that a comma cut, not an institution of its own."""
    return (" and " in segment or " & " in segment) and not _has_org_word(segment) and not _ACRONYM.match(segment) \
        and not _CAMEL.match(segment) and not is_position_like(segment)


def is_position_like(segment: str) -> bool:
    """A position ("Chief Technology Officer", "Head of Public Policy"): a position word opens or closes it."""
    words = [w for w in _words(segment) if w]
    return bool(words) and (words[0] in POSITION_WORDS or words[-1] in POSITION_WORDS) and words[-1] not in ORG_WORDS


def _split_top(text: str, separators: str = ",") -> list[str]:
    """Split on separators outside parentheses."""
    if "(" not in text and "[" not in text:  # no bracket opens, so every separator is at the top: a plain split
        for other in separators[1:]:
            text = text.replace(other, separators[0])
        return [p.strip() for p in text.split(separators[0]) if p.strip()]
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def refusal_reason(text: str) -> str:
    """Why a line in a person slot is not a person, in a few words."""
    from pipeline.model.names import speaker_kind
    kind = speaker_kind(text)
    if kind in ("placeholder", "team", "label"):
        return f"a {kind}"
    first = text.split(",")[0]
    if is_organization_like(first) and _has_org_word(first):
        return "an organization"
    if len(text.split()) > 8:
        return "a sentence"
    return "not a personal name"


# compiled once, not looked up in re's cache on every call
_POSITION_IN_BRACKETS = re.compile(r"^(?P<pos>[^()]+?)\s*\((?P<org>[^()]+)\)$")
_FROM_ORG = re.compile(r"\s+from\s+")
_JOINER = re.compile(r"\s+(of|for|with)\s+")
_UPPER_ACRONYM = re.compile(r"[A-Z][A-Z0-9&*\-]{1,9}")
_INSTITUTION_TAIL = re.compile(r"\s+(?:for|at|of)\s+(?:the\s+)?(?P<org>[A-Z].+)$")


def _org_from_position(segment: str) -> tuple[str | None, str | None]:
    """"Executive Director of X at Y" -> (position, Y); "Chief Technology Officer of MND" -> (.., MND);
    "Chief Executive (Ghana Cyber Authority)" -> (Chief Executive, Ghana Cyber Authority)."""
    inner = _POSITION_IN_BRACKETS.match(segment)
    if inner and is_position_like(inner.group("pos")) and _has_org_word(inner.group("org")):
        return inner.group("pos").strip(), inner.group("org").strip()
    source = _FROM_ORG.split(segment, maxsplit=1)
    if len(source) == 2 and is_organization_like(source[1]):
        return source[0], source[1].strip()
    at = _AT.split(segment)
    if len(at) > 1 and is_organization_like(at[-1]):
        return " at ".join(at[:-1]), at[-1].strip()
    of = _OF.split(segment, maxsplit=1)
    # "Editor of X": X is an institution; "Director for Cyber Policy": a domain unless it names an institution
    joiner = _JOINER.search(segment)
    strong = bool(len(of) > 1 and (_has_org_word(of[1]) or _UPPER_ACRONYM.fullmatch(of[1].split()[0])
                                   or _CAMEL.match(of[1].split()[0])))
    if len(of) > 1 and is_position_like(of[0]) and is_organization_like(of[1]) and (
            strong or (joiner and joiner.group(1) == "of")):
        org = of[1].strip()
        # "Director of International Relations for the Swiss Federal Office": the institution is the last part
        tail = _INSTITUTION_TAIL.search(org)
        if tail and _has_org_word(tail.group("org")) and not _has_org_word(org[:tail.start()]):
            return f"{of[0]} of {org[:tail.start()]}", tail.group("org")
        return of[0], org
    return segment, None


def country_of_segment(segment: str) -> str | None:
    """"Norway" -> "Norway"; "USA" -> "USA" (as written); None unless the whole segment is a country."""
    text = segment.strip(" .")
    return text if country_name(text) else None


def _copy(person: PersonLine | None) -> PersonLine | None:
    """A copy the caller may change without changing the cached parse: its fields as they are (in the
    same order), with a list of its own; dataclasses.replace would run __init__ again, three times slower."""
    if person is None:
        return None
    clone = object.__new__(PersonLine)
    clone.__dict__.update(person.__dict__)
    clone.extra = list(person.extra)
    return clone


copy_person = _copy  # for the other readers that cache people (pipeline.extract.prose)


def parse_affiliation(text: str | None) -> PersonLine:
    """Position, organization and country from what follows a name."""
    return _copy(_parse_affiliation(text))


@lru_cache(maxsize=65536)  # affiliations repeat across documents; parse_affiliation hands out copies
def _parse_affiliation(text: str | None) -> PersonLine:
    out = PersonLine("")
    if not text:
        return out
    text = _STATUS_MARK.sub(" ", text).strip(" ,;:-–—.")
    affiliations = [a for a in _split_top(text, ";") if a]
    if not affiliations:
        return out
    out.extra = affiliations[1:]
    kept = _without_groups(_affiliation_segments(affiliations[0]), out)
    _take_country(kept, out)
    org_index = _organization_index(kept)
    if org_index is not None:
        kept = _take_organization(kept, org_index, out)
    out.position = ", ".join(kept) or None
    return out


_SPACED_DASH = re.compile(r"\s+[-–—]\s+")  # compiled once, as the patterns below


def _affiliation_segments(affiliation: str) -> list[str]:
    """The comma-separated segments of one affiliation; "Position - Org": a spaced dash separates too,
    where commas do not."""
    segments = _split_top(affiliation.replace(" | ", ", "), ",")
    flat: list[str] = []
    for segment in segments:
        flat.extend(p.strip() for p in _SPACED_DASH.split(segment) if p.strip())
    return flat


_BRACKET_TAIL = re.compile(r"\s*\(.*\)$")


def _without_groups(segments: list[str], out: PersonLine) -> list[str]:
    """The segments left once gender, stakeholder group and regional group are set aside (the groups go on `out`)."""
    kept: list[str] = []
    for segment in segments:
        folded = fold(segment)
        if folded in GENDERS:
            continue
        if folded in STAKEHOLDER_GROUPS and not out.stakeholder_group:
            out.stakeholder_group = segment
            continue
        if folded in REGIONAL_GROUPS or fold(_BRACKET_TAIL.sub("", segment)) in REGIONAL_GROUPS:
            out.regional_group = out.regional_group or segment
            continue
        kept.append(segment)
    return kept


def _take_country(kept: list[str], out: PersonLine) -> None:
    """A last segment (or the only one) that is a country is the person's country."""
    if len(kept) > 1 and country_of_segment(kept[-1]):
        out.country = country_of_segment(kept.pop())
    elif len(kept) == 1 and country_of_segment(kept[0]):
        out.country = country_of_segment(kept.pop())


def _organization_index(kept: list[str]) -> int | None:
    """Where the organization is: the last organization-like segment (the top-level institution of a
    one-line string), or the institution a position segment names ("Director of X at Y"), which is
    then cut out into a segment of its own."""
    for i in range(len(kept) - 1, -1, -1):
        position, org = _org_from_position(kept[i])
        if org:
            kept[i] = position
            kept.insert(i + 1, org)
            return i + 1
        if is_organization_like(kept[i]) and not is_position_like(kept[i]):
            return i
    return None


_LEADING_THE = re.compile(r"^the\s+(?=[A-Z])")
_IN_COUNTRY = re.compile(r"^(?P<org>.+?)\s+in\s+(?P<country>[A-Z][\w ]+)$")


def _take_organization(kept: list[str], org_index: int, out: PersonLine) -> list[str]:
    """Set the organization (and a country it is "in") on `out`; the segments left are the position.
    "Ministry of Digital Development, Information and Communications" is one name cut by a comma."""
    organization = _LEADING_THE.sub("", kept[org_index].strip(" ."))
    located = _IN_COUNTRY.match(organization)
    if located and country_name(located.group("country")) and not out.country:
        organization, out.country = located.group("org"), located.group("country")
    if org_index > 0 and _continues_name(organization) and _has_org_word(kept[org_index - 1]):
        org_index -= 1
        organization = f"{kept[org_index]}, {organization}"
        del kept[org_index + 1]
    out.organization = organization
    return kept[:org_index] + kept[org_index + 1:]


_GENERATIONAL = re.compile(r"(jr|sr|ii|iii|iv)\.?(?=,|\s|$)", re.I)
_NAME_END = re.compile(r"\s*(?:,|\s[-–—]\s|\s\((?![A-Z][a-z]+\)\s)|(?<=[a-z]{2})\.\s|\s\|\s|:\s)")
_NAME_END_MARK = re.compile(r"[,\-–—(.|:]")  # every way _NAME_END ends a name has one of these


def _name_end(body: str) -> re.Match | None:
    """Where the name that opens `body` ends (_NAME_END). A match is blanks, then a mark or one blank and
    a mark, so none begins before the blanks that precede the first mark: the search starts there (a
    lookbehind still sees the text before the start)."""
    mark = _NAME_END_MARK.search(body)
    if mark is None:
        return None
    start = mark.start()
    while start and body[start - 1].isspace():
        start -= 1
    return _NAME_END.search(body, start)


def parse_person_line(text: str, slot: bool = False) -> PersonLine | None:
    """A line that starts with a person: "Name, Position, Org", "Name – Position, Org; Position, Org",
    "Name (Position, Org)", "Name. Position, Org", "Name, Position - Org | Country". None when the
    line does not start with a personal name."""
    return _copy(_parse_person_line(text, slot))


@lru_cache(maxsize=65536)  # the same speaker lines recur across documents; parse_person_line hands out copies
def _parse_person_line(text: str, slot: bool) -> PersonLine | None:
    text = " ".join(text.split()).strip(" •*-–—·")
    if not text:
        return None
    honorific, body = split_titles(text)
    # "Ross Perot, Jr., Co-Chairman, ..." keeps its generational suffix
    cut = _name_end(body)
    name, rest = (body[:cut.start()], body[cut.start():]) if cut else (body, "")
    tail = rest.lstrip(" ,")
    suffix = _GENERATIONAL.match(tail) if rest.lstrip().startswith(",") else None  # a suffix comes after a comma
    if suffix:
        name = f"{name}, {suffix.group(0)}"
        rest = tail[suffix.end():]
    name = clean_name(name)
    if not is_person_name(name, slot or bool(honorific)):  # "Ms JŪRATĖ ŠOVIENĖ": an honorific vouches for capitals
        return None
    rest = rest.strip()
    if rest.startswith("("):
        # "Name (Affiliation)" and what may follow the bracket: a talk topic after a colon is not the affiliation
        depth, close = 0, -1
        for k, ch in enumerate(rest):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                close = k
                break
        rest = rest[1:close] if close > 0 else rest.strip("() ")
    info = parse_affiliation(rest.lstrip(".,:|-–— "))  # a copy: naming it leaves the cached affiliation as it was
    info.name = name
    info.honorific = honorific
    return info


# -- lists of people --------------------------------------------------------------------------------
_AND = re.compile(r"\s+(?:and|&)\s+")


def split_people(value: str, slot: bool = True) -> list[PersonLine]:
    """"A, B and C" / "A (Position), B (Position)" / "A, Position, Org; B, Position" / "A, Position and B,
    Position": every person in a list, each with what follows their name."""
    value = " ".join(value.split()).strip(" .;,")
    if not value:
        return []
    segments = _list_segments(value)
    people: list[PersonLine] = []
    current: list[str] = []

    def close() -> None:
        if current:
            person = parse_person_line(", ".join(current), slot)
            if person:
                people.append(person)
    for i, segment in enumerate(segments):
        if _starts_person(segments, i, bool(current), bool(people)):
            close()
            current = [segment]
        elif current:
            current.append(segment)
    close()
    return people


def _list_segments(value: str) -> list[str]:
    """The comma and semicolon segments of a list, with "A and B" cut in two where what follows "and" is a name."""
    segments: list[str] = []
    for part in _split_top(value, ",;"):
        pieces = _AND.split(part)
        if len(pieces) > 1 and all(is_person_name(clean_name(p), False) for p in pieces[1:]):
            segments.extend(pieces)
        elif len(pieces) > 1 and is_person_name(clean_name(_NAME_END.split(pieces[-1])[0]), False):
            segments.append(" and ".join(pieces[:-1]))
            segments.append(pieces[-1])
        else:
            segments.append(part)
    return segments


def _starts_person(segments: list[str], i: int, in_person: bool, have_people: bool) -> bool:
    """Does segment `i` start a new person rather than continue the one before (its position or organization)?
    It must lead with a name, and: nothing is open, or it brings its own bracket, or it is the last and only
    candidate, or the next segment is its affiliation, or the list is names only."""
    segment = segments[i]
    # what precedes the first bracket, without the blanks before it (as re.split(r"\s*\(", segment)[0])
    if not is_person_name(clean_name(segment.split("(", 1)[0].rstrip()), False):
        return False
    if not in_person or "(" in segment:
        return True
    if i + 1 == len(segments) and not have_people and not is_organization_like(segment):
        return True
    if i + 1 < len(segments) and _says_who_someone_is(segments[i + 1]):
        return True
    return _all_names(segments)


def _says_who_someone_is(segment: str) -> bool:
    """A segment that says who someone is (a position or a bracket) and does not start with a name."""
    return not is_person_name(clean_name(segment.split("(")[0]), False) and (is_position_like(segment) or "(" in segment)


def _all_names(segments: list[str]) -> bool:
    return all(is_person_name(clean_name(s), False) for s in segments)
