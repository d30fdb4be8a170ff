"""Every public ``seglab`` function and class is documented as numpydoc with a running example.

Walks every module of the package (new modules are picked up automatically), takes the
names each one exports in ``__all__`` and defines itself, and checks their docstrings.
The examples themselves run as doctests (``--doctest-modules`` in ``pyproject.toml``).
"""

import importlib
import importlib.util
import inspect
import pkgutil
import re

import pytest

import seglab

# A module of an optional extra is checked when the extra is installed (make test installs it).
OPTIONAL = {"seglab.torch": "torch"}
MODULES = sorted(
    info.name for info in pkgutil.iter_modules(seglab.__path__, prefix="seglab.")
    if not info.name.rsplit(".", 1)[-1].startswith("_")
    and (info.name not in OPTIONAL or importlib.util.find_spec(OPTIONAL[info.name]))
)


def public_objects():
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name:
                yield f"{name}.{attr}", obj


PUBLIC = list(public_objects())


def test_every_module_declares_its_api():
    for name in MODULES:
        module = importlib.import_module(name)
        assert module.__doc__, f"{name} has no module docstring"
        assert hasattr(module, "__all__"), f"{name} does not declare __all__"
    assert len(PUBLIC) >= 30


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
