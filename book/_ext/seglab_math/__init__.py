"""Every formula of the book rendered by MathJax when the book is built, not by the browser.

With Sphinx's MathJax extension each page ships its TeX (``\\(...\\)``, ``\\[...\\]``) and MathJax
typesets it in the browser after the page has loaded: seconds on the longer chapters. This
extension is an HTML math renderer (``html_math_renderer = "seglab"``, chosen when it is loaded)
that hands each formula to MathJax 3 running in node when the book is built, and writes the
result into the page:

* the same MathJax as the browser ran before (the ``mathjax`` npm package, version pinned in
  ``book/_ext/seglab_npm.py``, fetched once with ``npm pack`` into ``.cache/``), the same TeX
  input (the book's macros from ``mathjax3_config``, the packages of ``tex-mml-chtml.js``,
  autoloaded extensions) and CommonHTML output;
* each formula carries its MathML (MathJax's assistive MathML, read by screen readers; the
  visual part is ``aria-hidden``) and its TeX in ``data-tex``, which ``static/seglab-math.js``
  puts on the clipboard when a selection holding formulas is copied;
* one stylesheet for every page, ``_static/seglab-math/chtml.css`` (MathJax's full CommonHTML
  stylesheet, fonts in ``_static/seglab-math/woff-v2/``), so that the site needs no network, and
  ``static/seglab-math.css``, which scales each formula to the x-height of the text around it
  as MathJax does in the browser; formulas take the text colour (dark mode included);
* the wrappers stay Sphinx's (``span.math``, ``div.math`` with its equation number and
  permalink), so the theme's layout, ``{eq}`` and sphinx-proof references are unchanged;
* a TeX error or an undefined macro is a build warning (``-W`` makes it an error) at the
  formula's source line, instead of red text in the page.

No MathJax is loaded to read a page. It is loaded, lazily, only when a reader starts a live
kernel (Thebe), to typeset the TeX of live outputs (``static/seglab-math.js``; Thebe's own
MathJax 2 loader is switched off in each page's Thebe configuration).

Speed: one node process per build (``render.js``), started on the first formula that is not
cached; formulas are sent to it as soon as a page has been read, so that MathJax works on the
other core while Sphinx reads and executes the next pages, and the writing phase finds them
ready. Rendered formulas are kept in ``_build/.math_cache/`` (keyed by MathJax version,
renderer and TeX configuration), shared by the published and the offline builds: a formula is
rendered once.
"""

import hashlib
import html
import itertools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seglab_npm import CACHE, MATHJAX, unpack  # noqa: E402

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
RENDER_JS = HERE / "render.js"
MATHJAX_DIR = CACHE / "-".join(MATHJAX)  # the package's es5/ and the generated site files
SITE_FILES = MATHJAX_DIR / "site"  # an html_static_path entry: seglab-math/chtml.css, woff-v2/
TIMEOUT = 120  # s without an answer from node: something is wrong


def _digest(*parts):
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def mathjax_es5():
    """The es5/ folder of the pinned MathJax package, unpacked once into .cache/."""
    es5 = MATHJAX_DIR / "es5"
    done = MATHJAX_DIR / "es5.complete"
    if not done.exists():
        shutil.rmtree(es5, ignore_errors=True)
        unpack(*MATHJAX, "package/es5/", es5, lambda rest: not rest.endswith(".map"))
        done.touch()
    return es5


class Renderer:
    """A node process running ``render.js``, with a cache of the formulas it rendered."""

    def __init__(self, tex_config, cache_dir):
        self.tex_config = tex_config
        key = _digest(RENDER_JS.read_text(encoding="utf-8"),
                      json.dumps(tex_config, sort_keys=True))
        self.cache_file = cache_dir / f"{'-'.join(MATHJAX)}-{key}.json"
        try:
            self.cache = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.cache = {}
        self.dirty = False
        self.replies = {}
        self.ids = {}  # request id -> key, until its answer arrives
        self.counter = itertools.count(1)
        self.condition = threading.Condition()
        self.process = None
        self.outbox = queue.Queue()
        self.stderr = []
        self.pid = os.getpid()

    # -- the node process --------------------------------------------------------------------
    def _start(self):
        node = shutil.which("node")
        if node is None:
            raise ExtensionError("seglab_math: node (Node.js) renders the formulas when the book "
                                 "is built: `apt-get install nodejs npm` (the Makefile does it)")
        self.process = subprocess.Popen(
            [node, str(RENDER_JS), str(mathjax_es5()), json.dumps(self.tex_config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            encoding="utf-8")
        for target in (self._write, self._read, self._read_stderr):
            threading.Thread(target=target, daemon=True).start()

    def _write(self):
        # A thread of its own: a full pipe blocks it, never the build.
        while (line := self.outbox.get()) is not None:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        self.process.stdin.close()

    def _read(self):
        for line in self.process.stdout:
            reply = json.loads(line)
            with self.condition:
                self.replies[self.ids.pop(reply["id"])] = reply
                self.condition.notify_all()
        with self.condition:
            self.ids.clear()
            self.condition.notify_all()

    def _read_stderr(self):
        self.stderr.extend(self.process.stderr)

    def _send(self, key, request):
        """Queue a request unless its answer is cached, arrived or on its way."""
        with self.condition:
            if key in self.cache or key in self.replies or key in self.ids.values():
                return
            if self.process is None:
                self._start()
            request["id"] = next(self.counter)
            self.ids[request["id"]] = key
        self.outbox.put(json.dumps(request) + "\n")

    def _wait(self, key):
        with self.condition:
            done = self.condition.wait_for(
                lambda: key in self.replies or key not in self.ids.values(), timeout=TIMEOUT)
            if not done or key not in self.replies:
                raise ExtensionError("seglab_math: MathJax (node render.js) stopped answering: "
                                     + "".join(self.stderr)[-2000:])
            return self.replies[key]

    # -- what the build asks ---------------------------------------------------------------
    @staticmethod
    def _key(tex, display):
        return ("D" if display else "I") + tex

    def prefetch(self, formulas):
        """Start rendering ``(tex, display)`` pairs; ``render`` picks the results up later."""
        if os.getpid() != self.pid:  # a parallel reader: the writing process renders
            return
        for tex, display in formulas:
            self._send(self._key(tex, display), {"tex": tex, "display": display})

    def render(self, tex, display):
        """The CommonHTML of a formula and the TeX errors MathJax reported (a list)."""
        key = self._key(tex, display)
        if key in self.cache:
            return self.cache[key], []
        self._send(key, {"tex": tex, "display": display})
        reply = self._wait(key)
        if not reply["errors"]:
            self.cache[key] = reply["html"]
            self.dirty = True
        return reply["html"], reply["errors"]

    def stylesheet(self):
        self._send("@stylesheet", {"stylesheet": True})
        return self._wait("@stylesheet")["css"]

    def close(self):
        if self.process is not None:
            self.outbox.put(None)
            self.process.wait(timeout=TIMEOUT)
            self.process = None
        if self.dirty and os.getpid() == self.pid:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cache_file.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(self.cache), encoding="utf-8")
            partial.replace(self.cache_file)
            self.dirty = False


# -- the formulas of a page ------------------------------------------------------------------
def display_tex(node):
    """The TeX of a display formula as Sphinx's MathJax extension hands it to MathJax."""
    if node["nowrap"]:  # amsmath environments: the text is the whole formula
        text = node.astext().strip()
        for left, right in (("$$", "$$"), ("\\[", "\\]")):
            if text.startswith(left) and text.endswith(right):
                text = text[len(left):-len(right)]
        return text
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    parts = [r"\begin{split}" + part + r"\end{split}" if r"\\" in part else part
             for part in parts]
    if len(parts) > 1:
        return r" \begin{align}\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}\end{align} "
    return parts[0] if parts else ""


def _renderer(app):
    renderer = getattr(app, "_seglab_math", None)
    if renderer is None or renderer.pid != os.getpid():
        tex = dict((app.config.mathjax3_config or {}).get("tex", {}))
        renderer = app._seglab_math = Renderer(tex, Path(app.srcdir) / "_build" / ".math_cache")
    return renderer


def _formula(translator, node, tex, display):
    html_, errors = _renderer(translator.builder.app).render(tex, display)
    if errors:
        logger.warning("TeX error in %s: %s", tex if len(tex) < 200 else tex[:200] + "...",
                       "; ".join(errors), location=node, type="seglab_math", subtype="tex")
    copy = html.escape(node.astext().strip(), quote=True)
    return html_.replace("<mjx-container ", f'<mjx-container data-tex="{copy}" ', 1)


def visit_math(self, node):
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_formula(self, node, node.astext(), display=False) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"] and not node["nowrap"]:  # as Sphinx's MathJax extension numbers them
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append(_formula(self, node, display_tex(node), display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


# -- Sphinx events ---------------------------------------------------------------------------
def choose_renderer(app, config):
    if not config.html_math_renderer:
        config.html_math_renderer = "seglab"
    if config.mathjax_path == MATHJAX_URL:  # the live-code path: the same MathJax, pinned
        config.mathjax_path = MATHJAX_URL.replace("mathjax@3/", f"mathjax@{MATHJAX[1]}/")
    SITE_FILES.mkdir(parents=True, exist_ok=True)  # filled when the builder starts
    config.html_static_path.extend([str(SITE_FILES), str(HERE / "static")])


def site_files(app):
    """_static/seglab-math/: the full CommonHTML stylesheet and MathJax's fonts (made once);
    the reader's script, told where the live-code path finds MathJax and its configuration."""
    if app.builder.format != "html" or app.builder.math_renderer_name != "seglab":
        return
    app.add_js_file("seglab-math.js", defer="defer", **{
        "data-mathjax": app.config.mathjax_path,
        "data-config": json.dumps(app.config.mathjax3_config or {}, separators=(",", ":"))})
    folder = SITE_FILES / "seglab-math"
    stylesheet = folder / "chtml.css"
    stamp = f"/* MathJax {MATHJAX[1]} CommonHTML, {_digest(RENDER_JS.read_text())} */\n"
    if stylesheet.exists() and stylesheet.read_text(encoding="utf-8").startswith(stamp):
        return
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(mathjax_es5() / "output" / "chtml" / "fonts" / "woff-v2", folder / "woff-v2")
    css = re.sub(r"\s*\n\s*", "", _renderer(app).stylesheet())
    stylesheet.write_text(stamp + css + "\n", encoding="utf-8")


def prefetch(app, doctree):
    """Send a page's formulas to MathJax as soon as the page is read."""
    if app.builder.format != "html" or app.builder.math_renderer_name != "seglab":
        return
    formulas = [(node.astext(), False) for node in doctree.findall(nodes.math)]
    formulas += [(display_tex(node), True) for node in doctree.findall(nodes.math_block)]
    if formulas:
        _renderer(app).prefetch(formulas)


THEBE_CONFIG = re.compile(r'(<script type="text/x-thebe-config">\s*\{\s*requestKernel: true,)')


def page_assets(app, pagename, templatename, context, doctree):
    if app.builder.math_renderer_name != "seglab":
        return
    # Thebe brings its own MathJax (2, from a CDN) for live outputs unless told not to: with
    # the page's formulas rendered already, static/seglab-math.js typesets live outputs with
    # the book's MathJax 3 and macros instead.
    body = context.get("body", "")
    if "text/x-thebe-config" in body:
        body, found = THEBE_CONFIG.subn(r"\1 mathjaxUrl: false,", body)
        if not found:
            logger.warning("seglab_math: the page's Thebe configuration has changed; "
                           "cannot switch off Thebe's MathJax", location=pagename,
                           type="seglab_math", subtype="thebe")
        context["body"] = body


def finish(app, exception):
    renderer = getattr(app, "_seglab_math", None)
    if renderer is not None:
        renderer.close()


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")  # mathjax_path, mathjax3_config
    app.add_html_math_renderer("seglab", (visit_math, None), (visit_displaymath, None))
    app.connect("config-inited", choose_renderer)
    app.connect("builder-inited", site_files)
    app.connect("doctree-read", prefetch)
    app.connect("html-page-context", page_assets)
    app.connect("build-finished", finish)
    app.add_css_file("seglab-math/chtml.css")
    app.add_css_file("seglab-math.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
