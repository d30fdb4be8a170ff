"""Dump or compare every value the book glues, read from the execution cache.

A refactor of ``seglab`` must leave every number the book quotes unchanged. The book's pages
quote numbers with myst-nb's ``glue``; after a build the executed notebooks sit in Jupyter
Book's execution cache (``_build/.jupyter_cache``). This script reads each page's newest
cached notebook and records, for every glued name, its ``text/plain`` value and a SHA-256 of
each image or HTML representation (figures and static sliders).

    python tools/glued_values.py dump before.json            # after `make book`
    python tools/glued_values.py compare before.json after.json

``compare`` prints every name whose value changed, appeared or disappeared, and exits 1 if
a text value changed or disappeared (figures are reported, not failed: a moved figure
function may change a byte of a PNG without changing what it shows).
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _glued(nb):
    """Yield ``(name, representation, value)`` for every glued output of a notebook."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            for mime, data in output.get("data", {}).items():
                text = "".join(data) if isinstance(data, list) else str(data)
                if mime.endswith("text/plain"):  # myst-nb stores glue as papermill records
                    yield name, mime, text
                else:
                    yield name, mime, "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def dump(cache_dir):
    """Map ``page -> {name: {mime: value}}`` from the newest cache record of each page."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    newest = {}
    for record in cache.list_cache_records():
        uri = Path(record.uri)
        page = str(uri.relative_to(ROOT)) if uri.is_relative_to(ROOT) else str(uri)
        if page not in newest or record.created > newest[page].created:
            newest[page] = record
    values = {}
    for page, record in sorted(newest.items()):
        nb = cache.get_cache_bundle(record.pk).nb
        entries = {}
        for name, mime, value in _glued(nb):
            entries.setdefault(name, {})[mime] = value
        if entries:
            values[page] = entries
    return values


def compare(before, after):
    """Return the lines describing differences and whether any text value differs."""
    lines, failed = [], False
    for page in sorted(set(before) | set(after)):
        old, new = before.get(page, {}), after.get(page, {})
        for name in sorted(set(old) | set(new)):
            if name not in new:
                lines.append(f"{page}: {name} disappeared")
                failed = True
                continue
            if name not in old:
                lines.append(f"{page}: {name} is new")
                continue
            for mime in sorted(set(old[name]) | set(new[name])):
                a, b = old[name].get(mime), new[name].get(mime)
                if a != b:
                    lines.append(f"{page}: {name} [{mime}] {a!r} -> {b!r}")
                    failed = failed or mime.endswith("text/plain")
    return lines, failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_dump = sub.add_parser("dump", help="write the glued values of the last build to a file")
    p_dump.add_argument("output", type=Path)
    p_dump.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache")
    p_cmp = sub.add_parser("compare", help="compare two dumps")
    p_cmp.add_argument("before", type=Path)
    p_cmp.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        values = dump(args.cache)
        args.output.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
        count = sum(len(v) for v in values.values())
        print(f"{count} glued names on {len(values)} pages -> {args.output}")
        return 0
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    lines, failed = compare(before, after)
    print("\n".join(lines) if lines else "every glued value is unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
