"""The book's pinned npm packages, fetched once from the npm registry into ``.cache/npm/``.

``npm pack`` downloads a package's tarball without installing anything (no ``node_modules``,
no dependencies, no install scripts); the tarballs are kept in ``.cache/npm/`` (gitignored), so
the registry is contacted once per pinned version. Used by the ``seglab_math`` extension
(MathJax for the formulas rendered at build time) and by ``tools/offline.py`` (the JavaScript
the offline site serves itself).
"""

import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
TARBALLS = CACHE / "npm"

#: MathJax 3: renders the formulas when the book is built (book/_ext/seglab_math) and is served
#: by the offline site for the live-code (Thebe) path only.
MATHJAX = ("mathjax", "3.2.2")


def tarball(name, version):
    """Path of the pinned package's tarball, packed from the npm registry on first use."""
    stem = name.lstrip("@").replace("/", "-")
    path = TARBALLS / f"{stem}-{version}.tgz"
    if not path.exists():
        if shutil.which("npm") is None:
            raise RuntimeError(f"npm is needed once to fetch {name}@{version} from the npm "
                               "registry: `apt-get install npm` (the Makefile does it)")
        TARBALLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}",
                        "--pack-destination", str(TARBALLS)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def unpack(name, version, prefix, destination, wanted=lambda rest: True):
    """Write the files of the tarball under ``prefix`` (for which ``wanted(rest)`` holds) to
    ``destination / rest``; a ``prefix`` naming one file is written to ``destination``."""
    with tarfile.open(tarball(name, version)) as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.startswith(prefix)):
                continue
            rest = member.name[len(prefix):]
            if not wanted(rest):
                continue
            target = destination / rest if rest else destination
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
