"""A synthetic corpus that looks like the real one, with the truth written beside it.

All four formats with their variations, realistic sizes (event pages 2-10 KB, proposals ~5 KB,
reports 30-150 KB, concept notes ~3 KB), a pool of people who recur across sessions under name
variants, planted mirrors and reposts, a few malformed files, and `truth.json`: which documents copy
which, which written names are one person, how many sessions there are.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

GIVEN = ["Anna", "Jūratė", "Tomás", "Li", "Yuan", "Amina", "Kwame", "Sofia", "Matías", "Olga", "Hiroshi", "Priya",
         "Lucien", "Fahmi", "Sally", "Dimitris", "Ingrid", "Rafael", "Chen", "Noura", "Pēteris", "Zoë", "Emeka", "Ana"]
SURNAMES = ["Novak", "Šovienė", "González", "Wang", "Xu", "Diallo", "Mensah", "Rossi", "Castex", "Petrova", "Tanaka",
            "Sharma", "Fadzil", "Wentworth", "Papastergiou", "Berg", "Müller", "Zhou", "Haddad", "Ozoliņš", "Kim",
            "Silva", "Okafor", "Lindqvist", "Nakamura", "Dubois", "Kowalski", "Ibrahim", "Costa", "Jensen"]
ORGS = ["Ministry of Foreign Affairs", "National Cyber Security Centre", "Internet Society", "Trust Valley",
        "Cyber Security Agency", "University of Geneva", "Global Cyber Alliance", "CERT Coordination Center",
        "Security Policy Department, Ministry of Defence", "Digital Rights Foundation", "Telecom Regulatory Authority"]
COUNTRIES = ["Singapore", "Poland", "Germany", "Brazil", "Japan", "Kenya", "India", "Lithuania", "Spain", "Malaysia",
             "Ghana", "Estonia", "Canada", "France", "Chile"]
STAKEHOLDERS = ["Civil Society", "Private Sector", "Technical Community", "Government", "Intergovernmental Organization"]
REGIONS = ["Asia-Pacific Group", "African Group", "Eastern European Group", "Western European and Others Group (WEOG)",
           "Latin American and Caribbean Group (GRULAC)"]
TOPICS = ["Cybersecurity", "Legal and regulatory", "Development", "Economic", "Human rights", "Infrastructure", "Sociocultural"]
WORDS = ("cyber resilience norms capacity building cooperation trust security governance states private sector "
         "critical infrastructure incident response information sharing confidence measures international law "
         "sovereignty platforms standards encryption routing inclusion skills regulators sandbox partnership "
         "attribution deterrence supply chain ransomware diplomacy multilateral regional frameworks practical "
         "implementation vulnerable groups accountability transparency risk assessment funding research youth "
         "education gender digital divide data protection privacy cloud artificial intelligence election "
         "protection cooperation mechanisms").split()
HONORIFICS = ["Mr", "Ms", "Dr", "Prof", "H.E."]


@dataclass
class Person:
    index: int
    given: str
    surname: str
    org: str
    country: str
    stakeholder: str
    region: str
    written: set = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"

    def variant(self, rng: random.Random) -> str:
        """The name as some source would write it."""
        form = rng.random()
        if form < 0.55:
            value = self.name
        elif form < 0.7:
            value = f"{self.given} {self.surname.upper()}"
        elif form < 0.85:
            from anyascii import anyascii
            value = anyascii(self.name)
        else:
            value = f"{self.surname.upper()} {self.given}"
        self.written.add(value)
        return value


@dataclass
class Session:
    index: int
    title: str
    date: dt.date
    start: int          # minutes after midnight
    minutes: int
    people: list[Person]
    moderator: Person
    topics: list[str] = field(default_factory=list)


def _sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(sentences))


def _clock(minutes: int, style: str) -> str:
    h, m = divmod(minutes, 60)
    if style == "ampm":
        return f"{(h - 1) % 12 + 1}.{m:02d}{'am' if h < 12 else 'pm'}"
    return f"{h:02d}:{m:02d}h"


def render_isomer(s: Session, rng: random.Random, archive: bool = False, people: list[Person] | None = None) -> str:
    slug = f"session-{s.index}"
    link = f"/archive/events/{slug}/" if archive else f"/{slug}/"
    heading = "Panellists" if archive else "Speakers"
    speakers = people if people is not None else s.people
    rows = []
    for p in speakers:
        name = p.variant(rng)
        rows.append(f"| [{rng.choice(HONORIFICS)} {name}](/speakers/{slug}-{p.index}/)  | *Director*<br>{p.org}<br>{p.country}     |")
    description = "\n\n".join(_paragraph(rng, rng.randint(4, 7)) for _ in range(rng.randint(3, 7)))
    return (f'---\ntitle: "{s.title}"\npermalink: {link}\nvariant: markdown\ndescription: ""\n'
            f"third_nav_title: {s.date:%d %B %Y}\n---\n#### **{s.title}**\n\n**{s.date:%d %B %Y} ({s.date:%A})**  \n"
            f"*Time: {_clock(s.start, 'ampm')} to {_clock(s.start + s.minutes, 'ampm')} (GMT +8)*\n\n{description}\n\n"
            f"|**{heading}**          |                  |\n" + "\n".join(rows) + "\n"
            f"|<br> **Moderator**          |                     |\n"
            f"| [Ms {s.moderator.variant(rng)}](/speakers/{slug}-mod/)  | *Chair*<br>{s.moderator.org}<br>{s.moderator.country} |\n"
            "| | |\n\n\n<br><br><br>\n*Information is accurate at time of publication*")


def render_igf(s: Session, rng: random.Random) -> str:
    lines = ["Session", f"Title: {s.title}", f"Date: {s.date:%d %B %Y}"]
    for i, p in enumerate(s.people[:3], 1):
        lines.append(f"Organizer {i}: {p.variant(rng)}, {p.org}")
    for i, p in enumerate(s.people[3:], 1):
        lines.append(f"Speaker {i}: {p.variant(rng)}, {p.stakeholder}, {p.region}")
    for p in s.people[:3]:
        lines.append(f"{p.variant(rng)}, {p.stakeholder}, {p.region}")
    lines.append(f"Round Table - U-shape - {s.minutes} Min")
    lines.append(" ".join(f"{i}. {_sentence(rng, 10)[:-1]}?" for i in range(1, rng.randint(3, 7))))
    for goal in sorted(rng.sample([4, 5, 8, 9, 10, 16, 17], 3)):
        from pipeline.sources.common import SDG_TITLES
        lines.append(f"GOAL {goal}: {SDG_TITLES[goal]}")
    lines.append(f"Description: {_paragraph(rng, 8)}")
    lines.append(f"Expected Outcomes: {_paragraph(rng, 5)}")
    lines.append(f"Relevance to Theme: {_paragraph(rng, 4)}")
    lines.append(f"Relevance to Internet Governance: {_paragraph(rng, 4)}")
    return "\n".join(lines)


def render_concept(s: Session, rng: random.Random) -> str:
    topics = "\n\n".join(_sentence(rng, 9)[:-1] for _ in range(3))
    body = "\n\n".join(_paragraph(rng, 4) for _ in range(4))
    return (f"{rng.choice(['Borderless Security', 'Digital Futures', 'Trust in Cyberspace'])} Forum {s.date.year}\n\n"
            f"Special Session {s.index % 9 + 1}\n\n{s.title}\n\n\n{body}\n\nKey Topics of Discussion\n\n{topics}\n")


def render_report(s: Session, rng: random.Random, target_kb: int) -> str:
    speakers = [s.moderator] + s.people
    names = {p.index: p.variant(rng) for p in speakers}
    out = [f"Leaders TalkX: {s.title}", f"{s.date:%-d %b %Y} {_clock(s.start, 'h')} - {_clock(s.start + s.minutes, 'h')}",
           f"Leaders TalkX: {s.title}", rng.choice(["Session at a glance", "Session at a Glance"]), "Summary", _paragraph(rng, 6),
           "Keypoints", "**Major Discussion Points:**"]
    out += [f"– **{t}**: {_sentence(rng)}" for t in rng.sample(TOPICS, 3)]
    out += ["**Overall Purpose:**", _paragraph(rng, 2), "**Overall Tone:**", _paragraph(rng, 2), "Speakers"]
    out += [f"– **{names[p.index]}**: Role/Title: {'Moderator' if p is s.moderator else 'Minister'} ({p.country}), "
            f"Area of expertise: {rng.choice(TOPICS)}" for p in speakers]
    out += ["Additional speakers:", "None identified beyond the provided speakers names list.", "Full session report",
            "# Comprehensive Report", _paragraph(rng, 10), "Session transcript"]
    budget = target_kb * 1024 - sum(len(x) for x in out) - 6000
    arguments = {}
    while budget > 0:
        p = rng.choice(speakers)
        turn = f"{names[p.index]}: {_paragraph(rng, rng.randint(3, 9))}"
        out.append(turn)
        budget -= len(turn)
    for p in speakers:
        out += [names[p.index], "Speech speed", f"{rng.randint(90, 150)} words per minute", "Speech length",
                f"{rng.randint(200, 900)} words", "Speech time", f"{rng.randint(100, 600)} seconds"]
        for _ in range(rng.randint(1, 2)):
            text = _sentence(rng, 12)[:-1]
            arguments.setdefault(p.index, []).append(text)
            out += [text, "Explanation", _paragraph(rng, 2), "Evidence", _sentence(rng), "Major discussion point",
                    rng.choice(TOPICS), "Topics", " | ".join(rng.sample(TOPICS, 3))]
    first, second = s.people[0], s.people[1 % len(s.people)]
    out += ["Agreements", "Agreement points", _sentence(rng, 8)[:-1], "Speakers", f"– {names[first.index]}", f"– {names[second.index]}",
            "Arguments", arguments[first.index][0], arguments[second.index][0], "Summary", _sentence(rng), "Topics", " | ".join(TOPICS[:3])]
    out += ["Takeaways", "Key takeaways"] + [_sentence(rng) for _ in range(4)]
    out += ["Resolutions and action items"] + [_sentence(rng) for _ in range(3)]
    out += ["Follow-up questions", _sentence(rng)[:-1] + "?", "Speaker", names[first.index], "Explanation", _sentence(rng)]
    out.append("Disclaimer: This is not an official session record. DiploAI generates these resources from audiovisual recordings.")
    return "\n".join(out)


def planted_copy(kind: str, text: str, fmt: str, session: Session, mirror_rng: random.Random) -> tuple[str, str]:
    """A copy of `text` made as `kind` says (line endings, an added script, a mirror page, rows
    reordered, a changed title); a kind the format cannot take becomes an exact copy."""
    if kind == "crlf":
        return kind, text.replace("\n", "\r\n")
    if kind == "script":
        return kind, text + '\n<script src="/assets/analytics.js"></script>\n'
    if kind == "mirror" and fmt == "isomer_event":
        copy = render_isomer(session, mirror_rng, archive=True, people=list(reversed(session.people[:-1])))
        return kind, copy.replace(copy[copy.index("\n\n", copy.index("GMT +8")):copy.index("|**")],
                                  text[text.index("\n\n", text.index("GMT +8")):text.index("|**")])
    if kind == "reorder":
        lines = text.split("\n")
        rows = [i for i, line in enumerate(lines) if line.startswith("| [")]
        if len(rows) > 2:
            values = [lines[i] for i in rows]
            values = values[1:] + values[:1]
            for i, v in zip(rows, values):
                lines[i] = v
        return kind, "\n".join(lines)
    if kind == "retitle" and fmt in ("isomer_event", "diplo_report"):
        return kind, text.replace(session.title, session.title + " (updated)", 1)
    return "exact", text + "\n"


def generate_corpus(n_docs: int, out_dir: str | os.PathLike, seed: int = 1) -> dict:
    """Write about n_docs documents under out_dir (in sub-folders) and out_dir/../truth beside it; returns the truth."""
    rng = random.Random(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pool = [Person(i, rng.choice(GIVEN), rng.choice(SURNAMES), rng.choice(ORGS), rng.choice(COUNTRIES),
                   rng.choice(STAKEHOLDERS), rng.choice(REGIONS)) for i in range(max(60, n_docs // 3))]
    # one human per (given, surname): the pool may draw a name twice; keep the first
    unique: dict[str, Person] = {}
    for p in pool:
        unique.setdefault(p.name, p)
    pool = list(unique.values())
    truth = {"seed": seed, "documents": {}, "people": {}, "sessions": 0}
    docs: list[tuple[str, str, dict]] = []
    written = 0
    index = 0
    while written < n_docs:
        index += 1
        people = rng.sample(pool, rng.randint(3, 7))
        session = Session(index, f"{' '.join(rng.sample(WORDS, 4)).title()} {index}",
                          dt.date(2017, 1, 1) + dt.timedelta(days=rng.randint(0, 3000)),
                          rng.choice([540, 600, 660, 840, 960]), rng.choice([30, 60, 90]), people[1:], people[0])
        truth["sessions"] += 1
        roll = rng.random()
        if roll < 0.36:
            fmt, text = "isomer_event", render_isomer(session, rng)
        elif roll < 0.70:
            fmt, text = "igf_proposal", render_igf(session, rng)
        elif roll < 0.80:
            fmt, text = "diplo_report", render_report(session, rng, int(30 + min(120, rng.expovariate(1 / 25))))
        else:
            fmt, text = "concept_note", render_concept(session, rng)
        name = f"{fmt}/{index // 1000:03d}/doc_{index:06d}.txt"
        docs.append((name, text, {"session": index, "format": fmt, "duplicate_of": None, "malformed": None}))
        written += 1
        plant = rng.random()
        if plant < 0.05 and written < n_docs:  # a planted copy of this document
            kind = rng.choice(["crlf", "script", "mirror", "reorder", "retitle"])
            kind, copy = planted_copy(kind, text, fmt, session, random.Random(seed * 7919 + index))
            docs.append((name.replace(".txt", f"_{kind}.txt"), copy,
                         {"session": index, "format": fmt, "duplicate_of": name, "malformed": None, "kind": kind}))
            written += 1
        if rng.random() < 0.01 and written < n_docs:
            bad = rng.choice(["empty", "binary", "truncated", "unknown"])
            data = {"empty": "", "binary": "\x00\x89PNG\x00\x00" * 50, "truncated": text[: len(text) // 3],
                    "unknown": "Shopping list\n\neggs\nmilk\n"}[bad]
            docs.append((f"malformed/doc_{index:06d}_{bad}.txt", data,
                         {"session": index if bad == "truncated" else None, "format": fmt, "duplicate_of": None, "malformed": bad}))
            written += 1
    truth["people"] = {str(p.index): sorted(p.written) for p in pool if p.written}
    for name, text, meta in docs:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        truth["documents"][name] = meta
    (out.parent / f"{out.name}.truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    return truth
