"""One place for the repository address: ``repository.url`` (and ``branch``) of ``_config.yml``.

Jupyter Book builds the Binder, Colab and Thebe launch buttons and the repository button from that
setting by itself. Three kinds of links are written into files instead, and this tool keeps them
equal to the setting:

* Binder links, ``<binderhub_url>/v2/gh/<owner>/<name>/<branch>`` (the README's badge);
* Colab links, ``<colab_url>/github/<owner>/<name>/blob/<branch>/`` (none today; kept if added);
* pip installs from the repository, ``git+https://github.com/<owner>/<name>`` (the first cell of
  every lab in ``notebooks/``, which runs only in Colab; pip installs the default branch).

The files searched are the project's text files (Markdown, notebooks, YAML, TOML, text and
shell files), outside ``_build``, ``.venv``, ``.cache`` and hidden folders. A notebook is edited as
text, so its JSON keeps its exact layout.

Usage (from the repository's root; ``make fork-setup REPOSITORY=...`` runs the last form)::

    python tools/repository.py --check            # exit 1 and list every link that disagrees
    python tools/repository.py                    # rewrite the links to follow _config.yml
    python tools/repository.py --set https://github.com/you/seglab [--branch main]
                                                  # change the setting, then every link

``--set`` also replaces every other occurrence of the old address (``https://github.com/<old>``)
in those files, so a link added by hand follows too.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "_config.yml"
SUFFIXES = {".md", ".ipynb", ".yml", ".yaml", ".toml", ".txt", ".cfg", ".sh"}
NAMES = {"postBuild", "Makefile"}
SKIP_DIRS = {"_build", ".venv", ".cache", "node_modules", "__pycache__"}
GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)"
                    r"(?:\.git)?/?$")
BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")
_PART = r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+"
_REF = r"[A-Za-z0-9._/-]+?"


def parse_url(url):
    """``(owner, name)`` of a GitHub repository URL ``https://github.com/<owner>/<name>``.

    Raises ``ValueError`` naming ``url`` for anything else: Binder's ``/v2/gh/`` and Colab's
    ``/github/`` links only exist for GitHub repositories.
    """
    if not isinstance(url, str) or not (match := GITHUB.match(url.strip())):
        raise ValueError(f"url must look like https://github.com/<owner>/<name>, got {url!r}")
    return match.group(1), match.group(2)


def read_setting(root=ROOT):
    """``(url, branch, binderhub_url, colab_url)`` from ``root/_config.yml``."""
    config = yaml.safe_load((Path(root) / CONFIG).read_text(encoding="utf-8"))
    repository = config.get("repository") or {}
    launch = config.get("launch_buttons") or {}
    url = repository.get("url")
    parse_url(url)
    return (url.strip().rstrip("/").removesuffix(".git"), str(repository.get("branch", "main")),
            str(launch.get("binderhub_url", "https://mybinder.org")).rstrip("/"),
            str(launch.get("colab_url", "https://colab.research.google.com")).rstrip("/"))


def _rules(url, branch, binderhub, colab):
    """(name, pattern, replacement) for each kind of link written into files."""
    slug = "/".join(parse_url(url))
    return [
        ("Binder", re.compile(rf"({re.escape(binderhub)}/v2/gh/)({_PART})/({_REF})"
                              rf"(?=[?#\"'\\)\s]|$)"),
         rf"\g<1>{slug}/{branch}"),
        ("Colab", re.compile(rf"({re.escape(colab)}/github/)({_PART})/blob/({_REF})/"),
         rf"\g<1>{slug}/blob/{branch}/"),
        ("pip install", re.compile(rf"(git\+https://github\.com/)({_PART}?)(?:\.git)?"
                                   rf"(?=[@\"'\\\s#]|$)"),
         rf"\g<1>{slug}"),
    ]


def project_files(root=ROOT):
    """The text files that may hold a link to the repository, sorted."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found.extend(Path(folder) / name for name in files
                     if Path(name).suffix in SUFFIXES or name in NAMES)
    return sorted(found)


def links(root=ROOT):
    """Every written link: ``(file, kind, text)`` for each Binder, Colab and pip-install link."""
    rules = _rules(*read_setting(root))
    out = []
    for path in project_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, pattern, _ in rules:
            out.extend((path.relative_to(root).as_posix(), kind, m.group(0))
                       for m in pattern.finditer(text))
    return out


def disagreements(root=ROOT):
    """The links that do not point at ``repository.url``/``branch``: ``(file, kind, text)``."""
    rules = {kind: (pattern, replacement)
             for kind, pattern, replacement in _rules(*read_setting(root))}
    return [(name, kind, text) for name, kind, text in links(root)
            if rules[kind][0].sub(rules[kind][1], text) != text]


def sync(root=ROOT, old_url=None):
    """Rewrite every link to follow ``_config.yml``; return the files changed.

    With ``old_url``, every other occurrence of that address is replaced by the new one as well.
    """
    url, *_ = setting = read_setting(root)
    rules = _rules(*setting)
    old = re.compile(re.escape(old_url.rstrip("/")) + r"(?![A-Za-z0-9._-])") if old_url else None
    changed = []
    for path in project_files(root):
        text = path.read_text(encoding="utf-8")
        new = text
        for _, pattern, replacement in rules:
            new = pattern.sub(replacement, new)
        if old is not None and path.name != CONFIG:
            new = old.sub(url, new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.relative_to(root).as_posix())
    return changed


def set_repository(url, branch=None, root=ROOT):
    """Write ``url`` (and ``branch``) into ``repository:`` of ``_config.yml``, then :func:`sync`.

    The file is edited line by line, so its comments and layout stay as they are.
    """
    owner, name = parse_url(url)
    url = f"https://github.com/{owner}/{name}"
    if branch is not None and not BRANCH.match(branch):
        raise ValueError(f"branch must be a branch name, got {branch!r}")
    path = Path(root) / CONFIG
    old_url = read_setting(root)[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "repository:"), None)
    if start is None:
        raise ValueError(f"{CONFIG} has no top-level 'repository:' section")
    done = set()
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith((" ", "\t", "#")):
            break
        key = re.match(r"^(\s+)(url|branch):", line)
        if key and (key.group(2) == "url" or branch is not None):
            value = url if key.group(2) == "url" else branch
            lines[i] = f"{key.group(1)}{key.group(2)}: {value}\n"
            done.add(key.group(2))
    if "url" not in done:
        lines.insert(start + 1, f"  url: {url}\n")
    if branch is not None and "branch" not in done:
        lines.insert(start + 2, f"  branch: {branch}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return sync(root, old_url=old_url if old_url != url else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true",
                       help="list the links that disagree with _config.yml; exit 1 if any")
    group.add_argument("--set", metavar="URL", help="new repository.url, then rewrite every link")
    parser.add_argument("--branch", help="with --set: the new repository.branch")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.branch is not None and args.set is None:
        parser.error("--branch needs --set")
    if args.check:
        bad = disagreements(args.root)
        url, branch, *_ = read_setting(args.root)
        for name, kind, text in bad:
            print(f"{name}: {kind} link {text} does not point at {url} ({branch})")
        print(f"{len(links(args.root))} links checked, {len(bad)} disagree with {CONFIG}")
        return 1 if bad else 0
    try:
        changed = (set_repository(args.set, args.branch, args.root) if args.set
                   else sync(args.root))
    except ValueError as error:
        parser.error(str(error))
    url, branch, *_ = read_setting(args.root)
    print(f"repository: {url} (branch {branch}); files changed: "
          f"{', '.join(changed) if changed else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
