"""tools/prewarm.py: the execution cache is emptied when what the pages read changes."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def prewarm(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("prewarm", ROOT / "tools" / "prewarm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for folder in ("seglab/viz", "experiments/results/runs", "tests/data"):
        (tmp_path / folder).mkdir(parents=True)
    for name, text in (("seglab/metrics.py", "A = 1\n"), ("seglab/viz/plot.py", "B = 2\n"),
                       ("experiments/aggregate.py", "C = 3\n"),
                       ("experiments/results/summary.json", "{}"),
                       ("experiments/results/runs/run.json", "{}"),
                       ("tests/data/reference.json", "[]"), ("book/page.md", "text")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "STAMP", tmp_path / "stamp")
    return module


class FakeCache:
    def __init__(self, pks):
        self.pks = list(pks)

    def list_cache_records(self):
        return [SimpleNamespace(pk=pk) for pk in self.pks]

    def remove_cache(self, pk):
        self.pks.remove(pk)


def test_inputs_are_the_sources_and_the_committed_json(prewarm, tmp_path):
    names = [p.relative_to(tmp_path).as_posix() for p in prewarm.inputs()]
    assert names == ["experiments/aggregate.py", "experiments/results/summary.json",
                     "seglab/metrics.py", "seglab/viz/plot.py", "tests/data/reference.json"]


@pytest.mark.parametrize("changed", ["seglab/viz/plot.py", "experiments/results/summary.json",
                                     "tests/data/reference.json", "experiments/aggregate.py"])
def test_a_changed_input_empties_the_cache(prewarm, tmp_path, changed, capsys):
    cache = FakeCache([1, 2, 3])
    prewarm.STAMP.write_text(prewarm.inputs_digest() + "\n")
    prewarm.drop_stale(cache)
    assert cache.pks == [1, 2, 3]
    (tmp_path / changed).write_text((tmp_path / changed).read_text() + " ")
    prewarm.drop_stale(cache)
    assert cache.pks == []
    assert "3 cached pages dropped" in capsys.readouterr().out


def test_unchanged_inputs_keep_the_cache(prewarm, tmp_path):
    cache = FakeCache([4, 5])
    prewarm.STAMP.write_text(prewarm.inputs_digest() + "\n")
    (tmp_path / "book/page.md").write_text("other text")  # the page's code is the cache's key
    (tmp_path / "experiments/results/runs/run.json").write_text("[1]")  # not read by pages
    prewarm.drop_stale(cache)
    assert cache.pks == [4, 5]


def test_a_cache_without_a_stamp_is_dropped(prewarm):
    cache = FakeCache([7])
    prewarm.drop_stale(cache)
    assert cache.pks == []
    assert prewarm.drop_stale(FakeCache([])) == prewarm.inputs_digest()
