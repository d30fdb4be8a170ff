"""Prepare `make book-offline`: vendor the reader-side JavaScript and write the merged config.

1. ``npm pack`` the pinned packages below into ``.cache/npm/`` (once; the tarballs are kept)
   and unpack the files a reader's browser needs into ``.cache/vendor-site/vendor/``, which
   ``_config.offline.yml`` hands to Sphinx as ``html_extra_path`` (copied to the site's
   ``vendor/`` folder).
2. Merge ``_config.offline.yml`` over ``_config.yml`` into ``_build/offline/_config.yml``
   (mappings merged key by key, anything else replaced), with the execution cache made an
   absolute path so that the offline build reuses the normal build's executed notebooks (and
   the local extensions' folder made absolute too).

Run from anywhere: ``python tools/offline.py`` prints the merged config's path.
"""

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"
TARBALLS = CACHE / "npm"
SITE = CACHE / "vendor-site"
VENDOR = SITE / "vendor"
OUT = ROOT / "_build" / "offline"

#: npm package -> (exact version, members of its tarball to copy, destination under vendor/).
PACKAGES = {
    "mathjax": ("3.2.2", "package/es5/", "mathjax"),
    "requirejs": ("2.3.7", "package/require.js", "require.js"),
    "@jupyter-widgets/html-manager": ("1.0.15", "package/dist/", "html-manager"),
}

# Bundles of MathJax's es5/ folder the book does not load (it loads tex-mml-chtml.js, which
# pulls components from input/, output/, a11y/, sre/, ui/ and adaptors/ on demand).
_SKIP = {"tex-chtml-full-speech.js", "tex-chtml-full.js", "tex-chtml.js", "tex-mml-svg.js",
         "tex-svg-full.js", "tex-svg.js", "mml-svg.js", "mml-chtml.js", "latest.js",
         "node-main.js"}


# Loaded between require.js and the HTML manager (see _config.offline.yml). The manager's bundle
# defines the AMD module "@jupyter-widgets/html-manager/dist/libembed-amd" and loads its assets
# (Font Awesome fonts) from that module's URL, which require.js would otherwise resolve against
# each page's folder: point it at vendor/html-manager/, found from this script's own URL.
WIDGETS_CONFIG = """// Written by tools/offline.py (make book-offline).
(function () {
  var dist = new URL("html-manager", document.currentScript.src).href;
  window.require.config({paths: {"@jupyter-widgets/html-manager/dist": dist}});
})();
"""


def _tarball(name, version):
    stem = name.lstrip("@").replace("/", "-")
    path = TARBALLS / f"{stem}-{version}.tgz"
    if not path.exists():
        TARBALLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}",
                        "--pack-destination", str(TARBALLS)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def _wanted(member, prefix):
    if not member.isfile() or not member.name.startswith(prefix):
        return False
    rest = member.name[len(prefix):]
    return not (rest.endswith(".map") or rest in _SKIP or rest == "embed.js")


def vendor():
    """Unpack the pinned packages into .cache/vendor-site/vendor/ (skipped when up to date)."""
    stamp = VENDOR / "versions.json"
    wanted = {name: version for name, (version, _, _) in PACKAGES.items()}
    wanted["widgets-config.js"] = WIDGETS_CONFIG
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    for name, (version, prefix, dest) in PACKAGES.items():
        with tarfile.open(_tarball(name, version)) as tar:
            for member in tar.getmembers():
                if not _wanted(member, prefix):
                    continue
                rest = member.name[len(prefix):]
                target = VENDOR / dest / rest if rest else VENDOR / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    (VENDOR / "widgets-config.js").write_text(WIDGETS_CONFIG, encoding="utf-8")
    stamp.write_text(json.dumps(wanted, indent=1))


def merge(base, override):
    """``override`` merged over ``base``: mappings key by key, other values replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_config():
    base = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    override = yaml.safe_load((ROOT / "_config.offline.yml").read_text(encoding="utf-8"))
    config = merge(base, override)
    # Jupyter Book resolves these against the config file's folder: make them absolute.
    cache = config.get("execute", {}).get("cache")
    if cache:
        config["execute"]["cache"] = str((ROOT / cache).resolve())
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((ROOT / folder).resolve())
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "_config.yml"
    path.write_text("# Generated by tools/offline.py: edit _config.yml or _config.offline.yml.\n"
                    + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


if __name__ == "__main__":
    vendor()
    print(write_config())
    sys.exit(0)
