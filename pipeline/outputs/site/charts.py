"""The overview's charts: each one SQL query over the dataset's tables and a Vega-Lite spec, drawn
to SVG when the site is built (vl-convert: no browser, no script and nothing fetched when viewed)."""
from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass

import duckdb
import polars as pl

from pipeline.outputs.site.pages import frame_digest


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    sql: str
    alt: str   # the text alternative: what the chart shows, in words, with its numbers
    svg: str


WHOLE_NUMBERS = {"tickMinStep": 1, "format": "d"}  # counts: no 0.5 ticks
TOP = 15          # bars in a "most frequent" chart
NETWORK_SIZE = 20  # people in the network chart

SESSIONS_PER_YEAR = """-- sessions per year, by event (the series when no event is stated)
SELECT coalesce(CAST(year(date) AS VARCHAR), 'undated') AS year,
       coalesce(event, series, 'not stated') AS event,
       count(*) AS sessions
FROM sessions
GROUP BY ALL
ORDER BY year, event"""

TOP_ORGANIZATIONS = f"""-- organizations most often named among participants
SELECT organization, count(*) AS participations, count(DISTINCT person_id) AS people
FROM participants
WHERE organization IS NOT NULL
GROUP BY organization
ORDER BY participations DESC, organization
LIMIT {TOP}"""

TOP_COUNTRIES = f"""-- countries most often named among participants
SELECT country, count(*) AS participations, count(DISTINCT person_id) AS people
FROM participants
WHERE country IS NOT NULL
GROUP BY country
ORDER BY participations DESC, country
LIMIT {TOP}"""

ROLES = """-- roles of participants (a participation can have several)
SELECT role, count(*) AS participations
FROM (SELECT unnest(roles) AS role FROM participants)
GROUP BY role
ORDER BY participations DESC, role"""

DOCUMENTS = """-- documents by detected format and status
SELECT format, status, count(*) AS documents
FROM documents
GROUP BY ALL
ORDER BY format, status"""

_MOST_CONNECTED = f"""SELECT a.person_id, p.name, count(DISTINCT a.other_person_id) AS partners
FROM agreement_pairs a JOIN people p USING (person_id)
GROUP BY ALL
ORDER BY partners DESC, p.name, a.person_id
LIMIT {NETWORK_SIZE}"""

NETWORK_PEOPLE = "-- the most connected people of the agreement network\n" + _MOST_CONNECTED

NETWORK_LINKS = f"""-- links among them: agreements and differences per pair
WITH top_people AS ({_MOST_CONNECTED})
SELECT person_id, other_person_id,
       count(*) FILTER (WHERE kind NOT IN ('disagreement', 'unexpected_difference')) AS agreements,
       count(*) FILTER (WHERE kind IN ('disagreement', 'unexpected_difference')) AS differences
FROM agreement_pairs
WHERE person_id < other_person_id
  AND person_id IN (SELECT person_id FROM top_people)
  AND other_person_id IN (SELECT person_id FROM top_people)
GROUP BY ALL
ORDER BY person_id, other_person_id"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _empty(title: str) -> dict:
    return {"title": title, "width": 300, "height": 60, "data": {"values": [{"text": "no data in this release"}]},
            "mark": {"type": "text", "fontSize": 14}, "encoding": {"text": {"field": "text"}}}


def _bars(title: str, rows: list[dict], category: str, count: str, label: str) -> dict:
    if not rows:
        return _empty(title)
    return {
        "title": title, "width": 420, "data": {"values": rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": "-x", "title": None,
                  "axis": {"labelLimit": 260}},
            "x": {"field": count, "type": "quantitative", "title": label, "axis": WHOLE_NUMBERS},
        },
    }


def _stacked(title: str, rows: list[dict], x: str, colour: str, count: str, label: str) -> dict:
    if not rows:
        return _empty(title)
    return {
        "title": title, "width": 420, "height": 220, "data": {"values": rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": count, "type": "quantitative", "title": label, "axis": WHOLE_NUMBERS},
            "color": {"field": colour, "type": "nominal", "legend": {"labelLimit": 260, "orient": "bottom", "columns": 2}},
        },
    }


def _network(title: str, people: list[dict], links: list[dict]) -> dict:
    """People on a circle, most connected first (a layout that is the same on every build), links as lines."""
    if not people:
        return _empty(title)
    place = {}
    for i, person in enumerate(people):
        angle = 2 * math.pi * i / len(people)
        place[person["person_id"]] = (round(math.cos(angle), 4), round(math.sin(angle), 4))
    nodes = [{"name": p["name"], "partners": p["partners"], "x": place[p["person_id"]][0], "y": place[p["person_id"]][1]}
             for p in people]
    edges = []
    for link in links:
        (x, y), (x2, y2) = place[link["person_id"]], place[link["other_person_id"]]
        relation = "differ" if link["differences"] > link["agreements"] else "agree"
        edges.append({"x": x, "y": y, "x2": x2, "y2": y2, "relation": relation,
                      "count": link["agreements"] + link["differences"]})
    scale = {"domain": [-1.6, 1.6]}
    axis = None
    return {
        "title": title, "width": 520, "height": 520,
        "layer": [
            {"data": {"values": edges}, "mark": {"type": "rule", "opacity": 0.6},
             "encoding": {"x": {"field": "x", "type": "quantitative", "scale": scale, "axis": axis},
                          "y": {"field": "y", "type": "quantitative", "scale": scale, "axis": axis},
                          "x2": {"field": "x2"}, "y2": {"field": "y2"},
                          "strokeWidth": {"field": "count", "type": "quantitative", "title": "shared statements"},
                          "color": {"field": "relation", "type": "nominal", "title": "link",
                                    "scale": {"domain": ["agree", "differ"], "range": ["#4c78a8", "#e45756"]}}}},
            {"data": {"values": nodes}, "mark": {"type": "circle", "opacity": 1, "tooltip": True},
             "encoding": {"x": {"field": "x", "type": "quantitative", "scale": scale, "axis": axis},
                          "y": {"field": "y", "type": "quantitative", "scale": scale, "axis": axis},
                          "size": {"field": "partners", "type": "quantitative", "title": "people agreed or differed with"},
                          "color": {"value": "#333"}}},
            {"data": {"values": nodes}, "mark": {"type": "text", "dy": -12, "fontSize": 11},
             "encoding": {"x": {"field": "x", "type": "quantitative", "scale": scale, "axis": axis},
                          "y": {"field": "y", "type": "quantitative", "scale": scale, "axis": axis},
                          "text": {"field": "name"}}},
        ],
    }


def _listing(rows: list[dict], fields: list[str], limit: int = 20) -> str:
    shown = "; ".join(", ".join(str(row[f]) for f in fields) for row in rows[:limit])
    more = f"; and {len(rows) - limit} more" if len(rows) > limit else ""
    return (shown + more) if rows else "no data in this release"


@dataclass(frozen=True)
class ChartSpec:
    """A chart before it is drawn: its Vega-Lite spec, with the data in it."""
    slug: str
    title: str
    sql: str
    alt: str
    spec: dict

    @functools.cached_property
    def key(self) -> str:
        """What the drawing depends on: the spec (with its data) and the version of vl-convert (computed
        once: the overview's fingerprint and the drawing both ask for it)."""
        import vl_convert

        text = json.dumps([self.spec, getattr(vl_convert, "__version__", "")], sort_keys=True, default=str)
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _sessions_per_year(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    per_year = _rows(con, SESSIONS_PER_YEAR)
    return ChartSpec("sessions-per-year", "Sessions per year, by event", SESSIONS_PER_YEAR,
                     "Sessions per year and event (year, event, sessions): " + _listing(per_year, ["year", "event", "sessions"]),
                     _stacked("Sessions per year, by event", per_year, "year", "event", "sessions", "sessions"))


def _organizations(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    organizations = _rows(con, TOP_ORGANIZATIONS)
    return ChartSpec("organizations", f"The {TOP} most frequent organizations among participants", TOP_ORGANIZATIONS,
                     "Organizations and their participations: " + _listing(organizations, ["organization", "participations"]),
                     _bars("Organizations among participants", organizations, "organization", "participations", "participations"))


def _countries(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    countries = _rows(con, TOP_COUNTRIES)
    return ChartSpec("countries", f"The {TOP} most frequent countries among participants", TOP_COUNTRIES,
                     "Countries and their participations: " + _listing(countries, ["country", "participations"]),
                     _bars("Countries among participants", countries, "country", "participations", "participations"))


def _roles(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    roles = _rows(con, ROLES)
    return ChartSpec("roles", "Roles of participants", ROLES,
                     "Roles and their participations: " + _listing(roles, ["role", "participations"]),
                     _bars("Roles", roles, "role", "participations", "participations"))


def _documents(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    documents = _rows(con, DOCUMENTS)
    return ChartSpec("documents", "Documents by format and status", DOCUMENTS,
                     "Documents by format and status (parsed, partial, duplicate, rejected): "
                     + _listing(documents, ["format", "status", "documents"]),
                     _stacked("Documents by format and status", documents, "format", "status", "documents", "documents"))


def _agreement_network(con: duckdb.DuckDBPyConnection) -> ChartSpec:
    people = _rows(con, NETWORK_PEOPLE)
    links = _rows(con, NETWORK_LINKS)
    return ChartSpec("agreement-network", f"The agreement network of the {NETWORK_SIZE} most connected people",
                     NETWORK_PEOPLE + ";\n\n" + NETWORK_LINKS,
                     f"{len(people)} people and {len(links)} links between them; people with the number of others they "
                     "agreed or differed with: " + _listing(people, ["name", "partners"]),
                     _network("Who agreed or differed with whom", people, links))


# Every chart of the overview, in its order: the tables its queries read, and how it is made from them.
CHARTS = {
    "sessions-per-year": (("sessions",), _sessions_per_year),
    "organizations": (("participants",), _organizations),
    "countries": (("participants",), _countries),
    "roles": (("participants",), _roles),
    "documents": (("documents",), _documents),
    "agreement-network": (("agreement_pairs", "people"), _agreement_network),
}


def chart_specs(con: duckdb.DuckDBPyConnection, slugs: set[str] | None = None) -> list[ChartSpec]:
    """The charts of the overview (all, or those in `slugs`), from the tables `con` has (names as in
    the dataset), not yet drawn."""
    return [make(con) for slug, (_, make) in CHARTS.items() if slugs is None or slug in slugs]


def draw(specs: list[ChartSpec], drawn: dict[str, str] | None = None) -> list[Chart]:
    """The charts drawn to SVG; `drawn` (SVG by ChartSpec.key) is reused and gets those drawn here."""
    import vl_convert

    drawn = {} if drawn is None else drawn
    charts = []
    for spec in specs:
        key = spec.key
        if key not in drawn:
            drawn[key] = vl_convert.vegalite_to_svg(spec.spec)
        charts.append(Chart(spec.slug, spec.title, spec.sql, spec.alt, drawn[key]))
    return charts


class Charts:
    """The overview's charts of one build, each queried and drawn only when what it shows changed: `kept`
    (what state() gave the previous build) has the specs, each reused while the code (`code`, a hash of
    it) and the columns its queries read are the same, and the SVG of each spec drawn."""

    def __init__(self, tables: dict[str, pl.DataFrame], kept: dict, code: int):
        digests = {name: frame_digest(frame) for name, frame in tables.items()}
        self.inputs = {slug: json.dumps({"code": code, **{name: digests[name] for name in read}}, sort_keys=True)
                       for slug, (read, _) in CHARTS.items()}
        reusable = _kept_specs(kept, self.inputs)
        stale = set(CHARTS) - set(reusable)
        made = {spec.slug: spec for spec in _query(tables, stale)} if stale else {}
        self.specs = [reusable.get(slug) or made[slug] for slug in CHARTS]
        keys = {spec.key for spec in self.specs}
        self.svg = {key: svg for key, svg in kept.get("svg", {}).items() if key in keys}

    def drawn(self) -> list[Chart]:
        return draw(self.specs, self.svg)

    def state(self) -> dict:
        return {"inputs": self.inputs, "specs": [asdict(spec) for spec in self.specs], "svg": self.svg}


def _kept_specs(kept: dict, inputs: dict[str, str]) -> dict[str, ChartSpec]:
    """The kept specs (by slug) made from the same inputs as now; a state of another form keeps none."""
    kept_inputs = kept.get("inputs")
    if not isinstance(kept_inputs, dict):
        return {}
    specs = {}
    for spec in kept.get("specs") or []:
        try:
            chart = ChartSpec(**spec)
        except TypeError:
            continue
        if kept_inputs.get(chart.slug) == inputs.get(chart.slug):
            specs[chart.slug] = chart
    return specs


def _query(tables: dict[str, pl.DataFrame], slugs: set[str]) -> list[ChartSpec]:
    """The charts of `slugs`, queried from the tables they read."""
    con = duckdb.connect()
    try:
        for name in sorted({name for slug in slugs for name in CHARTS[slug][0]}):
            con.register(name, tables[name])
        return chart_specs(con, slugs)
    finally:
        con.close()
