"""People named in running text: "moderated by Dr X, Position of Org", "Mr X (Position, Org)",
"Org’s Director Y", "Keynote speaker Z, President of the Office in Poland", "W from Org".

Only names that the sentence itself presents as taking part count: after an honorific, with a
position beside them, after a role phrase ("moderated by", "featuring", "joined moderator"), or
with the organization they come from. A name that is only mentioned, quoted or thanked is not taken
(CONVENTIONS.md); a name inside a quoted title is not a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract.people import (UPPER, PersonLine, _has_org_word, clean_name, copy_person, is_organization_like,
                                     is_person_name, parse_affiliation, split_people, strip_titles)
from pipeline.model.names import country_name

_HONORIFIC = (r"(?:Mr|Mrs|Ms|Mdm|Dr|Prof|Professor|Associate Professor|Assoc Prof|Ambassador|Amb|H\.E\.|HE|"
              r"His Excellency|Her Excellency|Sir|Dame|Shri|Smt|Senator|Congressman|Congresswoman|Justice|Judge|"
              r"Minister|Deputy Minister|Secretary|General|Admiral|Vice Admiral|Colonel|Lt\.? General)\.?")
_TOKEN = rf"(?:[{UPPER}][\w'’\-–]*[\w'’]|[{UPPER}]\.)"
_PARTICLE = r"(?:van|von|de|der|den|da|di|du|la|le|bin|binti|bte|al|el)"
_NAME = rf"{_TOKEN}(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_TOKEN}){{1,4}}"  # particles only inside a name
_HONORIFIC_NAME = re.compile(rf"\b(?P<title>{_HONORIFIC})\s+(?P<name>{_NAME})")
_ROLE_PHRASE = re.compile(
    r"(?i:\b(?P<phrase>moderated by|chaired by|co-chaired by|facilitated by|hosted by|featuring|featured|"
    r"joined (?:by )?(?:the )?moderator|moderator|keynote speaker|keynote by|keynote address by|introduction by|"
    r"(?:opening |welcoming |closing )?(?:remarks|address|speech|presentation|keynote)(?: will be| was| were)? "
    r"(?:made|given|delivered|provided|presented) by|remarks by|presentation by|introduced by|led by|"
    r"guest speaker|speakers? (?:included|were|are|is)|panel(?:lists|ists)? (?:included|were|are)|"
    r"discussants were|(?:provided|delivered|gave) by))[:,]?\s+"
    r"(?:the\s+)?(?P<who>(?:" + _HONORIFIC + r"\s+)?" + _NAME + ")")
_POSSESSIVE = re.compile(
    rf"(?P<owner>(?:[A-Z][\w&.-]*\s+){{0,4}}[A-Z][\w&.-]*)[’']s\s+(?P<position>(?:(?:[A-Z][\w-]*|of|for|and|the|to|in)\s+){{1,8}}?)"
    rf"(?:{_HONORIFIC}\s+)?(?P<name>{_NAME})")
_APPOSITIVE = re.compile(rf"(?:^|(?<=[\s(;]))(?P<name>{_NAME}),\s+(?P<rest>\(?[^.;]{{3,200}})")
_FROM = re.compile(rf"(?P<name>{_NAME}),?\s+(?:from|of|representing)\s+(?P<org>(?:the\s+)?[A-Z][\w&’'.-]*"
                   rf"(?:\s+(?:[A-Z][\w&’'.()-]*|of|and|for|the|on|&)){{0,8}})")
_REMEMBERED = re.compile(r"\b(?:the late|in memory of|tribute to|honou?ring)\s+(?:\w+\s+){0,2}$", re.I)
_QUOTED = re.compile(r"[“\"‘][^”\"’]{3,200}[”\"’]")
_CLAUSE_END = re.compile(r"\s+(?:who|which|will|is|was|were|has|had|have|joined|shared|gave|said|noted|discussed|spoke|"
                         r"presented|highlighted|opened|delivered|emphasi[sz]ed|explained|moderated|provided|"
                         r"participated|attended|underlined|stressed|outlined|argued|added|described|to|in order)\b")
_ROLE_WORDS = (("moderat", "moderator"), ("chair", "moderator"), ("keynote", "keynote"), ("panel", "panellist"),
               ("present", "presenter"), ("brief", "briefer"), ("discussant", "discussant"), ("facilitat", "facilitator"),
               ("featur", "presenter"))
_NATIONAL = {"polish": "Poland", "french": "France", "german": "Germany", "british": "United Kingdom",
             "american": "United States", "japanese": "Japan", "chinese": "China", "indian": "India",
             "australian": "Australia", "canadian": "Canada", "italian": "Italy", "spanish": "Spain",
             "dutch": "Netherlands", "swiss": "Switzerland", "swedish": "Sweden", "norwegian": "Norway",
             "finnish": "Finland", "danish": "Denmark", "estonian": "Estonia", "korean": "Korea",
             "singaporean": "Singapore", "malaysian": "Malaysia", "indonesian": "Indonesia", "brazilian": "Brazil",
             "mexican": "Mexico", "kenyan": "Kenya", "nigerian": "Nigeria", "ukrainian": "Ukraine", "greek": "Greece",
             "lithuanian": "Lithuania", "thai": "Thailand", "israeli": "Israel", "egyptian": "Egypt"}
_POSITION_HINTS = {"director", "minister", "head", "chief", "officer", "president", "secretary", "chairman", "chair",
                   "ceo", "founder", "manager", "professor", "lead", "adviser", "advisor", "ambassador", "fellow",
                   "partner", "editor", "coordinator", "representative", "commissioner", "senior", "deputy",
                   "executive", "researcher", "analyst", "general", "journalist", "consultant", "lecturer", "member",
                   "leader", "chairwoman", "chairperson", "vice", "cto", "cio", "ciso", "founder", "co-founder",
                   "principal", "counsel", "envoy", "spokesperson", "scientist", "engineer", "specialist"}


@dataclass
class Mention:
    person: PersonLine
    role: str | None
    start: int


def country_adjective(position: str | None) -> str | None:
    """"Polish Minister of Digital Affairs" -> "Poland": an adjective on the person's own position."""
    if not position:
        return None
    first = position.split()[0].lower().strip(",") if position.split() else ""
    return _NATIONAL.get(first)


_ROLE_AFTER = re.compile(r"^[^.;]{0,120}?\b(?:who\s+)?(?:will\s+)?(moderat(?:ed|es|ing|e)\b|chair(?:ed|s|ing)|"
                         r"facilitat(?:ed|es|ing|e)\b|(?:gave|delivered|give|deliver)\s+(?:the|a|his|her)\s+keynote)\b", re.I)


# compiled once, not looked up in re's cache on every call
_CLAUSE_BREAK = re.compile(r"[.;,]\s|\band\b")
_NAME_RUN = re.compile(_NAME)
_WORD_BREAK = re.compile(r"[\s-]+")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])\.(?:\s|$)|;")  # a full stop that is not an initial, or a semicolon
_LEADING_THE = re.compile(r"^the\s+")
_OWNED = re.compile(r"^(?P<owner>[A-Z][\w ]+?)[’']s\s+(?P<org>.+)$")


def _role_near(text: str, start: int, end: int) -> str | None:
    """The role the sentence gives a name: a role word just before it ("moderator Roy Yuen", "keynote
    speaker X"), or a role verb just after it and its apposition ("X, Editor of Y, moderated")."""
    before = text[max(0, start - 30):start].lower()
    before = _CLAUSE_BREAK.split(before)[-1]
    for stem, role in _ROLE_WORDS:
        if stem in before:
            return role
    after = _ROLE_AFTER.match(text[end:])
    if after and not any(is_person_name(m.group(0)) for m in _NAME_RUN.finditer(text[end:end + after.start(1)])):
        verb = after.group(1).lower()
        return "keynote" if "keynote" in verb else next((r for s, r in _ROLE_WORDS if s in verb), None)
    return None


def _has_position(text: str) -> bool:
    return any(w.strip(",.;:()") in _POSITION_HINTS for w in _WORD_BREAK.split(text.lower()))


@lru_cache(maxsize=64)  # add() and _apposition() both ask for the clause after the same name
def _clause(text: str) -> str:
    """What follows a name up to the verb of its sentence (or the end of the sentence or list item):
    the apposition that says who they are."""
    text = _SENTENCE_END.split(text, maxsplit=1)[0]
    cut = _CLAUSE_END.search(text)
    text = text[:cut.start()] if cut else text
    return text.strip(" ,")


def _apposition(text: str, name: str, end: int) -> list[PersonLine]:
    """The people a name and its apposition list: "X, Position at Org" or "X (Position, Org)", and the
    further "and Y, Position at Org" of a coordinated list."""
    rest = text[end:]
    if not rest.lstrip().startswith((",", "(")):
        return []
    clause = _clause(rest)
    if not clause:
        return []
    if clause.lstrip(" ,").startswith("("):
        close = clause.find(")")
        inner = clause.lstrip(" ,")[1:close] if close > 0 else clause.lstrip(" ,(")
        return [parse_affiliation(inner)] if _has_position(inner) or is_organization_like(inner) else []
    if not _has_position(clause):
        return []
    people = split_people(f"{name}, " + clause.lstrip(", ").rstrip(")"), slot=True)
    return people if people and people[0].name == name else []


_NAME_WORD_CHAR = r"[\w'’\-–.]"
_TWO_CAPITALS = re.compile(rf"[{UPPER}]{_NAME_WORD_CHAR}*\s+(?:{_PARTICLE}\s+)?[{UPPER}]")


def _ascii_classes() -> bytes:
    """A bytes.translate table that writes an ASCII text as _TWO_CAPITALS sees it: a capital "A", a
    lower-case letter itself (particles are spelled out), another character of a name's word "0", a
    blank " ", anything else "#"."""
    table = bytearray(b"#" * 256)
    for code in range(128):
        char = chr(code)
        if re.fullmatch(f"[{UPPER}]", char):
            table[code] = ord("A")
        elif "a" <= char <= "z":
            table[code] = code
        elif re.fullmatch(_NAME_WORD_CHAR, char):
            table[code] = ord("0")
        elif re.fullmatch(r"\s", char):
            table[code] = ord(" ")
    return bytes(table)


_ASCII_CLASSES = _ascii_classes()
# _TWO_CAPITALS over the classes: it opens with one literal, which the search skips to (a search for a
# class of capitals tries every character, a few times slower over a long paragraph)
_TWO_CAPITALS_BY_CLASS = re.compile(rb"A[Aa-z0]* +(?:" + _PARTICLE.encode("ascii") + rb" +)?A")


def _two_capitals(text: str) -> bool:
    """Whether _TWO_CAPITALS matches in `text`: two capitalised words in a row, where a name may be."""
    if text.isascii():
        return _TWO_CAPITALS_BY_CLASS.search(text.encode("ascii").translate(_ASCII_CLASSES)) is not None
    return _TWO_CAPITALS.search(text) is not None


def _possessive_person(match: re.Match) -> tuple[str, PersonLine] | None:
    """"Singapore's Minister for Communications Josephine Teo": the name (the longest trailing run that
    reads as one) and a position owned by a country or an organization; None without a position."""
    owner, position = match.group("owner").strip(), (match.group("position") or "").strip()
    tokens = match.group("name").split()
    for size in range(min(4, len(tokens)), 1, -1):
        name = " ".join(tokens[-size:])
        if is_person_name(name):
            position = " ".join([position] + tokens[:-size]).strip()
            break
    else:
        return None
    if not position:
        return None
    info = PersonLine("", position=position)
    if country_name(owner):
        info.country = owner
    elif is_organization_like(owner):
        info.organization = owner
    return name, info


def _from_affiliation(match: re.Match) -> PersonLine | None:
    """"X from the Ministry of Y" / "X of Kenya" / "X representing ...": the country or organization named
    after the name, if it is one."""
    org = match.group("org").strip()
    org = _LEADING_THE.sub("", org)
    info = PersonLine("")
    if country_name(org):
        info.country = org
    elif is_organization_like(org) and (_has_org_word(org) or " of " not in match.group(0)):
        owner = _OWNED.match(org)
        if owner and country_name(owner.group("owner")):
            info.country, info.organization = owner.group("owner"), owner.group("org")
        else:
            info.organization = org
    else:
        return None
    return info


def people_in_prose(text: str) -> list[Mention]:
    """Participants a paragraph names (see module docstring), in order of first mention."""
    if not _two_capitals(text):
        return []  # no two capitalised words in a row: no name to find
    # copies of the cached reading: a draft fills in the people it is given
    return [Mention(copy_person(m.person), m.role, m.start) for m in _mentions(text)]


def names_people_in_prose(text: str) -> bool:
    """bool(people_in_prose(text)), without copying the people."""
    return _two_capitals(text) and bool(_mentions(text))


@lru_cache(maxsize=16384)  # titles and stock lines recur across documents ("Special Session 4")
def _mentions(text: str) -> tuple[Mention, ...]:
    """people_in_prose's reading of a text with two capitalised words in a row (never handed out: copied)."""
    found: dict[str, Mention] = {}
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(text)]

    def in_quotes(at: int) -> bool:
        return any(a <= at < b for a, b in quoted)

    def add(raw_name: str, start: int, end: int, role: str | None, info: PersonLine | None = None,
            strict: bool = False) -> PersonLine | None:
        name = clean_name(raw_name)
        if in_quotes(start) or not is_person_name(name, strict=strict) or _REMEMBERED.search(text[max(0, start - 24):start]):
            return None
        if name in found:
            if role and not found[name].role:
                found[name].role = role
            return found[name].person
        if info is None:
            appos = _apposition(text, name, end)
            info = appos[0] if appos else PersonLine("")
            for other in appos[1:]:  # "A, Position, Org and B, Position, Org"
                if other.name and other.name not in found:
                    found[other.name] = Mention(other, role, end + 1)
        info.name = name
        clause_end = end + len(text[end:]) - len(text[end:].lstrip(" ,")) + len(_clause(text[end:]))
        found[name] = Mention(info, role or _role_near(text, start, end) or _role_near(text, start, clause_end), start)
        return info

    for match in _ROLE_PHRASE.finditer(text):
        who = strip_titles(match.group("who"))
        phrase = match.group("phrase").lower()
        role = next((r for stem, r in _ROLE_WORDS if stem in phrase), "speaker")
        add(who, match.start("who"), match.end("who"), role)
    for match in _HONORIFIC_NAME.finditer(text):
        add(match.group("name"), match.start("name"), match.end("name"), None)
    for match in _POSSESSIVE.finditer(text):
        possessed = _possessive_person(match)
        if possessed:
            name, info = possessed
            add(name, match.end("name") - len(name), match.end("name"), None, info, strict=True)
    for match in _FROM.finditer(text):
        info = _from_affiliation(match)
        if info:
            add(match.group("name"), match.start("name"), match.end("name"), None, info)
    for match in _APPOSITIVE.finditer(text):
        clause = _clause(match.group("rest"))
        if _has_position(clause):
            add(match.group("name"), match.start("name"), match.end("name"), None)
    return tuple(sorted(found.values(), key=lambda m: m.start))
