"""The labelled set of de-duplication and identity: the seeds plus variants built from them, with
the truth about which documents copy each other and which written names are one person."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

SEEDS = {"sicw": "000_f120bb8921e20eab.txt", "archive": "001_b7d4588d317b3132.txt", "igf": "002_0a4cf74c8544ded3.txt",
         "report": "003_6775f7a9c617e30c.txt", "concept": "004_504c6bbff94b77a4.txt"}


def _sicw_other_session(page: str, title: str, date: str, day: str) -> str:
    """Another session on the same site template: other title, date, description and speakers."""
    page = page.replace("Solidarity in Cyberspace: How To Assist Countries in Need", title)
    page = page.replace("15 October 2024", date).replace("(Tuesday)", f"({day})")
    start = page.index("**Can international")
    end = page.index("|**Speakers**")
    page = page[:start] + ("**How should regional CERTs share threat data?**\n<br>Regional computer emergency "
                           "response teams met to compare notes on information-sharing agreements, legal barriers "
                           "to cross-border data transfer and the tooling they use.\n\n") + page[end:]
    return (page.replace("Mr David Koh", "Ms Aiko Tanaka").replace("mr-david-koh", "ms-aiko-tanaka")
                .replace("Mr Craig Stephen", "Mr Omar Haddad").replace("Prof Luke Ong", "Dr Ingrid Berg"))


def seeds_folder() -> Path:
    """The seeds: the raw/ folder of the checkout these tools belong to, else the project's (an installed
    package has no checkout), so the labelled set is the same wherever the command starts."""
    checkout = Path(__file__).resolve().parent.parent / "raw"
    if all((checkout / name).is_file() for name in SEEDS.values()):
        return checkout
    from pipeline.project import find_project

    return find_project().raw


def build_labelled_corpus(folder: str | Path) -> dict:
    """Write the labelled documents into `folder`; returns the truth:
    clusters (lists of file names that are copies of each other), different (pairs that must not merge),
    people (lists of written names that are one person) and distinct (pairs of written names of different people)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    raw = seeds_folder()
    for name in SEEDS.values():
        shutil.copy(raw / name, folder / name)
    page = (raw / SEEDS["sicw"]).read_text(encoding="utf-8")
    proposal = (raw / SEEDS["igf"]).read_text(encoding="utf-8")
    report = (raw / SEEDS["report"]).read_text(encoding="utf-8")
    variants = {
        "sicw_retitled.md": page.replace("Solidarity in Cyberspace: How To Assist Countries in Need",
                                         "Solidarity in Cyberspace: How to Assist Countries in Need (updated)"),
        "sicw_script.md": page + '\n<script src="/assets/js/analytics.js"></script>\n',
        "sicw_reordered.md": _reorder_rows(page),
        "sicw_placeholders.md": re.sub(r"\| \[(?:Mr|Ms|Prof) [^\]]+\]\([^)]*\)\s*\|[^\n]*\n",
                                       "| (Name of Speaker1) | *(Title)*<br>(Organisation) |\n", page, count=3),
        "igf_crlf.txt": proposal.replace("\n", "\r\n"),
        "sicw_other_day.md": _sicw_other_session(page, "Regional CERT Cooperation in Practice", "16 October 2024", "Wednesday"),
        "sicw_same_day.md": _sicw_other_session(page, "Securing Undersea Cables", "15 October 2024", "Tuesday"),
        # one person written three ways across three documents, and a namesake with another affiliation
        "lithuania_page.md": ('---\ntitle: "Baltic Cyber Resilience"\npermalink: /baltic-cyber-resilience/\nvariant: markdown\n---\n'
                              "**3 March 2025**\n*Time: 10.00am to 11.00am (GMT +2)*\n\nBaltic states compare notes.\n\n"
                              "|**Speakers**| |\n| [Ms JŪRATĖ ŠOVIENĖ](/speakers/js/) | *Chair*<br>Communications Regulatory Authority<br>Lithuania |\n"
                              "| [Mr David Koh](/speakers/dk2/) | *Professor*<br>University of Auckland<br>New Zealand |\n"),
        "lithuania_report.txt": report.replace("Jurate Soviene", "Jūratė Šovienė").replace(
            "Leaders TalkX: Towards a safer connected world", "Leaders TalkX: Baltic follow-up").replace("9 Jul 2025", "10 Jul 2025"),
    }
    for name, text in variants.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    return {
        "clusters": [[SEEDS["sicw"], SEEDS["archive"], "sicw_retitled.md", "sicw_script.md", "sicw_reordered.md",
                      "sicw_placeholders.md"], [SEEDS["igf"], "igf_crlf.txt"]],
        "different": [[SEEDS["sicw"], "sicw_other_day.md"], [SEEDS["sicw"], "sicw_same_day.md"],
                      ["sicw_other_day.md", "sicw_same_day.md"], [SEEDS["report"], "lithuania_report.txt"]],
        "people": [["Jurate Soviene", "Jūratė Šovienė", "JŪRATĖ ŠOVIENĖ"], ["Yuan XU"], ["Matias Gonzalez"]],
        "distinct": [[("David Koh", SEEDS["sicw"]), ("David Koh", "lithuania_page.md")],
                     [("Yuan XU", SEEDS["igf"]), ("Yu ZHOU", SEEDS["igf"])]],
    }


def _reorder_rows(page: str) -> str:
    lines = page.split("\n")
    rows = [i for i, line in enumerate(lines) if line.startswith("| [") and "Keerthi" not in line]
    values = [lines[i] for i in rows]
    for i, value in zip(rows, values[2:] + values[:2]):
        lines[i] = value
    return "\n".join(lines)
