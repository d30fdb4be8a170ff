"""Repository hygiene: no unresolved merge conflicts, and nothing that points outside the project.

The repository is read on its own (a clone, a Binder image, a published book): a tracked file
must not refer to an issue tracker's numbers or to documents kept outside the repository.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


# "issue 4", "(issue", "#12 " as a tracker reference; the working notes kept beside the project.
OUTSIDE = re.compile(r"\bissues? #?\d+\b|\(issue\b|\bfrom the issue\b|"
                     r"\b(THEOREMS|TOOLCHAIN|STYLE|DEVELOPERS)\.md\b|\.\./shared/", re.I)


def _tracked_texts():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".npz", ".ico", ".woff", ".woff2"} or not path.is_file():
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def test_no_merge_conflict_markers():
    bad = [name for name, text in _tracked_texts() if MARKER.search(text)]
    assert not bad, f"unresolved merge conflict markers in {bad}"


def test_no_reference_to_issues_or_outside_documents():
    bad = [f"{name}: {match.group(0)!r}" for name, text in _tracked_texts()
           if name != "tests/test_repository.py" and (match := OUTSIDE.search(text))]
    assert not bad, f"references to issue numbers or to documents outside the repository: {bad}"
