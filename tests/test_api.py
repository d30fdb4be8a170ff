"""Every public ``seglab`` function and class is documented as numpydoc with a running example.

Walks every public module of the package and of its subpackages (``seglab.viz.*``; new
modules are picked up automatically), takes the names each one exports in ``__all__`` and
defines itself (cached functions are checked through their wrapper), and checks their
docstrings and signatures. The examples themselves run as doctests (``--doctest-modules``
in ``pyproject.toml``).
"""

import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools

import seglab

# A module of an optional extra is checked when the extra is installed (make test installs it).
OPTIONAL = {"seglab.torch": "torch", "seglab.torch_models": "torch"}
MODULES = sorted(
    info.name for info in pkgutil.walk_packages(seglab.__path__, prefix="seglab.")
    if not any(part.startswith("_") for part in info.name.split("."))
    and (info.name not in OPTIONAL or importlib.util.find_spec(OPTIONAL[info.name]))
)


def public_objects():
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = inspect.unwrap(getattr(module, attr))  # functools.lru_cache
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name:
                yield f"{name}.{attr}", obj


PUBLIC = list(public_objects())


def test_every_module_declares_its_api():
    for name in MODULES:
        module = importlib.import_module(name)
        assert module.__doc__, f"{name} has no module docstring"
        assert hasattr(module, "__all__"), f"{name} does not declare __all__"
    assert len(PUBLIC) >= 30


def test_the_figure_modules_are_covered():
    """The figures are public API too: named by topic, documented and keyword-only."""
    viz = [name for name in MODULES if name.startswith("seglab.viz.")]
    assert {"seglab.viz.style", "seglab.viz.layers", "seglab.viz.imbalance"} <= set(viz)
    assert len(viz) >= 7
    assert not any("plotting" in name or "_ch" in name for name in MODULES)
    figures = [q for q, _ in PUBLIC if q.startswith("seglab.viz.") and q.endswith("_figure")]
    assert len(figures) >= 12


def test_every_subpackage_is_installed():
    """``pip install`` ships every subpackage (a listed-only ``seglab`` would leave out
    ``seglab.viz``): the package discovery of ``pyproject.toml`` finds them all."""
    root = Path(seglab.__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    found = setuptools.find_packages(str(root), **config["tool"]["setuptools"]["packages"]["find"])
    packages = {"seglab"} | {info.name for info in
                             pkgutil.walk_packages(seglab.__path__, prefix="seglab.")
                             if info.ispkg}
    assert "seglab.viz" in packages
    assert packages <= set(found)


def test_the_core_imports_no_presentation():
    """``import seglab`` (the numerical core) loads neither matplotlib nor ipywidgets nor the
    figure and slider modules: presentation lives at the edge and imports the core, never
    the other way round."""
    root = str(Path(seglab.__file__).resolve().parents[1])
    code = (f"import sys; sys.path.insert(0, {root!r}); import seglab, seglab.models, "
            "seglab.postprocess; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'ipywidgets') or m.startswith(('seglab.viz', 'seglab.widgets'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("qualname", "obj"), PUBLIC, ids=[q for q, _ in PUBLIC])
def test_numpydoc_with_a_running_example(qualname, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{qualname} has no docstring"
    lines = doc.splitlines()
    sections = {line.strip() for line, under in zip(lines[:-1], lines[1:], strict=True)
                if under.strip() and set(under.strip()) == {"-"}}
    assert "Examples" in sections, f"{qualname}: no Examples section"
    examples = re.split(r"^Examples[ \t]*\n-+[ \t]*$", doc, maxsplit=1, flags=re.M)[1]
    assert ">>> " in examples, f"{qualname}: the Examples section has no doctest"
    if inspect.isfunction(obj) and inspect.signature(obj).parameters:
        assert "Parameters" in sections, f"{qualname}: no Parameters section"
    if inspect.isfunction(obj):
        assert "Returns" in sections or "Yields" in sections, f"{qualname}: no Returns section"


@pytest.mark.parametrize(("qualname", "obj"),
                         [(q, o) for q, o in PUBLIC if inspect.isfunction(o)],
                         ids=[q for q, o in PUBLIC if inspect.isfunction(o)])
def test_options_are_keyword_only(qualname, obj):
    """Options are keyword-only, as in scikit-image's metrics.

    An option is a parameter with a default after the first one (the first may be the
    primary input with a default, as ``shape`` in ``synthetic_mask``).
    """
    for p in list(inspect.signature(obj).parameters.values())[1:]:
        if p.default is not inspect.Parameter.empty:
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, (
                f"{qualname}: option {p.name!r} can be passed by position")
