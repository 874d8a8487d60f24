"""The IGF parser's shortcuts give what the plain forms give: each test runs the shortcut and the plain
form (the code as it read before the shortcut, copied here) on variants, edge cases included; a last test
reads whole pages with every plain form put back and compares the parses."""
from __future__ import annotations

import ast
import pickle
import random
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from pipeline.document import Block, Line
from pipeline.extract.agenda import _day_only, _strip_time
from pipeline.extract.dates import find_dates, find_times, utc_offset
from pipeline.extract.people import PersonLine, clean_name, is_person_name
from pipeline.model.vocabulary import role_of
from pipeline.sources import parse_document
from pipeline.sources.igf_proposal import people as igf_people
from pipeline.sources.igf_proposal import session

# Every character, for the premises of the guards.
_EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def _lower_case_keeps(letters: str) -> bool:
    """Every character IGNORECASE matches with one of `letters` lowers to that letter (unlike "ſ" ~ s,
    "ı"/"İ" ~ i, the Kelvin sign ~ k): a guard on the lower case then loses no text the regex matches."""
    pattern = re.compile(f"[{re.escape(letters)}]", re.I)
    return all(m.group().lower() in letters for m in pattern.finditer(_EVERY_CHARACTER))


def _reader(pending_role: str | None = None, **state) -> session._SessionReader:
    reader = session._SessionReader([], None, [])
    reader.pending_role = pending_role
    for name, value in state.items():
        setattr(reader, name, value)
    return reader


def _state(reader: session._SessionReader) -> dict:
    return {k: v for k, v in vars(reader).items() if k not in ("draft", "notes", "blocks")} | {
        "people": [(p.info, p.roles) for p in reader.draft.people]}


def _item(text: str, level: int = 1, marker: str | None = "-") -> Block:
    return Block("item", (Line(text),), level=level, marker=marker)


def _paragraph(text: str) -> Block:
    return Block("paragraph", (Line(text),))


# -- _GLUED_FIELD_TIME: the ":" leads, the letter is looked behind ----------------------------------
_GLUED_PLAIN = re.compile(r"(?<=[A-Za-z]):(?=\d)")

GLUED = ["Time:13:30", "Time: 13:30", "13:30", "no colon", "a:1 b:2", "", ":", ":1", "a:", "A:9", "é:1", "_:1",
         "x::1", "Z:0:1", "Time:13:30 - Date:2024", "ſ:1", "a:\u0661", "Time :13", "x" * 500 + "T:1"]


@pytest.mark.parametrize("value", GLUED)
def test_glued_field_time_same_as_lookbehind_first(value):
    assert session._GLUED_FIELD_TIME.sub(": ", value) == _GLUED_PLAIN.sub(": ", value)
    assert [m.span() for m in session._GLUED_FIELD_TIME.finditer(value)] == \
        [m.span() for m in _GLUED_PLAIN.finditer(value)]


# -- _publication_day: "day" in the lower case before the regex -------------------------------------
DAYS = ["Day 2", "DAY 12", "dAy 3", "day\t4", "day\n5", "Tuesday 5", "today 12 noon", "day two", "Day2", "days 3",
        "Monday, 4 December", "", "day", " day 7 ", "birthday 1", "DΑY 1", "Ｄay 1", "Day ١", "Day 2ſ", "İday 3"]


@pytest.mark.parametrize("value", DAYS)
def test_publication_day_same_as_regex(value):
    assert session._publication_day(value) is bool(session._PUBLICATION_DAY.search(value))


def test_publication_day_letters_have_no_odd_case():
    assert _lower_case_keeps("day")
    assert not _lower_case_keeps("dis")  # the premise fails for "i" and "s"


# -- _schedule: dates and times only of short lines; the time line only under a day line ------------
def _schedule_plain(texts, year):
    texts = [_GLUED_PLAIN.sub(": ", t) if ":" in t else t for t in texts]
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


SCHEDULES = [
    [], ["Title only"], ["Thursday, 26th June, 2025 (07:00 UTC) - Thursday, 26th June, 2025 (08:00 UTC)"],
    ["Monday, December 18", "09:00 CET"], ["Monday, December 18", "09:00 - 10:30 CET"],
    ["Monday, December 18", "Room 3, 09:00"], ["09:00 CET", "Monday, December 18"],
    ["Date:4 December 2019", "Time:13:30-15:00"], ["Date & Time: Wednesday, 4 December, 2019 - 10:00 to 11:30"],
    ["Some prose " * 20 + "on 4 December 2019 at 10:00"], ["Some prose " * 20 + "4 December 2019", "10:00"],
    ["4 December 2019"], ["10:00 - 11:00"], ["Day 1 - 4 December", "10:00 UTC"], ["4 December", "x 10:00"],
    ["12 May 2021", "Agenda", "14:00-15:30 UTC"], ["x" * 199 + " 4 Dec 10:00"], ["x" * 190 + " 4 Dec 10:00"],
]


@pytest.mark.parametrize("texts", SCHEDULES)
@pytest.mark.parametrize("year", [None, 2019])
def test_schedule_same_as_plain(texts, year):
    assert session._schedule(texts, year) == _schedule_plain(texts, year)


@pytest.mark.parametrize("text", [t for texts in SCHEDULES for t in texts])
def test_short_line_dates_and_times_same_as_plain(text):
    dates, times = find_dates(text), find_times(text)
    plain = bool(dates and times and len(text) < 200)
    fast = session._short_line_dates_and_times(text)
    assert bool(fast[0] and fast[1]) is plain
    if plain:
        assert fast == (dates, times)


# -- _SessionReader steps: the cheap tests first -----------------------------------------------------
def _role_heading_plain(self, i, block, text):
    bare = session._bare(text)
    slot_person = self.pending_role is not None and igf_people._chair_surname(clean_name(text))
    label = text.rstrip(": ")
    if not slot_person and (bare in session._ROLE_HEADINGS or role_of(label) and len(text.split()) <= 3):
        self.pending_role = role_of(label) or "speaker"
        self.role_lasts = session._plural(label)
        self.section = "surname_first" if "provisionally" in bare else None
        return True
    if session._CONTACT_HEADING.fullmatch(bare):
        self.pending_role, self.role_lasts = "organizer", False
        return True
    if bare in session._POLICY_HEADINGS:
        self.section = "policy"
        return True
    return False


def _section_heading_plain(self, i, block, text):
    bare = session._bare(text)
    if bare in session._SDG_HEADINGS:
        self.section = "sdg"
        return True
    if bare == "format":
        self.pending_field = "format"
        return True
    if session._KEY_MESSAGES.search(text) and len(text) < 160:
        self.section = "keypoints"
        return True
    return False


def _introduced_list_plain(self, i, block, text):
    if self.list_kind and block.kind == "item" and block.level > self.list_level:
        self.items.append(session.Item(self.list_kind, text))
        return True
    if self.list_kind and block.kind == "paragraph" and session._sub_heading(text):
        return True
    self.list_kind = None
    intro = session._LIST_INTRO.search(text) if ":" in text or ")" in text else None
    if intro and block.kind in ("paragraph", "item"):
        what = intro.group("what").lower()
        self.list_kind = "policy_question" if "policy" in what else "key_topic"
        self.list_level = block.level if block.kind == "item" else 0
        return True
    return False


def _replacement_line_plain(self, i, block, text):
    replaced = session._REPLACED.match(text)
    if not replaced:
        return False
    person = igf_people._replacement(replaced.group("new"))
    if person:
        self.add(person, self.pending_role or "speaker")
    return True


def _read_block_plain(self, i, block, text):
    if self._affiliation_of_described(block, text):
        return
    self._add_roles_of_names(text)
    if block.kind == "label":
        self._read_label(block)
        return
    if block.kind == "paragraph" and (session._ROOM.match(text) or text.startswith("avatar for ")):
        return
    if any(step(self, i, block, text) for step in self._LINE_STEPS):
        return
    if len(text) > 200 or len(text.split()) <= 4:
        self.pending_role, self.role_lasts = None, False


ROLE_TEXTS = ["Moderator", "Moderator:", "Online Moderator", "Speakers :", "Speakers provisionally confirmed",
              "Chenai Chair", "Online Chair", "Ana Lima Chair", "Panellists of the session", "Contact", "Contact person",
              "Main contact details", "Policy Question(s)", "policy questions:", "SDGs", "Format", "Format:",
              "Key messages", "Key Takeaways:", "main messages of the session " + "x " * 80, "KEY MESSAGES",
              "ĸey messages", "\u212aey messages", "Key meſſages", "Maın messages", "Rapporteur Notetaker",
              "The moderator will open the session and hand over to the speakers", "Organizers", "Co-Moderator",
              "Speaker 3", "Speaker 3 Name", "the moderator", "Moderators and speakers", "x" * 300, ""]


@pytest.mark.parametrize(("fast", "plain"), [(session._SessionReader._role_heading, _role_heading_plain),
                                             (session._SessionReader._section_heading, _section_heading_plain)])
def test_heading_steps_same_as_plain(fast, plain):
    differ = []
    for text in ROLE_TEXTS:
        for pending in (None, "speaker", "moderator"):
            block = _paragraph(text)
            a, b = _reader(pending), _reader(pending)
            if fast(a, 0, block, text) is not plain(b, 0, block, text) or _state(a) != _state(b):
                differ.append((text, pending))
    assert differ == []


INTRO_TEXTS = ["The discussion will focus on several policy guiding questions:", "Topics (15 minutes)",
               "touching on the following topics (65 minutes)", "Focus questions:  ", "Focus questions:\n", "topics",
               "questions?", "Topics: cables", "Guiding questions (90 min)", "Policy   questions :", "(x)", "a:",
               "Topics:\u00a0", "Topics:\u2003\u2029", "Topics:\x1c", "Topics (5 mins )", "Questıons:", "TOPICS:",
               "Multistakeholder Cooperation and Cyber Resilience", "Which questions?", "x" * 300 + " topics:", ""]


@pytest.mark.parametrize(("list_kind", "list_level"), [(None, 0), ("key_topic", 1), ("policy_question", 0)])
def test_introduced_list_same_as_plain(list_kind, list_level):
    differ = []
    for text in INTRO_TEXTS:
        blocks = {"paragraph": _paragraph(text), "item1": _item(text, 1), "item2": _item(text, 2),
                  "label": Block("label", (Line(text),), label="Topics", value=text)}
        for kind, block in blocks.items():
            a, b = (_reader(list_kind=list_kind, list_level=list_level) for _ in range(2))
            fast = session._SessionReader._introduced_list(a, 0, block, text)
            if fast is not _introduced_list_plain(b, 0, block, text) or _state(a) != _state(b):
                differ.append((text, kind))
    assert differ == []


@pytest.mark.parametrize("text", INTRO_TEXTS)
def test_ends_like_intro_guard(text):
    # the guard skips only texts the pattern cannot match
    assert session._LIST_INTRO.search(text) is None or session._ends_like_intro(text)


def test_rstrip_strips_what_the_pattern_blank_matches():
    # _LIST_INTRO ends in `\s*$`: str.rstrip() must strip every character `\s` matches, and only those
    blanks = {m.group() for m in re.finditer(r"\s", _EVERY_CHARACTER)}
    assert blanks == {char for char in _EVERY_CHARACTER if not char.rstrip()}


REPLACED_TEXTS = ["Ana Lima will be replaced by Dorota Głowacka (Panoptykon Foundation).",
                  "ANA LIMA WILL BE REPLACED BY BO EK", "Ana Lima wıll be replaced by Bo Ek",
                  "Ana Lima will be Replaced by Bo Ek, Director, ACME", "Ana Lima will  be replaced by Bo Ek",
                  "will be replaced by Bo Ek", "Ana Lima will be replaced", "Ana Lima is replaced by Bo Ek",
                  "Ana Lima will be replaced by the moderator", "x" * 300, "", "Ana\nLima will be replaced by Bo"]


@pytest.mark.parametrize("text", REPLACED_TEXTS)
@pytest.mark.parametrize("pending", [None, "speaker"])
def test_replacement_line_same_as_plain(text, pending):
    block = _paragraph(text)
    a, b = _reader(pending), _reader(pending)
    assert session._SessionReader._replacement_line(a, 0, block, text) is _replacement_line_plain(b, 0, block, text)
    assert _state(a) == _state(b)
    assert session._REPLACED.match(text) is None or session._mentions_replacement(text)


def test_replacement_guard_letters_have_no_odd_case():
    assert _lower_case_keeps("beraplcd")


# -- people.py ------------------------------------------------------------------------------------
def _surname_first_plain(text, strict=False):
    text = igf_people.collapse_ws(text).strip(" •")
    match = igf_people._SURNAME_GIVEN.match(text)
    if not match:
        return None
    surname, rest = match.group("surname").strip(), match.group("rest")
    marked = bool(igf_people._STAKEHOLDER_MARK.search(rest))
    rest = igf_people._STAKEHOLDER_MARK.sub("", rest).strip(" ,")
    split = igf_people._given_and_affiliation(rest, marked, strict)
    if split is None or not igf_people._given_names(split[0]):
        return None
    given, aff = split
    name = clean_name(f"{given} {surname}")
    if not is_person_name(name, slot=True):
        return None
    info = PersonLine(name)
    if aff and ";" in rest and igf_people.fold(aff.split()[0]) not in igf_people.POSITION_WORDS:
        info.organization = aff
    elif aff:
        info = igf_people._affiliation(aff)
        info.name = name
    return info


def _surname_first_runs_plain(blocks):
    out = set()
    run = []

    def close():
        texts = [blocks[k].text for k in run]
        plain = sum(1 for t in texts if ";" in t or _surname_first_plain(t, strict=True))
        one_word = sum(1 for t in texts if igf_people._surname_words(t) == 1)
        if len(run) >= 3 and 2 * plain >= len(run) and 2 * one_word > len(run):
            out.update(run)
        run.clear()
    for i, block in enumerate(blocks):
        if block.kind in ("paragraph", "item") and _surname_first_plain(block.text):
            run.append(i)
        else:
            close()
    close()
    return out


def _split_records_plain(text):
    starts = [m.start() for m in igf_people._SPLIT_RECORD_START.finditer(text)]
    if not starts or starts[0] != 0:
        return []
    people = []
    for k, start in enumerate(starts):
        record = text[start:starts[k + 1] if k + 1 < len(starts) else len(text)].strip(" ,")
        match = igf_people._SPLIT_RECORD.match(record)
        if not match or igf_people._group(match.group("group").strip()) != "stakeholder":
            return []
        name = clean_name(f"{match.group('given')} {match.group('surname')}")
        if not is_person_name(name, slot=True):
            return []
        org = re.split(r"\s*,\s*", match.group("orgs").strip(" ,"))[0]
        people.append(PersonLine(name, organization=org or None, stakeholder_group=match.group("group").strip()))
    return people


def _same_name_plain(a, b):
    ta, tb = a.casefold().split(), b.casefold().split()
    short, long_ = sorted((ta, tb), key=len)
    if len(short) >= 2 and long_[:len(short)] == short:
        return True
    if not len(ta) == len(tb) >= 2:
        return False
    matcher = SequenceMatcher(None, " ".join(ta), " ".join(tb))
    return matcher.real_quick_ratio() >= 0.9 and matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9


SURNAME_LINES = ["Hoepers, Cristine", "van Duren, David; GFCE (government)", "Craig, Amanda Microsoft, (private)",
                 "Wilches, Juan Manuel Commissioner, Comision de Regulacion, Government of Colombia",
                 "Hoepers Cristine", "Hoepers,Cristine", "Hoepers\n, Cristine", "Hoepers ,\u00a0Cristine", "• Lee, Ann",
                 "Lee, Ann;", "Lee, ANN", "de la Cruz, Maria", "Ann Lee, Director, ACME", "", ",", "Lee,", "lee, Ann",
                 "Smith-Jones, Mary Ann Beth Lou", "O’Neil, Sean (civil society)", "Lee, Ann CEO", "x" * 300]


@pytest.mark.parametrize("text", SURNAME_LINES)
@pytest.mark.parametrize("strict", [False, True])
def test_surname_first_same_as_plain(text, strict):
    assert igf_people._surname_first(text, strict) == _surname_first_plain(text, strict)


RUNS = [[], ["Hoepers, Cristine", "Lee, Ann", "Ek, Bo"], ["Hoepers, Cristine", "Lee, Ann", "Prose line", "Ek, Bo"],
        ["Intro", "Hoepers, Cristine", "Lee, Ann", "Ek, Bo", "Lima, Ana", "Outro"],
        ["Ann Lee, Director, ACME", "Bo Ek, CEO, Foo", "Cy Dee, Chair, Bar"],
        ["van Duren, David; GFCE (government)", "Craig, Amanda Microsoft, (private)", "Lee, Ann"], ["x"] * 5]


@pytest.mark.parametrize("texts", RUNS)
@pytest.mark.parametrize("kind", ["paragraph", "item", "heading"])
def test_surname_first_runs_same_as_plain(texts, kind):
    blocks = [Block(kind, (Line(t),)) for t in texts]
    assert igf_people._surname_first_runs(blocks) == _surname_first_runs_plain(blocks)


SPLIT_LINES = ["Mr,Francois,GREY,Academia,University of Geneva",
               "Mr. Paul, Nicholas, Private Sector, Microsoft Mr. Duncan, Hollis, Civil Society, Temple University",
               "Ms,Ana,Lima,Civil Society,ACME, Foo", "Dr Ana, Lima, Government, Ministry", "Prof.,Bo,Ek,Technical Community,X",
               "Intro Mr,Francois,GREY,Academia,University", " Mr,Francois,GREY,Academia,University", "Mr", "Mrs, Ann, Lee",
               "Mr,Francois,GREY,Nowhere,University", "Miss,Ann,Lee,Civil Society,Org Mrs,x", "", "Mr. Smith said hello"]


@pytest.mark.parametrize("text", SPLIT_LINES)
def test_split_records_same_as_plain(text):
    assert igf_people._split_records(text) == _split_records_plain(text)


NAME_PAIRS = [("Anna Smith", "Anna Smith"), ("Anna Smith", "Anna Smyth"), ("Anna Smith", "Ana Smith"),
              ("Anna Smith", "Anna Smith Jones"), ("A B", "A C"), ("Jean-Luc Picard", "Jean Luc Picard"),
              ("Mohammed Al Hassan", "Mohamed Al Hasan"), ("X", "X"), ("Dorota Głowacka", "Dorota Glowacka"),
              ("Li Wei", "Wei Li"), ("", "Anna Smith"), ("Christopher Columbus", "Christophe Columbus"),
              ("Ng Tan", "Ng Tam"), ("Chharia Raj", "Charia Raj"), ("ANNA SMITH", "anna smith")]


@pytest.mark.parametrize(("a", "b"), NAME_PAIRS)
def test_same_name_same_as_plain(a, b):
    assert igf_people._same_name(a, b) is _same_name_plain(a, b)
    assert igf_people._same_name(b, a) is _same_name_plain(b, a)


def test_quick_ratios_same_as_difflib():
    rng = random.Random(11)
    for _ in range(2000):
        a, b = ("".join(rng.choice("abcde ſé") for _ in range(rng.randint(0, 12))) for _ in range(2))
        matcher = SequenceMatcher(None, a, b)
        assert igf_people._real_quick_ratio(a, b) == matcher.real_quick_ratio(), (a, b)
        assert igf_people._quick_ratio(a, b) == matcher.quick_ratio(), (a, b)
        assert igf_people._same_name(a, b) is _same_name_plain(a, b), (a, b)


# -- whole pages: every plain form put back, the same parse -----------------------------------------
class _PlainReader(session._SessionReader):
    _read_block = _read_block_plain
    _LINE_STEPS = tuple({"_role_heading": _role_heading_plain, "_section_heading": _section_heading_plain,
                         "_introduced_list": _introduced_list_plain,
                         "_replacement_line": _replacement_line_plain}.get(step.__name__, step)
                        for step in session._SessionReader._LINE_STEPS)


def _pages() -> list[str]:
    """The IGF pages the family's tests write (every long string of tests/test_igf.py), this file's own
    variants, and the repository's seed pages."""
    source = Path(__file__).with_name("test_igf.py").read_text(encoding="utf-8")
    pages = [node.value for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value and len(node.value) > 60]
    pages += ["\n".join(texts) for texts in SCHEDULES + RUNS if texts]
    pages.append("IGF 2021 WS #1 Title one\nModerator\nAna Lima\n" + "\n".join(ROLE_TEXTS + INTRO_TEXTS + REPLACED_TEXTS))
    pages.append("IGF 2019 WS #2 Title two\nSpeakers:\n" + "\n".join(SURNAME_LINES + SPLIT_LINES))
    pages.append("IGF 2021 WS #3 Title three\nDay 3: 7 December 2021 09:00\n"
                 "Thursday, 9th December, 2021 (07:00 UTC) - Thursday, 9th December, 2021 (08:30 UTC)\nModerator: Ana Lima")
    pages += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(__file__).parents[1].glob("raw/*.txt"))]
    return pages


def test_pages_parse_as_with_the_plain_forms(monkeypatch):
    pages = _pages()
    assert len(pages) > 20
    fast = [pickle.dumps(parse_document(page, "igf_proposal"), protocol=5) for page in pages]
    monkeypatch.setattr(session, "_SessionReader", _PlainReader)
    monkeypatch.setattr(session, "_schedule", _schedule_plain)
    monkeypatch.setattr(session, "_publication_day", lambda text: bool(session._PUBLICATION_DAY.search(text)))
    monkeypatch.setattr(session, "_surname_first_runs", _surname_first_runs_plain)
    monkeypatch.setattr(session, "_surname_first", _surname_first_plain)
    monkeypatch.setattr(session, "_split_records", _split_records_plain)
    monkeypatch.setattr(igf_people, "_surname_first", _surname_first_plain)
    # _merge_same_people compares the names' folded words: the plain form put back there
    monkeypatch.setattr(igf_people, "_same_words", lambda ta, tb: _same_name_plain(" ".join(ta), " ".join(tb)))
    plain = [pickle.dumps(parse_document(page, "igf_proposal"), protocol=5) for page in pages]
    for page, f, p in zip(pages, fast, plain):
        assert f == p, page[:200]
