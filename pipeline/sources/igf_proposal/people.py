"""IGF form person lines: "Name, Org", "Name, Stakeholder, Region", "Surname, Given" lists, the 2017
co-organiser export, and the institution and country the dataset records of each."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from pipeline.document import Block
from pipeline.document.fields import label_parts
from pipeline.extract.agenda import Draft, Person
from pipeline.extract.people import (PersonLine, clean_name, is_organization_like, is_person_name, is_position_like,
                                     parse_affiliation, parse_person_line, split_titles)
from pipeline.extract.prose import country_adjective
from pipeline.model.text import collapse_ws, fold
from pipeline.model.vocabulary import POSITION_WORDS, REGIONAL_GROUPS, STAKEHOLDER_GROUPS, role_of

_SURNAME_GIVEN = re.compile(r"^(?P<surname>(?:(?:van|von|de|der|den|da|di|du|la|le|dos|del)\s+)*[A-Z][\w'’\-]+"
                            r"(?:\s+[A-Z][\w'’\-]+)?)\s*,\s*(?P<rest>[A-Z].*)$")
_STAKEHOLDER_MARK = re.compile(r"\s*,?\s*\((?:government|private|private sector|civil society|technical|technical community|"
                               r"academia|intergovernmental)[^)]*\)\s*$", re.I)
_HIDDEN_MARK = re.compile(r"🔒\s*")
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof)"
# The 2017 co-organiser export: "Mr,Francois,GREY,Academia,University of Geneva" (several on one line).
_SPLIT_RECORD = re.compile(rf"^{_HONORIFIC}\.?\s*,?\s*(?P<given>[^,]+?)\s*,\s*(?P<surname>[^,]+?)\s*,\s*"
                           rf"(?P<group>[^,]+?)\s*,\s*(?P<orgs>.+)$")
_SPLIT_RECORD_START = re.compile(rf"(?:^|(?<=\s))(?={_HONORIFIC}\.?\s*,?\s*[A-Z][\w'’\-]*\s*,)")
_KEYNOTE_MARK = re.compile(r"\(\s*keynote(?: speaker)?\s*\)", re.I)
_DURATION_MARK = re.compile(r"\s*\(\s*\d{1,3}\s*(?:min(?:ute)?s?|mins?)\.?\s*\)", re.I)
_POSSESSIVE_ORG = re.compile(r"(?:^|\b(?:for|of|at|with)\s+(?:the\s+)?)(?P<org>[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,5})[’']s\s+\w")
_ACRONYM_UNIT = re.compile(r"^(?P<org>[A-Z][A-Z0-9&\-]{1,9})\s+[a-z]")


def _at_most_words(text: str, count: int) -> bool:
    """len(text.split()) <= count, told by a split that stops after count + 1 words: splitting every word of a
    long paragraph (most lines are asked) is most of the cost of a word-count test."""
    return len(text.split(None, count)) <= count


# -- people ---------------------------------------------------------------------------------------
_GRULAC_TAIL = re.compile(r"\s*\(?GRULAC\s*$")
_BRACKETED_TAIL = re.compile(r"\s*\(.*")
_COMMA = re.compile(r"\s*,\s*")


def _group(value: str) -> str | None:
    folded = fold(_GRULAC_TAIL.sub(" (GRULAC)", value) if "GRULAC" in value else value)
    if folded in STAKEHOLDER_GROUPS:
        return "stakeholder"
    if folded in REGIONAL_GROUPS or fold(_BRACKETED_TAIL.sub("", value) if "(" in value else value) in REGIONAL_GROUPS:
        return "region"
    return None


def _slot_name(text: str) -> bool:
    """A name in a person slot (odd casing, a surname that is also a role word)."""
    name = clean_name(text)
    return is_person_name(name, slot=True) or _chair_surname(name)


def _chair_surname(name: str) -> bool:
    """"Chenai Chair": "Chair" after a given name is a surname in a person slot, where "Online Chair"
    would be a label."""
    tokens = name.split()
    return (len(tokens) >= 2 and tokens[-1] == "Chair" and not any(t.lower() in _ROLE_QUALIFIERS for t in tokens)
            and is_person_name(" ".join(tokens[:-1]), slot=True))


# Words that make a role label of a role word ("Online Chair", "Lead Chair") and that a name test lets pass.
_ROLE_QUALIFIERS = frozenset({"online", "onsite", "remote", "virtual", "in-person", "lead", "deputy", "main",
                              "additional", "guest", "invited"})


def form_person(value: str) -> PersonLine | None:
    """"Name, Org", "Name, Stakeholder, Region", "Name, Org, Stakeholder, Region, gender": the form's
    person line; None when the name is hidden (only stakeholder and region) or not a name."""
    value = _HIDDEN_MARK.sub("", collapse_ws(value)).strip(" ,;")
    if not value:
        return None
    first = _COMMA.split(value)[0]
    if _group(first) or ":" in first:
        return None  # a hidden name, or a "Label: value" line
    person = parse_person_line(value, slot=True)
    if person is None and _slot_name(split_titles(first)[1]):
        person = parse_affiliation(value[len(first):])
        person.honorific, person.name = split_titles(first)[0], clean_name(first)
    if person is None:
        return None
    if person.organization and _group(person.organization):
        person.organization = None
    return _as_recorded(person)


def _as_recorded(person: PersonLine) -> PersonLine:
    """What the dataset records of a person line: the top-level institution of a one-line affiliation (CONVENTIONS.md): "Carnegie Mellon University’s
    Software Engineering Institute" -> Carnegie Mellon University; "UNIDIR support team to ..." -> UNIDIR;
    "Vice president for Hewlett Packard Enterprise’s Public Sector business" (no organization) -> Hewlett
    Packard Enterprise. And a country stated by an adjective on one of the person's positions ("MEP,
    Former Estonian Foreign Minister")."""
    org = person.organization
    if org:
        possessive = _POSSESSIVE_ORG.search(org)
        if possessive and possessive.start() == 0:
            person.organization = possessive.group("org")
        elif _ACRONYM_UNIT.match(org):
            person.organization = _ACRONYM_UNIT.match(org).group("org")
    elif person.position:
        possessive = _POSSESSIVE_ORG.search(person.position)
        if possessive and is_organization_like(possessive.group("org")):
            person.organization = possessive.group("org")
    if person.country is None and person.position:
        segments = (re.sub(r"^(?:former|ex-)\s*", "", s.strip(), flags=re.I) for s in person.position.split(","))
        person.country = next(filter(None, map(country_adjective, segments)), None)
    return person


def _affiliation(text: str) -> PersonLine:
    """What follows a name; a second affiliation joined by ", and" ("..., and Vice Chair of IEEE") is
    left out, so that the first one is recorded."""
    text = re.split(r",\s+and\s+(?=[A-Z])", text, maxsplit=1)[0]
    return _as_recorded(parse_affiliation(text))


def _person_line(text: str) -> PersonLine | None:
    """An unlabelled "Name, Position, Org" line (a speaker list whose label was lost, a bio heading):
    a person only when a position or an organization comes with the name."""
    if re.match(r"^[^,:]{1,60}:\s", text):
        return None  # "Label: value" prose
    person = parse_person_line(_KEYNOTE_MARK.sub("", _DURATION_MARK.sub("", text)))
    if person is None:
        return None
    return person if person.position or person.organization or person.country else None


def _surname_first(text: str, strict: bool = False) -> PersonLine | None:
    """"Hoepers, Cristine" / "van Duren, David; GFCE (government)" / "Craig, Amanda Microsoft, (private)" /
    "Wilches, Juan Manuel Commissioner, Comision ..., Government of Colombia" -> natural order, with the
    organization. `strict`: only the plain shapes ("Surname, Given" and "Surname, Given; Org")."""
    if "," not in text or not _surname_before_comma(text):
        return None  # a text _SURNAME_GIVEN cannot match is not collapsed for nothing (most are prose)
    text = collapse_ws(text).strip(" •")
    match = _SURNAME_GIVEN.match(text)
    if not match:
        return None
    surname, rest = match.group("surname").strip(), match.group("rest")
    marked = bool(_STAKEHOLDER_MARK.search(rest))
    rest = _STAKEHOLDER_MARK.sub("", rest).strip(" ,")
    split = _given_and_affiliation(rest, marked, strict)
    if split is None or not _given_names(split[0]):
        return None
    given, aff = split
    name = clean_name(f"{given} {surname}")
    if not is_person_name(name, slot=True):
        return None
    info = PersonLine(name)
    if aff and ";" in rest and fold(aff.split()[0]) not in POSITION_WORDS:
        info.organization = aff  # "; Unit, Institution": an organization segment, kept whole
    elif aff:
        info = _affiliation(aff)
        info.name = name
    return info


def _surname_before_comma(text: str) -> bool:
    """Whether _SURNAME_GIVEN can match the collapsed text: one or two words before its first comma, besides
    particles ("van") and the leading bullets it strips (the text's words are those of the collapsed one)."""
    head = text[:text.find(",")].replace("•", " ").split()
    return 1 <= sum(1 for word in head if word not in _PARTICLES) <= 2


def _given_and_affiliation(rest: str, marked: bool, strict: bool) -> tuple[str, str] | None:
    """What follows "Surname, ": (given names, affiliation). `marked`: a stakeholder mark followed;
    `strict`: None unless the shape is plain."""
    if ";" in rest:
        given, aff = (part.strip() for part in rest.split(";", 1))
        return given, aff
    head, _, tail = rest.partition(",")
    tokens = head.split()
    # the given name ends where the affiliation starts: a position word or an acronym
    cut = next((k for k, t in enumerate(tokens) if k and (is_position_like(t) or t.isupper() and len(t) > 1)),
               len(tokens))
    if cut == len(tokens) and len(tokens) >= 2 and marked and not tail.strip():
        cut = len(tokens) - 1  # "Amanda Microsoft, (private)": the glued word is the organization
    given, aff = " ".join(tokens[:cut]), " ".join(tokens[cut:] + ([tail.strip()] if tail.strip() else []))
    if strict and (aff or len(tokens) > 2):
        return None
    return given, aff


def _given_names(given: str) -> bool:
    """One to three given names, none an acronym."""
    return bool(given) and len(given.split()) <= 3 and not any(t.isupper() and len(t) > 1 for t in given.split())


def _surname_first_runs(blocks: list[Block]) -> set[int]:
    """Indices of lines of a "Surname, Given" list: at least three consecutive lines of that shape,
    at least half of them plain, most of their surnames one word (in a "First Last, Org" list none is)."""
    out: set[int] = set()
    run: list[int] = []

    def close() -> None:
        if not run:
            return  # most lines are in no run: nothing to count
        texts = [blocks[k].text for k in run]
        plain = sum(1 for t in texts if ";" in t or _surname_first(t, strict=True))
        one_word = sum(1 for t in texts if _surname_words(t) == 1)
        if len(run) >= 3 and 2 * plain >= len(run) and 2 * one_word > len(run):
            out.update(run)
        run.clear()
    for i, block in enumerate(blocks):
        if block.kind in ("paragraph", "item") and _surname_first(block.text):
            run.append(i)
        else:
            close()
    close()
    return out


def _surname_words(text: str) -> int:
    """How many words the surname of a "Surname, Given" line has, particles ("van") left out."""
    surname = text.split(",")[0].split()
    return sum(1 for w in surname if w.lower() not in _PARTICLES)


_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "dos", "del"})


def _split_records(text: str) -> list[PersonLine]:
    """"Mr. Paul, Nicholas, Private Sector, Microsoft Mr. Duncan, Hollis, Civil Society, Temple University, ...":
    honorific, given name, surname, stakeholder group and organizations, one record per honorific."""
    if not _SPLIT_RECORD_START.match(text):
        return []  # the first record opens the text: the scan for the others is for a text that opens with one
    starts = [m.start() for m in _SPLIT_RECORD_START.finditer(text)]
    people = []
    for k, start in enumerate(starts):
        record = text[start:starts[k + 1] if k + 1 < len(starts) else len(text)].strip(" ,")
        match = _SPLIT_RECORD.match(record)
        if not match or _group(match.group("group").strip()) != "stakeholder":
            return []
        name = clean_name(f"{match.group('given')} {match.group('surname')}")
        if not is_person_name(name, slot=True):
            return []
        org = re.split(r"\s*,\s*", match.group("orgs").strip(" ,"))[0]  # the first of two affiliations
        people.append(PersonLine(name, organization=org or None, stakeholder_group=match.group("group").strip()))
    return people


def _affiliation_line(block: Block) -> bool:
    """A short line that says who the person above is ("Coordinator of Development Projects, LACNIC")."""
    text = block.text.strip()
    if block.kind not in ("paragraph", "item") or not text or not _at_most_words(text, 16) or text.endswith(("?", "!")):
        return False
    if label_parts(text) or role_of(text.rstrip(": ")) or re.search(r"\b(?:is|was|has|will|are)\b", text):
        return False
    first = text.split(",")[0]
    if is_person_name(clean_name(first)):
        return False
    return "," in text or is_organization_like(text) or is_position_like(text)


def _merge_same_people(draft: Draft) -> None:
    """One person written twice in a session: a name that is a prefix of a longer one ("Julia Rodriguez" /
    "Julia Rodriguez Acosta") or a spelling slip ("Chharia" / "Charia"). The first form is kept."""
    kept: list[tuple[Person, list[str]]] = []  # with the words of its name, folded once (a merge keeps the name)
    for person in draft.people:
        words = person.info.name.casefold().split()
        same = next((k for k, kept_words in kept if _same_words(kept_words, words)), None)
        if same is None:
            kept.append((person, words))
            continue
        same.roles += [r for r in person.roles if r not in same.roles]
        for attr in ("position", "organization", "country", "stakeholder_group", "regional_group"):
            if getattr(same.info, attr) is None and getattr(person.info, attr):
                setattr(same.info, attr, getattr(person.info, attr))
    draft.people = [person for person, _ in kept]


def _person_named(draft: Draft, name: str) -> PersonLine:
    """The draft's own record of a person just added (Draft.add may have merged it into an earlier one)."""
    key = sorted(name.casefold().split())
    return next(p.info for p in draft.people if sorted(p.info.name.casefold().split()) == key)


def _same_name(a: str, b: str) -> bool:
    return _same_words(a.casefold().split(), b.casefold().split())


def _same_words(ta: list[str], tb: list[str]) -> bool:
    """_same_name of two names' casefolded words."""
    short, long_ = sorted((ta, tb), key=len)
    if len(short) >= 2 and long_[:len(short)] == short:
        return True
    if not len(ta) == len(tb) >= 2:
        return False
    # the quick ratios are upper bounds of ratio(): most pairs of names are told apart by them, computed
    # here without a SequenceMatcher (building one indexes the second name, which only ratio() needs)
    joined_a, joined_b = " ".join(ta), " ".join(tb)
    return (_real_quick_ratio(joined_a, joined_b) >= 0.9 and _distinct_ratio(joined_a, joined_b) >= 0.9
            and _quick_ratio(joined_a, joined_b) >= 0.9 and SequenceMatcher(None, joined_a, joined_b).ratio() >= 0.9)


def _ratio(matches: int, length: int) -> float:
    """difflib's _calculate_ratio."""
    return 2.0 * matches / length if length else 1.0


def _real_quick_ratio(a: str, b: str) -> float:
    """SequenceMatcher(None, a, b).real_quick_ratio(): the lengths alone."""
    return _ratio(min(len(a), len(b)), len(a) + len(b))


def _distinct_ratio(a: str, b: str) -> float:
    """An upper bound of _quick_ratio(a, b) from set operations alone: each distinct character of one name
    that the other lacks leaves at least one of its characters unmatched (most pairs of names fail on it)."""
    set_a, set_b = set(a), set(b)
    return _ratio(min(len(a) - len(set_a - set_b), len(b) - len(set_b - set_a)), len(a) + len(b))


def _quick_ratio(a: str, b: str) -> float:
    """SequenceMatcher(None, a, b).quick_ratio(): the characters the two have in common, counted with repeats
    (str.count over a name's few distinct characters is quicker than two Counters)."""
    return _ratio(sum(min(a.count(c), b.count(c)) for c in set(a)), len(a) + len(b))


def _replacement(text: str) -> PersonLine | None:
    """"Dorota Głowacka (Panoptykon Foundation)": the person who takes the place; an organization in
    brackets with no position in it is one segment, kept whole ("B-Tech Project, OHCHR")."""
    person = parse_person_line(text, slot=True)
    if person is None:
        return None
    inner = re.search(r"\(([^()]+)\)\s*$", text)
    if inner:
        segments = [s.strip() for s in inner.group(1).split(",")]
        if all(is_organization_like(s) and not is_position_like(s) for s in segments):
            person.position, person.organization = None, inner.group(1).strip()
    return person
