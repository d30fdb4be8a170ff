"""Long pages rendered as fast as short ones: the browser lays out only what is on screen.

The longest chapters hold a thousand formulas (about 45 000 elements once MathJax has rendered
them at build time), and Chromium spent most of their loading time laying the whole page out,
several times over: once per parsing slice while the HTML arrived, then once more for
pydata-sphinx-theme's ``load`` handler, which asks every code block and cell output whether it
overflows (``scrollWidth``) and sets its ``tabindex`` between the questions, so that each answer
forces a new layout. Two changes, both in this extension:

* ``static/seglab-pagespeed.css`` gives every section of the article ``content-visibility:
  auto``: a section off screen is neither styled nor laid out until it comes near the viewport
  (it keeps a placeholder height, then the height it last had), and print and find-in-page see
  everything as before;
* ``static/seglab-pagespeed.js`` (loaded in the page head, before the theme's deferred script)
  keeps the theme's rule — a scrollable code block or output is a keyboard stop
  (``tabindex="0"``), one that is not scrollable is not (``tabindex="-1"``) — but applies it to
  each block when the block comes near the viewport (an ``IntersectionObserver``, where reading
  its size costs nothing), and, until then, keeps every such block reachable from the keyboard.
  It replaces the theme's own pass, which it recognises as the ``load`` listener registered by
  the theme's script file, and re-checks on resize and when blocks are added, as the theme did.

Measured by ``benchmarks/bench_pages.py`` (every page of the offline build in headless Chromium).
The browser tests check that the theme's pass is replaced (``window.seglabPageSpeed``), that
the keyboard rule holds for every block, and measure layout with every section rendered.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def static_path(app, config):
    config.html_static_path.append(str(HERE / "static"))


def setup(app):
    app.connect("config-inited", static_path)
    app.add_css_file("seglab-pagespeed.css")
    # A plain script in the head: it must run before the theme's deferred script registers its
    # load listener (priority below the default 500 puts it first among the page's scripts).
    app.add_js_file("seglab-pagespeed.js", priority=200)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
