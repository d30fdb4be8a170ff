"""The teaching guide (book/teaching): a demo script and a lecture plan for every chapter.

Read from the sources, in a few seconds (the strict build checks the same references again).
Each chapter's page has a 15-minute demo whose every step names a slider or a figure, asks the
class to predict before the slider moves, says what to notice and links the result it
illustrates; a 50-minute lecture plan whose rows cover the 50 minutes; and a table of
misconceptions, each with a linked result. Every slider the guide names by its label exists in a
chapter page or a lab, so that renaming a slider fails here, not in front of a class.
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from browser_support import ROOT, toc_documents

TEACHING = ROOT / "book" / "teaching"
CHAPTERS = ["ch1", "ch2", "ch3", "ch4"]
PAGES = sorted(TEACHING.glob("*.md"))
ROLE = re.compile(r"\{(prf:ref|ref|numref|doc)\}`([^`]+)`")


def _text(path):
    return Path(path).read_text(encoding="utf-8")


def _section(text, title):
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


def _targets():
    """Every label (results, exercises, sections, figures, tables) of the book's sources."""
    labels = set()
    for path in list((ROOT / "book").rglob("*.md")):
        text = _text(path)
        labels |= set(re.findall(r"^\s*:label: (\S+)", text, re.M))
        labels |= set(re.findall(r"^\((\S+)\)=$", text, re.M))
        labels |= set(re.findall(r"^\W*name: (\S+)", text, re.M))
    return labels


def _slider_labels():
    """The labels of every slider of the chapters and labs, and the keywords of unlabelled ones."""
    sources = [_text(p) for p in (ROOT / "book").glob("ch*/*.md")]
    sources += ["".join(c["source"]) for p in (ROOT / "notebooks").glob("*.ipynb")
                for c in json.loads(_text(p))["cells"] if c["cell_type"] == "code"]
    names = set()
    for text in sources:
        names |= set(re.findall(r'label="([^"]+)"', text))
        for call in re.findall(r"slider\((.*?)\)\s*$", text, re.M | re.S):
            names |= set(re.findall(r"(\w+)=\[", call))
    return names


def test_the_part_follows_the_labs_in_the_toc():
    toc = yaml.safe_load(_text(ROOT / "_toc.yml"))
    captions = [part["caption"] for part in toc["parts"]]
    assert captions[captions.index("Labs") + 1] == "Teaching with this book"
    documents = toc_documents()
    expected = ["book/teaching/index"] + [f"book/teaching/{c}" for c in CHAPTERS] + [
        "book/teaching/project", "book/teaching/offline"]
    assert [d for d in documents if d.startswith("book/teaching/")] == expected
    assert {p.stem for p in PAGES} == {Path(d).name for d in expected}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_reference_resolves(page):
    labels = _targets()
    for role, target in ROLE.findall(_text(page)):
        target = re.sub(r"^.*<(.*)>$", r"\1", target)
        if role == "doc":
            path = (page.parent / target).resolve()
            assert path.with_suffix(".md").exists() or path.with_suffix(".ipynb").exists(), (
                f"{page.name}: {{doc}}`{target}`")
        else:
            assert target in labels, f"{page.name}: {{{role}}}`{target}` has no label"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_demo_script_steps(chapter):
    text = _text(TEACHING / f"{chapter}.md")
    demo = _section(text, "The 15-minute demo")
    steps = re.split(r"^\d+\. ", demo, flags=re.M)[1:]
    assert 3 <= len(steps) <= 6, f"{chapter}: {len(steps)} steps"
    minutes = 0
    for step in steps:
        head = step.splitlines()[0]
        assert (m := re.search(r"\((\d+) min\)", head)), f"{chapter}: no duration in {head!r}"
        minutes += int(m.group(1))
        assert re.search(r'slider "|\{numref\}|panel|table', step), f"{chapter}: shows? {head}"
        for part in ("*Predict:*", "*Notice:*", "*Result:*"):
            assert part in step, f"{chapter}: {part} missing in {head!r}"
        result = step[step.index("*Result:*"):]
        assert "{prf:ref}" in result, f"{chapter}: the result of {head!r} is not linked"
        assert step.index("*Predict:*") < step.index("*Notice:*"), head
    assert minutes == 15, f"{chapter}: the demo takes {minutes} min"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_lecture_plan_covers_fifty_minutes(chapter):
    plan = _section(_text(TEACHING / f"{chapter}.md"), "The 50-minute lecture")
    rows = [r for r in plan.splitlines() if re.match(r"^\| \d+–\d+ \|", r)]
    spans = [tuple(map(int, re.match(r"^\| (\d+)–(\d+) \|", r).groups())) for r in rows]
    assert spans[0][0] == 0 and spans[-1][1] == 50, spans
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
    linked = [r for r in rows if "{prf:ref}" in r]
    assert len(linked) >= len(rows) - 2, f"{chapter}: rows without a result"
    assert sum("Predict:" in r for r in rows) >= 3, f"{chapter}: too few predictions"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_misconception_has_its_correcting_result(chapter):
    table = _section(_text(TEACHING / f"{chapter}.md"), "Common misconceptions")
    rows = [r for r in table.splitlines() if r.startswith('| "')]
    assert len(rows) >= 4, f"{chapter}: {len(rows)} misconceptions"
    for row in rows:
        assert "{prf:ref}" in row, f"{chapter}: {row[:60]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_named_sliders_exist(page):
    known = _slider_labels()
    text = _text(page)
    named = []
    for group in re.findall(r'sliders?\s+((?:"[^"]+"\s*(?:/|and)?\s*)+)', text):
        named += re.findall(r'"([^"]+)"', group)
    missing = sorted({n for n in named if n not in known})
    assert not missing, f"{page.name}: sliders that do not exist: {missing}"


def test_the_guide_is_plain_markdown():
    # No code cells: nothing of the guide is executed or checked; where a number of the book
    # matters, the guide names the slider or figure that shows it instead of typing it.
    for page in PAGES:
        text = _text(page)
        assert not text.startswith("---") and "{code-cell}" not in text, page.name


def test_the_forking_recipe_is_documented():
    index = _section(_text(TEACHING / "index.md"), "Forking the book for your course")
    assert "make fork-setup REPOSITORY=" in index and "tools/repository.py --check" in index
    assert "make fork-setup REPOSITORY=" in _text(ROOT / "README.md")
