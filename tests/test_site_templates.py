"""Compiled site templates are kept by the process (a code server or a test session builds many sites)
and in the build's folder (the site's worker processes load them from there)."""
from __future__ import annotations

from jinja2 import DictLoader, Environment

from pipeline.outputs.site import render
from pipeline.outputs.site.render import CompiledTemplates


def _counting_environment(sources: dict[str, str], folder, compiled: list[str]) -> Environment:
    if folder:
        folder.mkdir(exist_ok=True)
    class Counting(Environment):
        def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
            if not raw:
                compiled.append(name)
            return super().compile(source, name, filename, raw, defer_init)

    return Counting(loader=DictLoader(sources), bytecode_cache=CompiledTemplates(folder))


def test_a_template_is_compiled_once_per_process_and_written_to_each_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(CompiledTemplates, "_in_process", {})
    sources = {"page.html": "<h1>{{ title }}</h1>{% for x in items %}<p>{{ x }}</p>{% endfor %}"}
    compiled: list[str] = []
    first = _counting_environment(sources, tmp_path / "a", compiled).get_template("page.html")
    second = _counting_environment(sources, tmp_path / "b", compiled).get_template("page.html")
    third = _counting_environment(sources, None, compiled).get_template("page.html")
    assert compiled == ["page.html"]
    for template in (first, second, third):
        assert template.render(title="T", items=[1, 2]) == "<h1>T</h1><p>1</p><p>2</p>"
    assert len(list((tmp_path / "a").iterdir())) == 1 and len(list((tmp_path / "b").iterdir())) == 1


def test_an_edited_template_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setattr(CompiledTemplates, "_in_process", {})
    compiled: list[str] = []
    before = _counting_environment({"page.html": "old {{ x }}"}, tmp_path / "a", compiled).get_template("page.html")
    after = _counting_environment({"page.html": "new {{ x }}"}, tmp_path / "a", compiled).get_template("page.html")
    assert compiled == ["page.html", "page.html"]
    assert (before.render(x=1), after.render(x=1)) == ("old 1", "new 1")


def test_a_damaged_folder_entry_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setattr(CompiledTemplates, "_in_process", {})
    compiled: list[str] = []
    _counting_environment({"page.html": "{{ x }}!"}, tmp_path / "a", compiled).get_template("page.html")
    for entry in (tmp_path / "a").iterdir():
        entry.write_bytes(b"garbage")
    monkeypatch.setattr(CompiledTemplates, "_in_process", {})
    again = _counting_environment({"page.html": "{{ x }}!"}, tmp_path / "a", compiled).get_template("page.html")
    assert compiled == ["page.html", "page.html"] and again.render(x=2) == "2!"


def test_the_site_environment_keeps_its_templates(tmp_path):
    (tmp_path / "compiled").mkdir()
    env = render.environment(tmp_path / "compiled")
    assert isinstance(env.bytecode_cache, CompiledTemplates)
    assert env.get_template("base.html") is not None
    assert any((tmp_path / "compiled").iterdir())
