"""What Binder does: a fresh environment from requirements.txt alone runs every chapter and lab.

Binder (repo2docker) builds the repository's environment with ``pip install -r
requirements.txt``, runs ``postBuild``, and opens the files in JupyterLab; a reader then runs the
cells. This test does the same on this machine: a new virtual environment (no packages but pip's),
``pip install -r requirements.txt`` (pip's cache is used, so this is fast after the first time),
``postBuild`` (JupyterLab opens MyST chapters as notebooks through jupytext), then, inside that
environment and with its own ``python3`` kernel, every chapter of ``_toc.yml`` (MyST Markdown,
read by jupytext) and every notebook in ``notebooks/`` runs top to bottom with nbclient in its own
folder. Nothing from this test session's environment leaks in (``PATH``, ``VIRTUAL_ENV``,
``PYTHONPATH`` and Jupyter's folders are replaced).
"""

import json
import os
import subprocess
import sys
import time

import pytest
from browser_support import ROOT, source_of, toc_documents

# Runs inside the fresh environment: execute each document, print a JSON report.
RUNNER = r"""
import json, sys, time
from pathlib import Path
import jupytext
from nbclient import NotebookClient

report = []
for name in sys.argv[1:]:
    path = Path(name)
    notebook = jupytext.read(path)  # .ipynb, or a MyST .md chapter read as a notebook
    start = time.perf_counter()
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError with the traceback on the first error
    errors = [o for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    cells = sum(c.cell_type == "code" for c in notebook.cells)
    report.append({"document": name, "code_cells": cells, "errors": len(errors),
                   "seconds": round(time.perf_counter() - start, 1)})

# The kernel that ran them is this environment's own python3.
import nbformat
cell = nbformat.v4.new_code_cell("import sys; print(sys.prefix)")
probe = nbformat.v4.new_notebook(cells=[cell])
NotebookClient(probe, kernel_name="python3", timeout=120).execute()
kernel_prefix = probe.cells[0].outputs[0]["text"].strip()
print("REPORT " + json.dumps({"documents": report, "kernel_prefix": kernel_prefix}))
"""

KERNEL_CHECK = "import sys, seglab; print(sys.prefix); print(seglab.__file__)"


class _Env(dict):
    """The fresh environment's variables (not shown in failure reports)."""

    def __repr__(self):
        return f"<environment: PATH={self['PATH']}>"


def _is_notebook(path):
    if path.suffix == ".ipynb":
        return True
    head = path.read_text(encoding="utf-8")[:2000]
    return path.suffix == ".md" and head.startswith("---") and "kernelspec" in head


def _documents():
    chapters = [source_of(d) for d in toc_documents()]
    labs = sorted((ROOT / "notebooks").glob("*.ipynb"))
    seen, documents = set(), []
    for path in chapters + labs:
        if _is_notebook(path) and path not in seen:
            seen.add(path)
            documents.append(path)
    return documents


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A new venv with only ``pip install -r requirements.txt``, and a clean environment."""
    base = tmp_path_factory.mktemp("binder")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {key: value for key, value in os.environ.items()
           if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
           and not key.startswith("JUPYTER")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin",
               VIRTUAL_ENV=str(venv), HOME=str(base / "home"),
               JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), MPLBACKEND="Agg",
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR",
                                            os.path.expanduser("~/.cache/pip")),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    (base / "home").mkdir()
    env = _Env(env)
    start = time.perf_counter()
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                              "-r", "requirements.txt"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
    assert install.returncode == 0, f"pip install -r requirements.txt failed:\n{install.stderr}"
    print(f"binder: fresh venv installed in {time.perf_counter() - start:.0f} s")
    return venv, env


def test_postbuild_opens_myst_chapters_as_notebooks(fresh_env):
    venv, env = fresh_env
    subprocess.run(["bash", str(ROOT / "postBuild")], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    overrides = venv.parent / "config" / "labconfig" / "default_setting_overrides.json"
    assert overrides.exists(), "postBuild wrote no JupyterLab setting overrides"
    settings = json.loads(overrides.read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == viewers["myst"] == "Jupytext Notebook"
    # jupytext's server extension (which gives .md files a notebook model) is installed.
    extensions = subprocess.run([str(venv / "bin" / "jupyter"), "server", "extension", "list"],
                                cwd=ROOT, env=env, capture_output=True, text=True)
    assert "jupytext" in extensions.stdout + extensions.stderr


def test_every_notebook_and_chapter_runs_in_a_fresh_environment(fresh_env):
    venv, env = fresh_env
    python = str(venv / "bin" / "python")
    where = subprocess.run([python, "-c", KERNEL_CHECK], cwd=ROOT / "notebooks", env=env,
                           check=True, capture_output=True, text=True).stdout.split()
    assert where[0] == str(venv), "the fresh environment is not the one running"
    assert where[1].startswith(str(ROOT)), "seglab must come from this repository (-e .)"
    documents = _documents()
    assert any(p.suffix == ".md" for p in documents) and any(p.suffix == ".ipynb"
                                                             for p in documents)
    run = subprocess.run([python, "-c", RUNNER, *map(str, documents)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"a document failed in the fresh venv:\n{run.stderr[-6000:]}"
    result = json.loads(run.stdout.split("REPORT ", 1)[1])
    assert result["kernel_prefix"] == str(venv), "the kernel is not the fresh environment's"
    report = result["documents"]
    assert [r["document"] for r in report] == list(map(str, documents))
    assert all(r["errors"] == 0 for r in report)
    for r in report:
        name = os.path.relpath(r["document"], ROOT)
        print(f"binder: {name}: {r['code_cells']} code cells in {r['seconds']} s")
