"""Rendering the site's pages from their rows, in this process or in worker processes.

A worker imports only this module (Jinja, polars and the site's pages and store, not the pipeline's
schemas): it starts in a fraction of a second, and renders and stages a slice of pages itself, so
that the pages' HTML does not go back through a pipe.
"""
from __future__ import annotations

import functools
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from jinja2 import (BytecodeCache, Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined, Template,
                    select_autoescape)
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from pipeline.memory import no_gc
from pipeline.outputs.site.pages import PageRows
from pipeline.outputs.site.store import Stager
from pipeline.shards import worker_context

DIFFERENCES = ("disagreement", "unexpected_difference")


class _Environment(Environment):
    def getattr(self, obj, attribute: str):
        """`row.field` looks the key up first in the dicts the pages are made of (Jinja tries the
        attribute first, and an AttributeError a field costs more than the rest of rendering it)."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def person_link(root: str, person_id: str | None, name: str | None) -> Markup:
    """A person's name, linked to their page when they have one (a function, not a macro: it is called
    a hundred thousand times)."""
    if person_id:
        return Markup(f'<a href="{escape(root)}people/{escape(person_id)}.html">{escape(name)}</a>')
    return escape(name)


def session_link(root: str, session_id: str, title: str) -> Markup:
    return Markup(f'<a href="{escape(root)}sessions/{escape(session_id)}.html">{escape(title)}</a>')


def paragraphs(text: str) -> Markup:
    """Text's paragraphs (split at blank lines), each in a <p>: escaped at once, as escaping each
    paragraph alone would (no escaped character is a line break)."""
    return Markup("<p>" + str(escape(text)).replace("\n\n", "</p><p>") + "</p>")


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept by this process, over an optional folder that keeps them from one process
    to the next: a process that builds many sites (a Dagster code server, a test session) compiles each
    template once, not once per build. Keyed by Jinja's own key and the source's checksum, so an edited
    template is compiled again."""
    _in_process: dict[tuple[str, str], bytes] = {}

    def __init__(self, folder: Path | None):
        self.folder = FileSystemBytecodeCache(str(folder)) if folder else None

    def load_bytecode(self, bucket: Bucket) -> None:
        if self.folder:
            self.folder.load_bytecode(bucket)
            if bucket.code is not None:
                return
        kept = self._in_process.get((bucket.key, bucket.checksum))
        if kept is not None:
            bucket.bytecode_from_string(kept)
            if self.folder:  # the site's worker processes load the templates from the folder
                self.folder.dump_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._in_process[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()
        if self.folder:
            self.folder.dump_bytecode(bucket)


def environment(compiled: Path | None) -> Environment:
    """The templates' environment; `compiled`, a folder that keeps them compiled from one build to the next."""
    # StrictUndefined: a page's row holds only the fields its template shows; a field the template
    # names and the row lacks is an error, not an empty string
    env = _Environment(loader=PackageLoader("pipeline.outputs.site", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, auto_reload=False,
                       bytecode_cache=CompiledTemplates(compiled))
    env.globals.update(person=person_link, session=session_link, paragraphs=paragraphs)
    return env


@functools.cache
def _worker_environment(compiled: Path | None) -> Environment:
    """The environment of a worker process, made once for all the slices it renders."""
    return environment(compiled)


class Renderer:
    """The templates, with what every page shows: all a process needs to render pages from their rows."""

    def __init__(self, common: dict, env: Environment):
        self.common, self.env = common, env
        self._templates: dict[str, Template] = {}

    def render(self, template: str, path: str, **context) -> str:
        if template not in self._templates:  # looked up once: get_template costs more than a small page's rows
            self._templates[template] = self.env.get_template(template)
        return self._templates[template].render(root="../" * path.count("/"), **self.common, **context)

    def session_page(self, s: dict) -> str:
        lists = {name: s.pop(name) for name in ("documents", "agreements", "conflicts")}
        return self.render("session.html", s["path"], s=s, heading=s["heading"], **lists)

    def person_page(self, p: dict) -> str:
        related = p.pop("pairs")
        return self.render("person.html", p["path"], p=p,
                           relations=[("Agreed with", [r for r in related if r["kind"] not in DIFFERENCES]),
                                      ("Disagreed or differed with", [r for r in related if r["kind"] in DIFFERENCES])])


@dataclass(frozen=True)
class PageSlice:
    """Pages a worker process renders and stages: their rows, the Renderer method that makes each
    (its name), and what that needs."""
    rows: PageRows
    make: str
    common: dict
    compiled: Path | None
    stager: Stager


def stage_pages(make: Callable[[dict], str], rows: Iterable[dict], stage: Callable[[str, str], None]) -> None:
    """Render each page from its row and stage it at its path (here or in a worker). The cycle collector
    stays off meanwhile: a page's row and rendering make no cycles and are freed as soon as it is
    staged, but their many new dicts and lists would set off a collection every few pages, each one
    walking every object of the process."""
    with no_gc():
        for row in rows:
            stage(row["path"], make(row))


def render_slice(job: PageSlice) -> list[str]:
    """Render and stage one slice of pages; the paths staged, in order."""
    stage_pages(getattr(Renderer(job.common, _worker_environment(job.compiled)), job.make), job.rows, job.stager.stage)
    return job.stager.staged


def render_in_pool(jobs: Iterable[PageSlice], workers: int, meanwhile: Callable[[], None],
                   in_flight: int) -> list[list[str]]:
    """Each job's staged paths, in the jobs' order, the jobs rendered by `workers` processes while this
    one does `meanwhile`, in pipeline/shards.py's worker context. At most `in_flight` jobs are handed
    out at a time: the jobs are taken from `jobs` as the workers finish others, so only their rows are
    held. If the workers cannot start (e.g. an interactive __main__), the jobs not done are rendered here."""
    jobs = iter(jobs)
    pending: deque[tuple[PageSlice, Future]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
        def hand_out() -> None:
            while len(pending) < in_flight and (job := next(jobs, None)) is not None:
                pending.append((job, pool.submit(render_slice, job)))
        try:
            hand_out()
            meanwhile()
            staged = []
            while pending:
                job, future = pending.popleft()
                try:
                    staged.append(future.result())
                except BrokenProcessPool:
                    left = [job, *(j for j, _ in pending), *jobs]
                    pending.clear()
                    return staged + [render_slice(j) for j in left]
                hand_out()
            return staged
        except BaseException:
            pool.shutdown(cancel_futures=True)  # the build failed: no more slices
            raise
