"""Internet Governance Forum session pages: workshop proposals and session pages of every year,
Sched listings, session report templates, theme pages listing several sessions, and caption
transcripts.

The form changed every year; its fields are read by their labels wherever they stand, with the
value on the same line ("Speaker 1: Name, Stakeholder, Region"), on the next one ("Moderator" /
"Name, ..."), or as a bullet ("- Chair/Moderator: Name"), in flat or indented renderings. A field
whose label was lost ("Name, Stakeholder, Region" or "Name, Position, Org" alone) is a person
`listed`. Anonymised organisers (stakeholder and region only) are no one.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from pipeline.document import Block, Document, Line
from pipeline.document.fields import label_parts
from pipeline.extract.agenda import _ROOM, Draft, Person, _day_only, _strip_time
from pipeline.extract.dates import find_dates, find_times, minutes_between, utc_offset, years_in
from pipeline.extract.people import (PersonLine, clean_name, is_organization_like, is_person_name, is_position_like,
                                     parse_affiliation, parse_person_line, split_people, split_titles)
from pipeline.extract.prose import country_adjective, people_in_prose
from pipeline.records import Item, ParsedDocument, SessionRecord
from pipeline.sources.common import parse_sdg_line, parsed, record_of, split_numbered
from pipeline.sources.transcripts import read_transcript
from pipeline.text import collapse_ws, fold
from pipeline.vocabulary import POSITION_WORDS, REGIONAL_GROUPS, STAKEHOLDER_GROUPS, field_of, role_of

FORMAT = "igf_proposal"
VERSION = "3"

_SERIES_LINE = re.compile(r"^IGF\s*\d{4}\s+(?:WS|OF|DC|NS|LT|BPF|Open Forum|Workshop|Day 0 Event)\s*#?\s*\d+\s*$", re.I)
_TITLE_CODE = re.compile(r"^(?:IGF\s*\d{4}\b|No\.\s*\d+\s|.*\((?:WS|OF)\s*#?\d+\)\s*$|WS\s*#?\d+\s*:)", re.I)
# A session's title line on a page that lists several: "IGF 2021 WS #260 Internet resilience ...",
# "IGF 2020 Main Session NRIs: ...": an edition, a session code and the title on one line.
_LISTED_TITLE = re.compile(r"^IGF\s*\d{4}\s+(?:(?:WS|OF|DC|NS|LT|BPF|Open Forum|Networking Session|Lightning Talk|"
                           r"Town Hall|Launch|Workshop|Day 0 Event)\s*#?\s*\d+|Main Session|High[- ]Level Session)"
                           r"\s*:?\s+\S.{3,}$", re.I)
_FORMAT = re.compile(r"^(?:format\s*:?\s*)?(?P<format>(?:round ?table|panel|break-?out|birds of a feather|debate|"
                     r"fishbowl|open forum|other|tutorial|workshop|lightning talk|presentation|roundtable)[^\n]{0,60}?)"
                     r"\s*[-–]\s*(?P<minutes>\d{2,3})\s*min(?:utes)?\.?$", re.I)
_SURNAME_GIVEN = re.compile(r"^(?P<surname>(?:(?:van|von|de|der|den|da|di|du|la|le|dos|del)\s+)*[A-Z][\w'’\-]+"
                            r"(?:\s+[A-Z][\w'’\-]+)?)\s*,\s*(?P<rest>[A-Z].*)$")
_STAKEHOLDER_MARK = re.compile(r"\s*,?\s*\((?:government|private|private sector|civil society|technical|technical community|"
                               r"academia|intergovernmental)[^)]*\)\s*$", re.I)
_HIDDEN_MARK = re.compile(r"🔒\s*")
_LEADING_MARK = re.compile(r"^[^\w(\"'“‘]+")
_KEY_MESSAGES = re.compile(r"key messages|key takeaways|main messages", re.I)
_PUBLICATION_DAY = re.compile(r"\bday\s+\d+\b", re.I)
_HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Dr|Prof)"
# The 2017 co-organiser export: "Mr,Francois,GREY,Academia,University of Geneva" (several on one line).
_SPLIT_RECORD = re.compile(rf"^{_HONORIFIC}\.?\s*,?\s*(?P<given>[^,]+?)\s*,\s*(?P<surname>[^,]+?)\s*,\s*"
                           rf"(?P<group>[^,]+?)\s*,\s*(?P<orgs>.+)$")
_SPLIT_RECORD_START = re.compile(rf"(?:^|(?<=\s))(?={_HONORIFIC}\.?\s*,?\s*[A-Z][\w'’\-]*\s*,)")
_REPLACED = re.compile(r"^(?P<old>.+?)\s+will be replaced by\s+(?P<new>.+?)\.?$", re.I)
_KEYNOTE_MARK = re.compile(r"\(\s*keynote(?: speaker)?\s*\)", re.I)
_DURATION_MARK = re.compile(r"\s*\(\s*\d{1,3}\s*(?:min(?:ute)?s?|mins?)\.?\s*\)", re.I)
# "by the moderator (Duncan Hollis)": a role word with the person's name in brackets
_ROLE_OF_NAME = re.compile(r"\b(?P<role>moderator|chair|rapporteur|facilitator|keynote speaker|discussant)\s*"
                           r"\((?P<name>[^()]{3,60})\)", re.I)
# "Next 3 speakers will ...": a line that announces the people of the list under it
_ANNOUNCED_ROLE = re.compile(r"\b(?P<role>speakers|panell?ists|moderators|discussants)\b", re.I)
# A line that opens a list of topics or questions: "... touching on the following topics (65 minutes)",
# "The discussion will focus on several policy guiding questions:"
_LIST_INTRO = re.compile(r"\b(?P<what>topics|(?:policy\s+)?(?:guiding\s+|focus\s+)?questions)\s*"
                         r"(?::|\(\s*\d{1,3}\s*min(?:ute)?s?\s*\))\s*$", re.I)
_POSSESSIVE_ORG = re.compile(r"(?:^|\b(?:for|of|at|with)\s+(?:the\s+)?)(?P<org>[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,5})[’']s\s+\w")
_ACRONYM_UNIT = re.compile(r"^(?P<org>[A-Z][A-Z0-9&\-]{1,9})\s+[a-z]")


def looks_like(text: str) -> int:
    head = text[:8000]
    score = 0
    score += 3 * bool(re.search(r"^\s*Organi[sz]er \d+\s*:", head, re.M))
    score += 2 * bool(re.search(r"^\s*Speaker \d+\s*:", head, re.M))
    score += 3 * ("Proposer's Name:" in head)
    score += 2 * ("\nGOAL " in text)
    score += 2 * ("Relevance to Theme:" in text or "Relevance to Internet Governance:" in text)
    score += 2 * bool(re.search(r"(?:Civil Society|Private Sector|Technical Community|Government),\s*"
                                r"(?:Asia-Pacific|African|Eastern European|Western European|Latin American)", head))
    score += 3 * ("real-time captioning" in head or "outputs of the captioning" in head)
    score += 2 * bool(re.search(r"^IGF\s*\d{4}\b", head, re.M))
    score += 2 * bool(re.search(r"^IGF\s*\d{4}\s+(?:WS|OF|DC|NS|BPF)\s*#?\s*\d+\b", head, re.M))  # a session code
    # an IGF Sched listing greets with its edition ("Welcome to IGF2016!"): an IGF page on its own
    score += 3 * bool(re.search(r"Welcome to IGF\s?\d{4}", head, re.I))
    score += 2 * bool(re.search(r"igf\d{4}\.sched|intgovforum", head, re.I))
    # the schedule line of an IGF session page: "Thursday, 26th June, 2025 (07:00 UTC) - Thursday, ..."
    score += 3 * bool(re.search(r"\b[A-Z][a-z]+day, \d{1,2}(?:st|nd|rd|th) [A-Z][a-z]+, \d{4} \(\d{1,2}:\d{2} UTC\) - "
                                r"[A-Z][a-z]+day, ", head))
    score += 1 * ("Policy Question(s)" in head)
    # the numbered proposal form of 2016: a "No. 26 Title" heading line over "6. Title" and the other sections
    score += 3 * bool(re.search(r"^No\.\s*\d+\s+\S", head, re.M) and re.search(r"^\d{1,2}\.\s*Title\s*$", head, re.M))
    return score


# -- people ---------------------------------------------------------------------------------------
def _group(value: str) -> str | None:
    folded = fold(re.sub(r"\s*\(?GRULAC\s*$", " (GRULAC)", value))
    if folded in STAKEHOLDER_GROUPS:
        return "stakeholder"
    if folded in REGIONAL_GROUPS or fold(re.sub(r"\s*\(.*", "", value)) in REGIONAL_GROUPS:
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
    first = re.split(r"\s*,\s*", value)[0]
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
    starts = [m.start() for m in _SPLIT_RECORD_START.finditer(text)]
    if not starts or starts[0] != 0:
        return []
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
    if block.kind not in ("paragraph", "item") or not text or len(text.split()) > 16 or text.endswith(("?", "!")):
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
    kept: list[Person] = []
    for person in draft.people:
        same = next((k for k in kept if _same_name(k.info.name, person.info.name)), None)
        if same is None:
            kept.append(person)
            continue
        same.roles += [r for r in person.roles if r not in same.roles]
        for attr in ("position", "organization", "country", "stakeholder_group", "regional_group"):
            if getattr(same.info, attr) is None and getattr(person.info, attr):
                setattr(same.info, attr, getattr(person.info, attr))
    draft.people = kept


def _person_named(draft: Draft, name: str) -> PersonLine:
    """The draft's own record of a person just added (Draft.add may have merged it into an earlier one)."""
    key = sorted(name.casefold().split())
    return next(p.info for p in draft.people if sorted(p.info.name.casefold().split()) == key)


def _same_name(a: str, b: str) -> bool:
    ta, tb = a.casefold().split(), b.casefold().split()
    short, long_ = sorted((ta, tb), key=len)
    if len(short) >= 2 and long_[:len(short)] == short:
        return True
    return len(ta) == len(tb) >= 2 and SequenceMatcher(None, " ".join(ta), " ".join(tb)).ratio() >= 0.9


# -- dates ----------------------------------------------------------------------------------------
def _schedule(texts: list[str], year: int | None):
    """Date, start, end and offset from the page's schedule line, or from a day line followed by a
    time line (Sched: "Monday, December 18" / "09:00 CET")."""
    texts = [re.sub(r"(?<=[A-Za-z]):(?=\d)", ": ", t) for t in texts]  # "Time:13:30"
    for text in texts:
        dates, times = find_dates(text), find_times(text)
        if dates and times and len(text) < 200:
            date = dates[0].on(year)
            start = times[0].start
            end = times[0].end or (times[1].start if len(times) > 1 else None)
            return date, start, end, utc_offset(text)
    for day_line, time_line in zip(texts, texts[1:]):
        day = _day_only(day_line)
        start, end, before, after = _strip_time(time_line)
        if day and start and not before.strip() and len(after.split()) <= 1:
            return day.on(year), start, end, utc_offset(time_line)
    return None, None, None, None


# -- the page -------------------------------------------------------------------------------------
def _as_form_block(block: Block) -> Block:
    """A bullet that is a form field ("- Chair/Moderator: X") is the field; a paragraph opened by an
    "o" bullet (a second-level bullet that plain text lost) is a list item."""
    if block.kind == "item":
        field = label_parts(block.text)
        if field is not None:
            return Block("label", block.lines, label=field[0], value=field[1], gap=block.gap, indent=block.indent)
    if block.kind == "paragraph" and len(block.lines) == 1:
        bullet = re.match(r"^o\s+(?=[A-Z])", block.text)
        if bullet:
            line = Line(block.text[bullet.end():])
            return Block("item", (line,), level=2, marker="o", gap=block.gap, indent=block.indent)
    return block


def _listing_parts(blocks: list[Block]) -> list[list[Block]]:
    """A page that lists several sessions (a theme page: "IGF 2021 WS #260 ..." / teaser / "IGF 2020 Main
    Session ..." / teaser) is cut at their title lines; the lines above the first title are the page's."""
    starts = [i for i, b in enumerate(blocks) if b.kind in ("paragraph", "heading") and _LISTED_TITLE.match(b.text.strip())]
    if len(starts) < 2:
        return [blocks]
    return [blocks[start:end] for start, end in zip(starts, starts[1:] + [len(blocks)])]


def parse_igf_proposal(doc: Document) -> ParsedDocument | None:
    if any(b.kind == "turn" for b in doc.blocks):
        return read_transcript(doc, FORMAT)
    blocks = [_as_form_block(b) for b in doc.blocks]
    texts = [b.text for b in blocks]
    years = set().union(*(years_in(t) for t in texts[:6])) if texts else set()
    year = years.pop() if len(years) == 1 else None
    records: list[SessionRecord] = []
    notes: list[str] = []
    for part in _listing_parts(blocks):
        record = _read_session(part, year, notes)
        if record is not None:
            records.append(record)
    if not records:
        return None
    out = parsed(FORMAT, doc, records, title=records[0].title if len(records) == 1 else None)
    out.notes = notes
    return out


def _title(blocks: list[Block]) -> tuple[str | None, str | None, int]:
    """(title, series, index of the title line): a title line with an IGF code, a "Title:" field, or the
    line after a series line."""
    for i, block in enumerate(blocks[:8]):
        text = block.text.strip()
        if block.kind == "label" and field_of(block.label) == "title" and block.value and block.label.lower() != "session":
            return block.value, None, i
        if _SERIES_LINE.match(text) and i + 1 < len(blocks):
            return blocks[i + 1].text.strip(), text, i + 1
        if block.kind in ("paragraph", "heading") and _TITLE_CODE.match(text) and len(text) < 300:
            return text, None, i
    return _numbered_title(blocks), None, -1


def _topic_lines(blocks: list[Block], title_index: int) -> list[str]:
    """The short topic lines a 2023 session page puts between its title and "Organizer 1:"."""
    lines = []
    for block in blocks[title_index + 1:]:
        if block.kind == "label":
            return lines if role_of(block.label) and len(lines) >= 2 else []
        text = block.text.strip()
        if block.kind != "paragraph" or role_of(text) or len(text.split()) > 10 or text.endswith((".", "?", ":")) or _ROOM.match(text) \
                or find_dates(text) or find_times(text) or any(c.isdigit() for c in text):
            return []
        lines.append(text)
    return []


def _read_session(blocks: list[Block], year: int | None, notes: list[str]) -> SessionRecord | None:
    """One session from its blocks (a whole page, or one session's part of a listing)."""
    return _SessionReader(blocks, year, notes).read()


# Lines alone on their line that label the people below them (2018-2025 renderings: the value on the next lines).
_ROLE_HEADINGS = ("moderator", "online moderator", "onsite moderator", "rapporteur", "co-moderator", "speakers",
                  "organizers", "additional speakers", "speakers :", "session organizers", "speakers provisionally confirmed")
_POLICY_HEADINGS = ("policy question(s)", "policy questions", "policy question")
_SDG_HEADINGS = ("sdgs", "sdg", "sustainable development goals")
_CONTACT_HEADING = re.compile(r"(?:\w+\s+)?contact(?:\s+(?:information|details|person))?")
_PROPOSER_NAME = re.compile(r"proposer'?s name|co-proposer'?s name", re.I)
_PROPOSER_ORG = re.compile(r"(?:co-)?proposer'?s organi[sz]ation|organizational affiliation", re.I)
_SURNAME_FIRST_LABEL = re.compile(r"speakers?\s+provisionally|session organizers", re.I)


def _block_text(block: Block) -> str:
    """The block's text as read: "✓Name, ...": a leading mark of a paragraph is the page's, not the text's."""
    text = block.text.strip()
    if block.kind == "paragraph":
        text = _LEADING_MARK.sub("", text)
    return text


def _bare(text: str) -> str:
    """A line as a label alone on its line would read: lower case, without its colon."""
    return text.rstrip(": ").lower()


def _with_number(block: Block, text: str) -> str:
    """The text with its list number in front ("1. ..."), when the block has one."""
    return f"{block.marker} {text}" if (block.marker or "")[:1].isdigit() else text


def _slot_people(label: str, part: str) -> list[PersonLine]:
    """The people of one part of a role field's value; a numbered slot's "Name, Org" line names no one
    when its name part is not a name."""
    numbered = bool(re.search(r"\d", label))
    person = form_person(part) if numbered or "," in part else None
    return [person] if person else [] if numbered and "," in part else split_people(part)


def _add_prose_people(draft: Draft, blocks: list[Block]) -> None:
    """People in prose when the form named nobody (a Sched description, an introductory session page); the
    page's other lines (rooms, the secretariat's address) are not people."""
    for block in blocks:
        if block.kind == "paragraph" and len(block.text) > 80:
            for mention in people_in_prose(block.text):
                draft.add(mention.person, mention.role or "speaker")


class _SessionReader:
    """Reading one session's blocks top to bottom. A line's meaning depends on the lines above it: the role
    a label set for the lines below, the section it is in, an introduced list, a person whose affiliation
    is on the next line. Each reading step takes a line and says whether it used it up."""

    def __init__(self, blocks: list[Block], year: int | None, notes: list[str]) -> None:
        self.blocks, self.year, self.notes = blocks, year, notes
        self.draft = draft = Draft()
        self.items: list[Item] = []
        self.texts: dict[str, str] = {}
        draft.title, draft.series, self.title_index = _title(blocks)
        if self.title_index >= 0:
            draft.topics = _topic_lines(blocks, self.title_index)
        schedule = _schedule([b.text for b in blocks[:40] if not _PUBLICATION_DAY.search(b.text)], year)
        draft.date, draft.start, draft.end, draft.offset = schedule
        self.surname_first = _surname_first_runs(blocks)
        self.pending_role: str | None = None   # the role a label above set for the lines below
        self.role_lasts = False                # a plural label ("Additional Speakers") labels every line below
        self.pending_field: str | None = None
        self.section: str | None = None
        self.policy: list[str] = []            # the entries of the policy-question section
        self.list_kind: str | None = None      # an introduced list of topics or questions: its item kind
        self.list_level = 0
        self.announced_role: str | None = None
        self.described: PersonLine | None = None   # a person whose affiliation is on the next line

    def read(self) -> SessionRecord | None:
        for i, block in enumerate(self.blocks):
            text = _block_text(block)
            if text and i != self.title_index:
                self._read_block(i, block, text)
        return self._record()

    def add(self, person: PersonLine, role: str | None) -> None:
        """A person of the list under a label; a singular label's role holds for one person only."""
        self.draft.add(_as_recorded(person), role)
        if not self.role_lasts:
            self.pending_role = None

    def _read_block(self, i: int, block: Block, text: str) -> None:
        if self._affiliation_of_described(block, text):
            return
        self._add_roles_of_names(text)
        if block.kind == "label":
            self._read_label(block)
            return
        if block.kind == "paragraph" and (_ROOM.match(text) or text.startswith("avatar for ")):
            return
        if any(step(self, i, block, text) for step in self._LINE_STEPS):
            return
        if len(text) > 200 or len(text.split()) <= 4:
            self.pending_role, self.role_lasts = None, False  # prose, or a heading of another part of the page

    def _affiliation_of_described(self, block: Block, text: str) -> bool:
        """The line under a person named alone ("Sophie Huber,"): their position and organization."""
        if self.described is None:
            return False
        person, self.described = self.described, None
        if not _affiliation_line(block):
            return False
        info = _affiliation(text)
        for attr in ("position", "organization", "country"):
            if getattr(person, attr) is None:
                setattr(person, attr, getattr(info, attr))
        _as_recorded(person)
        return True

    def _add_roles_of_names(self, text: str) -> None:
        """"by the moderator (Duncan Hollis)": a person named in brackets after a role word."""
        for match in _ROLE_OF_NAME.finditer(text):
            if is_person_name(clean_name(match.group("name"))):
                self.draft.add(PersonLine(clean_name(match.group("name"))), role_of(match.group("role")) or "speaker")

    # -- form fields ("Label: value") --
    def _read_label(self, block: Block) -> None:
        label, value = block.label, block.value or ""
        if self.section == "policy":
            self.section = None
        if _PROPOSER_NAME.match(label):
            person = form_person(value)
            if person:
                self.draft.add(person, "organizer")
            return
        if _PROPOSER_ORG.match(label):
            if self.draft.people and not self.draft.people[-1].info.organization:
                self.draft.people[-1].info.organization = value or None
            return
        role = role_of(label)
        if role:
            self._role_field(label, value, role)
            return
        self.pending_role, self.role_lasts = None, False
        read_field = self._FIELD_STEPS.get(field_of(label))
        if read_field is None or not read_field(self, value):
            self.section = None

    def _role_field(self, label: str, value: str, role: str) -> None:
        """"Moderator: Name, Org" or "Speakers:" with the people on the lines below."""
        self.pending_role = role if not value else None
        self.role_lasts = self.pending_role is not None and _plural(label)
        if _SURNAME_FIRST_LABEL.match(label):
            self.section = "surname_first" if "provisionally" in label.lower() else None
        for part in re.split(r"\s*;\s*(?=[A-Z])", value) if value else []:
            people = _slot_people(label, part)
            if not people and re.search(r"\d", label):
                self.notes.append(f"refused as a person: {label}: {part[:60]!r} (no name given)")
            for p in people:
                self.draft.add(_as_recorded(p), role)
            if len(people) == 1 and value.rstrip().endswith(","):
                self.described = _person_named(self.draft, people[0].name)  # "Moderator: Name," / its affiliation

    def _policy_field(self, value: str) -> bool:
        self.section = "policy"
        if value:
            self.policy.append(value)
        return True

    def _tags_field(self, value: str) -> bool:
        if value:
            self.draft.topics.append(value)
        return bool(value)

    def _format_field(self, value: str) -> bool:
        _format(self.texts, value)
        return True

    def _duration_field(self, value: str) -> bool:
        self.texts["duration"] = value
        return True

    def _when_field(self, value: str) -> bool:
        mentions, times = find_dates(value), find_times(value)
        draft = self.draft
        draft.date = draft.date or (mentions[0].on(self.year) if mentions else None)
        if times and draft.start is None:
            draft.start, draft.end = times[0].start, times[0].end
        return True

    def _description_field(self, value: str) -> bool:
        self.texts["description"] = value
        return True

    _FIELD_STEPS = {"policy_questions": _policy_field, "tags": _tags_field, "format": _format_field,
                    "duration": _duration_field, "date": _when_field, "time": _when_field,
                    "description": _description_field}

    # -- lines that are not form fields; each step says whether it used the line up --
    def _role_heading(self, i: int, block: Block, text: str) -> bool:
        """A role label alone on its line, the people on the next ones; a contact; the policy-question heading."""
        bare = _bare(text)
        slot_person = self.pending_role is not None and _chair_surname(clean_name(text))
        label = text.rstrip(": ")
        if not slot_person and (bare in _ROLE_HEADINGS or role_of(label) and len(text.split()) <= 3):
            self.pending_role = role_of(label) or "speaker"
            self.role_lasts = _plural(label)
            self.section = "surname_first" if "provisionally" in bare else None
            return True
        if _CONTACT_HEADING.fullmatch(bare):
            self.pending_role, self.role_lasts = "organizer", False  # a proposal's contact is one of its proposers
            return True
        if bare in _POLICY_HEADINGS:
            self.section = "policy"
            return True
        return False

    def _policy_entry(self, i: int, block: Block, text: str) -> bool:
        """An entry of the policy-question section; another field's label ends the section."""
        if self.section != "policy":
            return False
        if _looks_like_field(text):
            self.section = None
            return False
        if block.kind == "item" or "?" in text:
            self.policy.append(_with_number(block, text))
            return True
        if _sub_heading(text):
            return True
        self.section = None
        return False

    def _section_heading(self, i: int, block: Block, text: str) -> bool:
        """The SDG heading, a "Format" label alone, the key-messages heading."""
        bare = _bare(text)
        if bare in _SDG_HEADINGS:
            self.section = "sdg"
            return True
        if bare == "format":
            self.pending_field = "format"
            return True
        if _KEY_MESSAGES.search(text) and len(text) < 160:
            self.section = "keypoints"
            return True
        return False

    def _sdg_goal(self, i: int, block: Block, text: str) -> bool:
        numbered = _with_number(block, text) if block.kind == "item" else text
        sdg = parse_sdg_line(numbered)
        if sdg and (self.section == "sdg" or numbered != text or text.upper().startswith(("GOAL", "SDG"))):
            self.items.append(Item("sdg_goal", sdg))
            return True
        return False

    def _format_line(self, i: int, block: Block, text: str) -> bool:
        """"Panel - 90 min", or the value under a "Format" label."""
        fmt = _FORMAT.match(text)
        if fmt:
            self.texts["format"] = collapse_ws(fmt.group("format"))
            self.texts["duration"] = fmt.group("minutes")
            self.pending_field = None
            return True
        if self.pending_field == "format":
            self.texts["format"] = text
            self.pending_field = None
            return True
        return False

    def _inline_questions(self, i: int, block: Block, text: str) -> bool:
        """"1. ...? 2. ...?" on one line."""
        if block.kind == "item" and (block.marker or "").rstrip(".)") == "1" and re.search(r"\s2[.)]\s", text) and "?" in text:
            self.items += [Item("policy_question", q) for q in split_numbered(f"1. {text}")]
            return True
        return False

    def _keypoint(self, i: int, block: Block, text: str) -> bool:
        if self.section == "keypoints" and block.kind == "item":
            if not (i == len(self.blocks) - 1 and len(text.split()) <= 2 and not text.endswith((".", ";"))):
                self.items.append(Item("keypoint", text))  # a last word or two is the cut start of the next question
            return True
        return False

    def _introduced_list(self, i: int, block: Block, text: str) -> bool:
        """An introduced list: its items (deeper than the line that introduces it) are topics or questions."""
        if self.list_kind and block.kind == "item" and block.level > self.list_level:
            self.items.append(Item(self.list_kind, text))
            return True
        if self.list_kind and block.kind == "paragraph" and _sub_heading(text):
            return True
        self.list_kind = None
        intro = _LIST_INTRO.search(text)
        if intro and block.kind in ("paragraph", "item"):
            what = intro.group("what").lower()
            self.list_kind = "policy_question" if "policy" in what else "key_topic"
            self.list_level = block.level if block.kind == "item" else 0
            return True
        return False

    def _announcement(self, i: int, block: Block, text: str) -> bool:
        """"Next 3 speakers will ...": a top-level bullet that gives the role of the list under it."""
        if block.kind == "item" and block.level <= 1:
            announced = _ANNOUNCED_ROLE.search(text) if len(text) > 40 else None
            self.announced_role = role_of(announced.group("role")) if announced else None
        return False

    def _replacement_line(self, i: int, block: Block, text: str) -> bool:
        replaced = _REPLACED.match(text)
        if not replaced:
            return False
        person = _replacement(replaced.group("new"))
        if person:
            self.add(person, self.pending_role or "speaker")
        return True

    def _surname_first_line(self, i: int, block: Block, text: str) -> bool:
        if i in self.surname_first or self.section == "surname_first":
            person = _surname_first(text)
            if person:
                self.add(person, self.pending_role or "speaker")
                return True
        return False

    def _split_record_line(self, i: int, block: Block, text: str) -> bool:
        records = _split_records(text)
        for person in records:
            self.add(person, self.pending_role or "listed")
        return bool(records)

    def _person_item(self, i: int, block: Block, text: str) -> bool:
        if block.kind != "item":
            return False
        person = parse_person_line(_DURATION_MARK.sub("", text))
        if not person:
            return False
        self.add(person, self.pending_role or (self.announced_role if block.level > 1 else None) or "listed")
        return True

    def _name_alone(self, i: int, block: Block, text: str) -> bool:
        """"Sophie Huber," with the position and organization on the next line."""
        if block.kind == "paragraph" and text.endswith(",") and _slot_name(text.rstrip(", ")) and len(text.split()) <= 6:
            person = PersonLine(clean_name(text.rstrip(", ")), honorific=split_titles(text)[0])
            self.add(person, self.pending_role or "listed")
            self.described = _person_named(self.draft, person.name)
            return True
        return False

    def _form_person_line(self, i: int, block: Block, text: str) -> bool:
        person = form_person(text) if "," in text and len(text) < 200 else None
        if person and (person.stakeholder_group or person.regional_group or self.pending_role):
            self.add(person, self.pending_role or "listed")
            return True
        return False

    def _slot_person(self, i: int, block: Block, text: str) -> bool:
        """A name alone under a role label; Sched: the name, then its position and organization."""
        if self.pending_role and _slot_name(text) and len(text.split()) <= 5:
            person = PersonLine(clean_name(text), honorific=split_titles(text)[0])
            self.add(person, self.pending_role)
            self.described = _person_named(self.draft, person.name)
            return True
        return False

    def _unlabelled_person(self, i: int, block: Block, text: str) -> bool:
        person = _person_line(text) if "," in text and len(text) < 200 else None
        if person:
            self.add(person, "keynote" if _KEYNOTE_MARK.search(text) else self.pending_role or "listed")
            return True
        return False

    # In reading order: the first step that uses a line up ends its reading.
    _LINE_STEPS = (_role_heading, _policy_entry, _section_heading, _sdg_goal, _format_line, _inline_questions,
                   _keypoint, _introduced_list, _announcement, _replacement_line, _surname_first_line,
                   _split_record_line, _person_item, _name_alone, _form_person_line, _slot_person, _unlabelled_person)

    def _record(self) -> SessionRecord | None:
        draft, texts = self.draft, self.texts
        _merge_same_people(draft)
        if not draft.people:
            _add_prose_people(draft, self.blocks)
        items = [Item("policy_question", q) for q in _policy_questions(self.policy)] + self.items
        record = record_of(draft, " ".join(b.text for b in self.blocks[:3]))
        record.session_format = texts.get("format")
        record.duration_minutes = (int(texts["duration"]) if texts.get("duration", "").isdigit()
                                   else minutes_between(draft.start, draft.end))
        record.description = texts.get("description") or record.description
        record.items = items + record.items
        if draft.title is None and not draft.people and not record.items and not draft.date:
            return None
        return record


def _plural(label: str) -> bool:
    """"Additional Speakers", "Organizer(s)": a label of a list rather than of one person."""
    last = re.sub(r"\s*\d+\s*$", "", label).strip().split()[-1].lower() if label.strip() else ""
    return last.endswith(("s", "(s)")) and not last.endswith("ss")


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


def _numbered_title(blocks: list[Block]) -> str | None:
    """The 2016 form: "6. Title" followed by the title (the heading line keeps "No. 26 ...")."""
    for i, block in enumerate(blocks[:60]):
        if re.fullmatch(r"\d{1,2}\.\s*title", block.text.strip(), re.I) and i + 1 < len(blocks):
            return blocks[i + 1].text.strip()
    return None


def _looks_like_field(text: str) -> bool:
    return bool(re.match(r"^(?:what will participants gain|connection with previous messages|expected outcomes?|"
                         r"description|targets?|sdgs?)\b", text, re.I))


def _sub_heading(text: str) -> bool:
    """A short title line inside a list ("Multistakeholder Cooperation and Cyber Resilience")."""
    return len(text.split()) <= 8 and not text.endswith((".", "?", "!", ":", ",")) and text[:1].isupper()


def _policy_questions(entries: list[str]) -> list[str]:
    """The policy-question section: one question per paragraph or bullet; a section of one paragraph
    that runs several questions together (numbered, "•" bullets or plain) is split into them."""
    if len(entries) == 1:
        return _questions(entries[0])
    out = []
    for entry in entries:
        numbered = split_numbered(entry)
        out += numbered if len(numbered) > 1 else [collapse_ws(re.sub(r"^\d{1,2}[.)]\s+", "", entry))]
    return out


def _questions(text: str) -> list[str]:
    """A policy-question paragraph: numbered items, "•" items, or several questions run together."""
    numbered = split_numbered(text)
    if len(numbered) > 1:
        return numbered
    if "•" in text:
        return [collapse_ws(p) for p in text.split("•") if p.strip()]
    parts = [collapse_ws(p) + "?" for p in re.split(r"\?\s+(?=[A-Z])", text.rstrip()) if p.strip()]
    if len(parts) > 1:
        parts[-1] = parts[-1].rstrip("?") + ("?" if text.rstrip().endswith("?") else "")
        return parts
    return [collapse_ws(re.sub(r"^\d{1,2}[.)]\s+", "", text))]


def _format(texts: dict, value: str) -> None:
    fmt = _FORMAT.match(value)
    if fmt:
        texts["format"] = collapse_ws(fmt.group("format"))
        texts["duration"] = fmt.group("minutes")
    elif value:
        texts["format"] = value
