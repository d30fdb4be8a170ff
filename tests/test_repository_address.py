"""One place for the repository address: every launch, Binder and Colab link follows _config.yml.

Jupyter Book builds the launch buttons (Binder, Colab, Thebe) and the repository button from
``repository.url`` and ``repository.branch`` of ``_config.yml`` (the built pages are checked
against that setting by ``test_browser_book.py::test_launch_buttons_point_at_the_repository``).
The README's Binder badge and the labs' Colab install cells are written into files; the tool
``tools/repository.py`` keeps them equal to the setting. These tests check that the files agree
with the setting today, and that changing the setting in a temporary copy of the project (with
``--set``, or by hand followed by a sync) moves every link and leaves nothing pointing at the old
address.
"""

import importlib.util
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml
from browser_support import ROOT

_SPEC = importlib.util.spec_from_file_location("repository_tool", ROOT / "tools" / "repository.py")
repository = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(repository)

NEW_URL = "https://github.com/jdoe/seg-course"
NEW_BRANCH = "fall-2027"
LABS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _config(root):
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def _copy(tmp_path):
    """The files that carry the address (and the book's pages) in a temporary project."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("_config.yml", "_toc.yml", "README.md", "Makefile", "requirements.txt",
                 "pyproject.toml", "postBuild"):
        shutil.copy2(ROOT / name, root / name)
    for folder in ("notebooks", "book"):
        shutil.copytree(ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("_build", ".*", "__pycache__", "*.png"))
    return root


def _install_cell(path):
    """The source of a lab's first code cell (the Colab-only install)."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return next(c.source for c in notebook.cells if c.cell_type == "code")


def _badge(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    match = re.search(r"\[!\[Binder\]\([^)]*\)\]\(([^)]*)\)", readme)
    assert match, "README.md has no Binder badge"
    return match.group(1)


def _old_slug():
    return "/".join(repository.parse_url(_config(ROOT)["repository"]["url"]))


def test_the_current_files_agree_with_the_setting():
    config = _config(ROOT)
    url, branch = config["repository"]["url"], config["repository"].get("branch", "main")
    slug = "/".join(repository.parse_url(url))
    assert repository.disagreements(ROOT) == []
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    assert _badge(ROOT).startswith(f"{binder}/v2/gh/{slug}/{branch}?")
    assert LABS, "no lab in notebooks/"
    for lab in LABS:
        assert f"git+{url}" in _install_cell(lab), f"{lab.name}: install cell"
    kinds = {(name, kind) for name, kind, _ in repository.links(ROOT)}
    assert ("README.md", "Binder") in kinds
    assert {f"notebooks/{lab.name}" for lab in LABS} <= {n for n, k in kinds if k == "pip install"}


def test_the_setting_is_the_only_address_in_the_configuration():
    # The launch buttons, Thebe and the repository button are derived from repository.url by
    # Jupyter Book: _config.yml must not carry the address anywhere else.
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert text.count(_old_slug()) == 1
    launch = _config(ROOT)["launch_buttons"]
    assert all("github" not in str(value) for value in launch.values()), launch


def test_set_moves_every_link_in_a_temporary_copy(tmp_path):
    root = _copy(tmp_path)
    before = {p: p.read_bytes() for p in repository.project_files(root)}
    changed = repository.set_repository(NEW_URL, NEW_BRANCH, root=root)
    config = _config(root)
    assert config["repository"]["url"] == NEW_URL
    assert config["repository"]["branch"] == NEW_BRANCH
    # only the two keys of the setting changed in _config.yml, comments and layout kept
    old_lines = before[root / "_config.yml"].decode().splitlines()
    new_lines = (root / "_config.yml").read_text(encoding="utf-8").splitlines()
    assert len(old_lines) == len(new_lines)
    assert [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b] == [
        (f"  url: {_config(ROOT)['repository']['url']}", f"  url: {NEW_URL}"),
        (f"  branch: {_config(ROOT)['repository']['branch']}", f"  branch: {NEW_BRANCH}"),
    ]
    assert _badge(root).startswith(f"https://mybinder.org/v2/gh/jdoe/seg-course/{NEW_BRANCH}?")
    for lab in LABS:
        source = _install_cell(root / "notebooks" / lab.name)
        assert f"git+{NEW_URL}" in source, lab.name
        # the rest of the notebook is byte for byte the same, apart from that one address
        old = before[root / "notebooks" / lab.name].decode()
        assert (root / "notebooks" / lab.name).read_text(encoding="utf-8") == old.replace(
            _config(ROOT)["repository"]["url"], NEW_URL)
    assert "README.md" in changed and all(f"notebooks/{lab.name}" in changed for lab in LABS)
    assert repository.disagreements(root) == []
    stale = [p.relative_to(root).as_posix() for p in repository.project_files(root)
             if _old_slug() in p.read_text(encoding="utf-8", errors="replace")]
    assert stale == [], f"still pointing at the old repository: {stale}"
    unchanged = [p for p, data in before.items()
                 if p.relative_to(root).as_posix() not in changed + ["_config.yml"]]
    assert all(p.read_bytes() == before[p] for p in unchanged)


def test_editing_the_setting_by_hand_then_syncing(tmp_path):
    root = _copy(tmp_path)
    config = root / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        _config(ROOT)["repository"]["url"], NEW_URL), encoding="utf-8")
    bad = repository.disagreements(root)
    assert {name for name, _, _ in bad} == {"README.md"} | {f"notebooks/{p.name}" for p in LABS}
    assert repository.main(["--root", str(root), "--check"]) == 1
    assert repository.main(["--root", str(root)]) == 0
    assert repository.main(["--root", str(root), "--check"]) == 0
    assert _badge(root).startswith("https://mybinder.org/v2/gh/jdoe/seg-course/main?")
    assert all(f"git+{NEW_URL}" in _install_cell(root / "notebooks" / p.name) for p in LABS)
    # a second sync changes nothing
    assert repository.sync(root) == []


def test_the_command_line_in_a_temporary_copy(tmp_path):
    root = _copy(tmp_path)
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "repository.py"), "--root",
                          str(root), "--set", NEW_URL + ".git"],
                         capture_output=True, text=True, check=True)
    assert "README.md" in run.stdout
    assert _config(root)["repository"]["url"] == NEW_URL  # ".git" dropped
    assert _config(root)["repository"]["branch"] == "main"  # kept without --branch
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "repository.py"), "--root",
                            str(root), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("url", ["https://gitlab.com/jdoe/seg-course", "github.com/jdoe/x",
                                 "https://github.com/jdoe", "https://github.com/jdoe/x/tree/main",
                                 "", None, 3])
def test_a_url_that_is_not_a_github_repository_is_refused(url, tmp_path):
    with pytest.raises(ValueError, match="url must look like"):
        repository.parse_url(url)
    if isinstance(url, str) and url:
        root = _copy(tmp_path)
        config = (root / "_config.yml").read_bytes()
        with pytest.raises(ValueError, match="url"):
            repository.set_repository(url, root=root)
        assert (root / "_config.yml").read_bytes() == config  # nothing written


def test_a_bad_branch_is_refused(tmp_path):
    root = _copy(tmp_path)
    with pytest.raises(ValueError, match="branch"):
        repository.set_repository(NEW_URL, "main; rm -rf /", root=root)
    with pytest.raises(SystemExit):
        repository.main(["--root", str(root), "--branch", "x"])  # --branch needs --set


def test_make_fork_setup_passes_the_one_variable():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    stamp = ".venv/.installed"
    dry = subprocess.run([make, "-n", "-o", stamp, "fork-setup", f"REPOSITORY={NEW_URL}",
                          f"BRANCH={NEW_BRANCH}"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert f"tools/repository.py --set {NEW_URL}" in dry and f"--branch {NEW_BRANCH}" in dry
    dry = subprocess.run([make, "-n", "-o", stamp, "fork-setup"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "tools/repository.py" in dry and "--set" not in dry

