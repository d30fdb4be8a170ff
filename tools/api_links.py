"""Each chapter page ends its summary with links to the API reference of what it uses.

For every chapter page of the table of contents, the public ``seglab`` names that its code
cells use (``metrics.dice(...)``, ``from seglab.viz.losses import focal_figure``, ...) are
listed in one paragraph that starts with ``**Defined in the API reference:**``, each name as a
``{py:obj}`` link to its entry in ``book/api``. The paragraph stands at the end of the page's
``## Summary`` section.

    python tools/api_links.py           # list the pages whose paragraph is missing or stale
    python tools/api_links.py --write   # write the paragraphs

``tests/test_book_api.py`` fails when a page's paragraph differs from what its code uses.
"""

import argparse
import ast
import importlib
import re
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
LEAD = "**Defined in the API reference:**"
PARAGRAPH = re.compile(r"\n\*\*Defined in the API reference:\*\*.*?\n(?=\n|\Z)", re.S)


def _public(module):
    """Public names of a seglab module, or an empty set if it cannot be imported."""
    try:
        return set(importlib.import_module(module).__all__)
    except (ImportError, AttributeError):
        return set()


def _documented(module, name):
    """The module whose reference page documents ``module.name`` (packages: the package)."""
    if module.startswith("seglab.postprocess."):
        module = "seglab.postprocess"
    return f"{module}.{name}" if name in _public(module) else None


def used_names(path):
    """Sorted full names of the public seglab objects the code cells of a page use."""
    notebook = jupytext.read(path)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    source = "\n".join(line for line in source.splitlines()
                       if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(source)
    aliases, found = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("seglab"):
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seglab"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if importlib.util.find_spec(full.split(".")[0]) and _is_module(full):
                    aliases[alias.asname or alias.name] = full
                elif (doc := _documented(node.module, alias.name)):
                    found.add(doc)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _chain(node)
            if chain is None:
                continue
            head, *rest = chain
            if head not in aliases or not rest:
                continue
            parts = aliases[head].split(".") + rest
            for cut in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:cut])
                if _is_module(module):
                    if (doc := _documented(module, parts[cut])):
                        found.add(doc)
                    break
    return sorted(found)


def _chain(node):
    """``a.b.c`` as ['a', 'b', 'c'] for a chain of attribute accesses on a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _is_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def paragraph(names):
    links = ", ".join(f"{{py:obj}}`{name}`" for name in names)
    return f"{LEAD} {links}.\n"


def chapter_pages():
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import source_of, toc_documents

    return [source_of(d) for d in toc_documents() if re.match(r"book/ch\d+/", d)]


def expected_text(path):
    """The page's text with its paragraph as the code requires (None: no Summary section)."""
    text = path.read_text(encoding="utf-8")
    names = used_names(path)
    text = PARAGRAPH.sub("", text)
    if not names:
        return text
    match = re.search(r"^## Summary\b.*?(?=^## |\Z)", text, re.S | re.M)
    if match is None:
        return None
    section = match.group(0).rstrip("\n") + "\n\n" + paragraph(names)
    tail = text[match.end():]
    return text[:match.start()] + section + ("\n" + tail if tail else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the paragraphs")
    args = parser.parse_args(argv)
    stale = []
    for path in chapter_pages():
        expected = expected_text(path)
        if expected is None:
            stale.append(f"{path.relative_to(ROOT)}: no '## Summary' section")
            continue
        if expected != path.read_text(encoding="utf-8"):
            stale.append(str(path.relative_to(ROOT)))
            if args.write:
                path.write_text(expected, encoding="utf-8")
    print("\n".join(stale) if stale else "every chapter page links the API it uses")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
