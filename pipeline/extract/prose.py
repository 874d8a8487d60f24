"""People named in running text: "moderated by Dr X, Position of Org", "Mr X (Position, Org)",
"Org’s Director Y", "Keynote speaker Z, President of the Office in Poland", "W from Org".

Only names that the sentence itself presents as taking part count: after an honorific, or with a
position beside them, or after a role phrase ("moderated by", "featuring", "joined moderator").
A name that is only mentioned, quoted or thanked is not taken (CONVENTIONS.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.people import (PersonLine, clean_name, is_organization_like, is_person_name, parse_affiliation,
                                     strip_titles)
from pipeline.names import country_name

_HONORIFIC = (r"(?:Mr|Mrs|Ms|Mdm|Dr|Prof|Professor|Associate Professor|Assoc Prof|Ambassador|H\.E\.|HE|"
              r"His Excellency|Her Excellency|Sir|Dame|Shri|Smt|Senator|Congressman|Congresswoman|Justice|Judge|"
              r"Minister|Deputy Minister|Secretary|General|Admiral|Vice Admiral|Colonel|Lt\.? General)\.?")
_NAME = r"[A-Z][\w'’\-–]+(?:\s+(?:[A-Z][\w'’\-–.]*|van|von|de|der|den|da|di|du|la|le|bin|binti|bte|al|el)){1,4}"
_HONORIFIC_NAME = re.compile(rf"\b(?P<title>{_HONORIFIC})\s+(?P<name>{_NAME})")
_ROLE_PHRASE = re.compile(
    r"\b(?P<phrase>moderated by|chaired by|co-chaired by|facilitated by|hosted by|featuring|featured|"
    r"joined (?:by )?moderator|moderator|keynote speaker|keynote by|keynote address by|"
    r"opening remarks (?:by|from)|remarks by|presentation by|introduced by|led by|guest speaker|"
    r"speakers? (?:included|were|are|is)|panel(?:lists|ists)? (?:included|were|are)|discussants were)[:,]?\s+"
    r"(?:the\s+)?(?:(?:[A-Z][\w’'&.-]*\s+){0,6}?(?:of|at|for)\s+(?:the\s+)?[A-Z][\w’'&.() -]*?,\s+)?"
    r"(?P<who>(?:" + _HONORIFIC + r"\s+)?\s*" + _NAME + ")")
_POSSESSIVE = re.compile(
    rf"(?P<owner>(?:[A-Z][\w&.-]*\s+){{0,4}}[A-Z][\w&.-]*)[’']s\s+(?P<position>(?:(?:[A-Z][\w-]*|of|for|and|the|to|in)\s+){{0,8}}?)"
    rf"(?:{_HONORIFIC}\s+)?(?P<name>{_NAME})")
_APPOSITIVE = re.compile(rf"(?:^|(?<=[\s(,;]))(?P<name>{_NAME}),\s+(?P<aff>[^,.;()]{{3,80}}?(?:,\s+[^,.;()]{{3,80}}?)?)(?=[,.;)]|\s+(?:and|who|will|is|was|has|had|joined|shared|gave|said|noted|discussed|spoke|presented|highlighted|opened|delivered|emphasi[sz]ed|explained|moderated|provided)\b)")
_FROM = re.compile(rf"(?P<name>{_NAME})\s+from\s+(?:the\s+)?(?P<org>[A-Z][\w&’'.-]*(?:\s+(?:[A-Z][\w&’'.-]*|of|and|for|the|on|&)){{0,8}})")
_PAREN = re.compile(r"^\s*\((?P<aff>[^()]{3,160})\)")
_ROLE_WORDS = (("moderat", "moderator"), ("chair", "moderator"), ("keynote", "keynote"), ("panel", "panellist"),
               ("present", "presenter"), ("brief", "briefer"), ("discussant", "discussant"), ("facilitat", "facilitator"))
_NATIONAL = {"polish": "Poland", "french": "France", "german": "Germany", "british": "United Kingdom",
             "american": "United States", "japanese": "Japan", "chinese": "China", "indian": "India",
             "australian": "Australia", "canadian": "Canada", "italian": "Italy", "spanish": "Spain",
             "dutch": "Netherlands", "swiss": "Switzerland", "swedish": "Sweden", "norwegian": "Norway",
             "finnish": "Finland", "danish": "Denmark", "estonian": "Estonia", "korean": "Korea",
             "singaporean": "Singapore", "malaysian": "Malaysia", "indonesian": "Indonesia", "brazilian": "Brazil",
             "mexican": "Mexico", "kenyan": "Kenya", "nigerian": "Nigeria", "ukrainian": "Ukraine", "greek": "Greece",
             "lithuanian": "Lithuania", "thai": "Thailand", "israeli": "Israel", "egyptian": "Egypt"}


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


_ROLE_AFTER = re.compile(r"^[^.;]{0,120}?\b(?:who\s+)?(?:will\s+)?(moderat(?:ed|es|ing|e)\b|chair(?:ed|s|ing)|facilitat(?:ed|es|ing|e)\b|"
                         r"(?:gave|delivered|give|deliver)\s+(?:the|a|his|her)\s+keynote)\b", re.I)


def _role_near(text: str, start: int, end: int) -> str | None:
    """The role the sentence gives a name: a role word just before it ("moderator Roy Yuen", "keynote
    speaker X"), or a role verb just after it and its apposition ("X, Editor of Y, moderated")."""
    before = text[max(0, start - 30):start].lower()
    before = re.split(r"[.;,]\s|\band\b", before)[-1]
    for stem, role in _ROLE_WORDS:
        if stem in before:
            return role
    after = _ROLE_AFTER.match(text[end:])
    if after and not re.search(rf"\b{_NAME}\b", text[end:end + after.start(1)]):
        verb = after.group(1).lower()
        return "keynote" if "keynote" in verb else next((r for s, r in _ROLE_WORDS if s in verb), None)
    return None


def _affiliation_after(text: str, end: int) -> PersonLine:
    rest = text[end:]
    paren = _PAREN.match(rest)
    if paren:
        return parse_affiliation(paren.group("aff"))
    match = re.match(r"\s*,\s+(?P<aff>[^.;]{3,160}?)(?=\s+(?:who|will|is|was|has|joined|shared|gave|said|noted|"
                     r"discussed|spoke|presented|highlighted|opened|delivered|emphasi[sz]ed|explained|moderated|"
                     r"provided|and|to|for)\b|[.;)]|,\s+(?:and\s+)?(?:Mr|Ms|Dr|Prof)|$)", rest)
    if match and any(w.strip(",.;:()") in _POSITION_HINTS for w in re.split(r"[\s-]+", match.group("aff").lower())):
        aff = match.group("aff")
        if aff.count("(") > aff.count(")"):
            aff += ")"
        return parse_affiliation(aff)
    return PersonLine("")


_POSITION_HINTS = {"director", "minister", "head", "chief", "officer", "president", "secretary", "chairman", "chair",
                   "ceo", "founder", "manager", "professor", "lead", "adviser", "advisor", "ambassador", "fellow",
                   "partner", "editor", "coordinator", "representative", "commissioner", "senior", "deputy",
                   "executive", "researcher", "analyst", "general", "journalist", "consultant", "lecturer"}


def people_in_prose(text: str) -> list[Mention]:
    """Participants a paragraph names (see module docstring), in order of first mention."""
    found: dict[str, Mention] = {}

    def add(raw_name: str, start: int, end: int, role: str | None, info: PersonLine | None = None,
            strict: bool = True) -> None:
        name = clean_name(raw_name)
        tokens = name.split()
        # a trailing capitalised word that starts the next clause is not part of the name
        while len(tokens) > 2 and tokens[-1].lower() in ("and", "the"):
            tokens.pop()
        name = " ".join(tokens)
        if not is_person_name(name, strict=strict):
            return
        if name in found:
            if role and not found[name].role:
                found[name].role = role
            return
        info = info if info is not None else _affiliation_after(text, end)
        info.name = name
        found[name] = Mention(info, role or _role_near(text, start, end), start)

    for match in _ROLE_PHRASE.finditer(text):
        who = strip_titles(match.group("who"))
        phrase = match.group("phrase").lower()
        role = next((r for stem, r in _ROLE_WORDS if stem in phrase), "speaker")
        add(who, match.start("who"), match.end("who"), role, strict=False)
    for match in _HONORIFIC_NAME.finditer(text):
        add(match.group("name"), match.start("name"), match.end("name"), None, strict=False)
    for match in _POSSESSIVE.finditer(text):
        owner, position = match.group("owner").strip(), (match.group("position") or "").strip()
        if not position:
            continue
        info = PersonLine("", position=position)
        if country_name(owner):
            info.country = owner
        elif is_organization_like(owner):
            info.organization = owner
        add(match.group("name"), match.start("name"), match.end("name"), None, info)
    for match in _FROM.finditer(text):
        org = match.group("org").strip()
        info = PersonLine("")
        if country_name(org):
            info.country = org
        else:
            info.organization = org
        add(match.group("name"), match.start("name"), match.end("name"), None, info)
    for match in _APPOSITIVE.finditer(text):
        aff = match.group("aff")
        if any(w in aff.lower().split() for w in _POSITION_HINTS):
            add(match.group("name"), match.start("name"), match.end("name"), None, parse_affiliation(aff))
    return sorted(found.values(), key=lambda m: m.start)
