"""The DiploAI report reader's shortcuts give what the plain forms they replace give (the plain forms are
copied here as they were); each is run both ways on crafted lines, edge cases included."""
from __future__ import annotations

import random
import re
import sys

import pytest

from pipeline.model.text import collapse_ws
from pipeline.sources import diplo_report as diplo

# Every character str.split() splits at, and a few that look like blanks but are not.
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
NOT_WHITESPACE = "\u200b\u2060\ufeff\u00ad"
ODD_CASE = "ſıİ\u212a\u212b"  # long s, dotless i, dotted I, Kelvin sign, Angstrom sign

SECTION_NAMES = sorted(diplo.TOP_SECTIONS | diplo.KNOWN_HEADINGS | set(diplo.ARGUMENT_LABELS)
                       | set(diplo.AGREEMENT_HEADINGS) | set(diplo.LIST_SECTIONS)
                       | {"overall assessment", "arguments", "explanation", "topics", "speaker", "reason",
                          "impact", "consensus level", "disagreement level", "major discussion points",
                          "main discussion points", "overall purpose", "overall tone", "session at a glance",
                          "at a glance"})


def plain_key(line: str) -> str:
    return collapse_ws(line.strip().strip("*:").lower())


def dressed(name: str) -> list[str]:
    """A name as lines may write it: cased, padded, starred, with colons, blanks doubled or odd."""
    words = name.split()
    return [name, name.title(), name.upper(), f"**{name.title()}:**", f"  {name}  ", f": {name} :",
            f"** {name} **", f"*** : {name}", "  ".join(words), "\t".join(words), "\u00a0".join(words),
            f"{name} x", f"x {name}", f"** : ** {name} ** : **", f"{name}:", f"{name} : *",
            name.replace("s", "ſ").replace("i", "ı"), name.upper().replace("I", "İ").replace("K", "\u212a"),
            f"{name} one two three four five", f"* {name} *"]


def variant_lines() -> list[str]:
    lines = ["", " ", "*", "**", ":", "* : *", "a", "x" * 500, "Speech speed", "SPEECH SPEED", " Speech speed",
             "Speech  speed", "Speech speed ", "ſpeech speed", "Speech ſpeed", "Explanation", "EXPLANATION",
             "Explanatİon", "explanation ", "Explanatıon", "Speech length", "Speech time",
             "one two three four five six", "one two three four five six seven", "a b c d e f g h",
             "** a b c d e f **", "** a b c d e f g **", ": : a b c d : :", "a\u00a0b\u2003c\u3000d e f g",
             "Disclaimer: this is not an official session record and has many words in it",
             "Moderator: Good morning everyone and welcome to this session on digital cooperation."]
    for name in SECTION_NAMES:
        lines += dressed(name)
    rng = random.Random(7)
    alphabet = "ab :*-" + WHITESPACE[:12] + NOT_WHITESPACE + ODD_CASE + "AgreementsKeyTakeaways"
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    words = ["key", "takeaways", "agreements", "**", ":", "*", "speakers", "summary", "x", "Explanation"]
    seps = [" ", "  ", "\t", "\u00a0", "\u2028", "\x1c", ""]
    lines += ["".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 9))) for _ in range(3000)]
    return lines


LINES = variant_lines()


def test_section_names_are_short_enough_for_the_word_count_shortcut():
    assert max(len(name.split()) for name in SECTION_NAMES) <= diplo._MAX_NAME_WORDS


def test_lowering_neither_makes_nor_removes_whitespace():
    # the word count shortcut counts the line's words for its key's: lowering must keep them
    for c in range(sys.maxunicode + 1):
        ch = chr(c)
        assert ch.isspace() == any(x.isspace() for x in ch.lower()), hex(c)


@pytest.mark.parametrize("names", [diplo.TOP_SECTIONS, diplo.KNOWN_HEADINGS, set(diplo.ARGUMENT_LABELS),
                                   set(diplo.AGREEMENT_HEADINGS), set(SECTION_NAMES)])
def test_name_key_finds_the_names_the_key_finds(names):
    for line in LINES:
        assert (diplo._name_key(line) in names) == (plain_key(line) in names), repr(line)
        assert bool(diplo._GLANCE.match(diplo._name_key(line))) == bool(diplo._GLANCE.match(plain_key(line)))


def test_name_key_is_the_key_or_no_name():
    for line in LINES:
        assert diplo._name_key(line) in (plain_key(line), ""), repr(line)
        if len(line.split()) <= diplo._MAX_NAME_WORDS + 2:
            assert diplo._name_key(line) == plain_key(line), repr(line)


def test_lowers_to_is_lower_equals():
    for line in LINES + [ch for ch in ODD_CASE] + ["speech speeD", "SPEECH SPEEDx", "İexplanation"]:
        for word in ("speech speed", "explanation", "speech length", "speech time"):
            assert diplo._lowers_to(line, word) == (line.lower() == word), (line, word)


def test_only_one_character_lengthens_when_lowered_and_not_into_ascii():
    longer = [chr(c) for c in range(sys.maxunicode + 1) if len(chr(c).lower()) > 1]
    assert longer == ["İ"] and not "İ".lower().isascii()


class PlainCursor:
    """The cursor as it was."""

    def __init__(self, lines):
        self.lines = lines
        self.i = 0

    def peek(self, offset=0):
        j = self.i + offset
        return self.lines[j] if 0 <= j < len(self.lines) else None

    def next(self):
        line = self.peek()
        self.i += 1
        return line

    @property
    def done(self):
        return self.i >= len(self.lines)


def plain_is_speaker_block(cur, known):
    line = cur.peek()
    if line is None:
        return False
    if (cur.peek(1) or "").lower() == "speech speed":
        return True
    return line in known and (cur.peek(2) or "").lower() == "explanation"


def test_is_speaker_block_and_cursor_as_before():
    rng = random.Random(3)
    pool = ["Jane Doe", "JANE DOE", "Speech speed", "SPEECH SPEED", "Speech ſpeed", "Explanation", "EXPLANATİON",
            "explanation ", "An argument", "Speech length", "", "x"]
    known = {"Jane Doe", "An argument"}
    for size in range(0, 7):
        for _ in range(300):
            lines = [rng.choice(pool) for _ in range(size)]
            fast, plain = diplo._Cursor(lines), PlainCursor(lines)
            for _ in range(size + 3):
                assert diplo._is_speaker_block(fast, known) == plain_is_speaker_block(plain, known), (lines, plain.i)
                assert fast.peek() == plain.peek() and fast.peek(1) == plain.peek(1) and fast.done == plain.done
                assert fast.next() == plain.next() and fast.i == plain.i


def collapse_texts() -> list[str]:
    texts = ["", " ", "a", "ab", " a", "a ", "a b", "a  b", "a\tb", " a b ", "a b c d", "x" * 2000,
             "word " * 300, ("word " * 300).strip(), "é b", "a é", "a\u00a0b", "a\u3000b", "a\x1cb", "a\x85b",
             "a\u200bb", "a\nb", "a\rb", "a\x0bb", "a\x0cb"]
    texts += [f"a{ws}b" for ws in WHITESPACE] + [f"{ws}a" for ws in WHITESPACE] + [f"a{ws}" for ws in WHITESPACE]
    rng = random.Random(11)
    alphabet = "ab c" + WHITESPACE + NOT_WHITESPACE + "é"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    texts += [" ".join(rng.choice(["a", "bb", "ccc"]) for _ in range(rng.randint(1, 50))) for _ in range(500)]
    return texts


def test_collapse_fresh_is_collapse_ws():
    for text in collapse_texts():
        assert diplo._collapse_fresh(text) == collapse_ws(text), repr(text)


def test_ascii_spaces_but_blank_are_what_split_splits_at():
    assert set(diplo._ASCII_SPACES_BUT_BLANK) == {chr(c) for c in range(128) if chr(c).isspace()} - {" "}


# The patterns parse_speaker_entry and the readers used inline, as they were written.
PLAIN_PATTERNS = {
    "_ROLE": (r"Role/Title:\s*(.*?)(?:,\s*Area of expertise:|$)", re.I),
    "_AREA": (r"Area of expertise:\s*(.*)$", re.I),
    "_BRACKETED": (r"\(([^()]+)\)", 0),
    "_BRACKET": (r"\([^()]*\)", 0),
    "_REPRESENTATIVE_END": (r"\s+representative$", re.I),
    "_NOT_SPECIFIED": (r"^not specified\b\.?", re.I),
    "_REPRESENTATIVE_OF": (r"^representative of (?:the )?(.+)$", re.I),
    "_SENTENCE_PUNCTUATION": (r"[.?!,;]", 0),
    "_NONE": (r"^none\b", re.I),
}


@pytest.mark.parametrize("name", sorted(PLAIN_PATTERNS))
def test_precompiled_patterns_are_the_inline_ones(name):
    pattern, flags = PLAIN_PATTERNS[name]
    compiled = getattr(diplo, name)
    assert compiled.pattern == pattern and compiled.flags == re.compile(pattern, flags).flags
    samples = ["Role/Title: Minister (Malaysia), Area of expertise: Cybersecurity", "ROLE/TITLE: x",
               "Kenya representative", "Not specified. Chair", "representative of the ITU", "None identified",
               "nonexistent", "H.E. Mr.", "a, b", "(a) (b (c))", "", "Area of expertise:", "ſ ı İ \u212a"]
    for sample in samples + LINES[:300]:
        assert [m.group(0) for m in compiled.finditer(sample)] == [m.group(0) for m in re.finditer(pattern, sample, flags)]
        assert bool(compiled.match(sample)) == bool(re.match(pattern, sample, flags))
        assert compiled.sub("", sample) == re.sub(pattern, "", sample, flags=flags)


def plain_parse_speaker_entry_parts(rest: str) -> tuple:
    """What parse_speaker_entry read with the inline patterns: role, area, countries, position, organisation."""
    role_match = re.search(r"Role/Title:\s*(.*?)(?:,\s*Area of expertise:|$)", rest, re.I)
    area_match = re.search(r"Area of expertise:\s*(.*)$", rest, re.I)
    role = collapse_ws(role_match.group(1)) if role_match else ""
    brackets = [re.sub(r"\s+representative$", "", b.strip(), flags=re.I) for b in re.findall(r"\(([^()]+)\)", role)]
    role = collapse_ws(re.sub(r"\([^()]*\)", "", role))
    role = re.sub(r"^not specified\b\.?", "", role, flags=re.I).strip(" ,.")
    org = re.match(r"^representative of (?:the )?(.+)$", role, re.I)
    return (area_match and area_match.group(1), brackets, role, org and org.group(1))


@pytest.mark.parametrize("rest", [
    "Role/Title: Minister (Malaysia), Area of expertise: Cybersecurity",
    "role/title: Kenya Representative (Kenya representative), area of expertise: x",
    "Role/Title: Not specified. (France)", "Role/Title: representative of the United Nations",
    "Role/Title: H.E. Mr.", "Area of expertise: only", "Role/Title:", "", "Role/Title: Chair (a (b) c)"])
def test_speaker_entry_reads_as_with_the_inline_patterns(rest):
    person = diplo.parse_speaker_entry("Jane Doe: " + rest)
    area, brackets, role, org = plain_parse_speaker_entry_parts(rest)
    assert person.area_of_expertise == (collapse_ws(area) if area is not None else None)
    if org and org[:1].isupper() and not diplo.is_place(org):
        assert person.organization == org
