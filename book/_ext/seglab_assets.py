"""Each page's scripts exactly once, and doctrees without the whole build environment.

(It keeps the Thebe launch button and drops its JavaScript error.)

sphinx-thebe 0.3.1 registers an inline script ``const THEBE_JS_URL = ...`` from the
``env-before-read-docs`` event with ``app.add_js_file(None, body=...)``. At that point Sphinx
7.4 records the script twice (in the extension registry and in the HTML builder, which has
already copied the registry), so every page carried it twice and the browser stopped at the
second copy: ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared`` (the same
happens, harmlessly, to sphinx-togglebutton's ``var togglebuttonSelector``). The Thebe launch
button then still shows but its configuration script has failed.

It also gives the page template a ``default_mode`` of ``"auto"`` when ``html_context`` sets
none: pydata-sphinx-theme 0.17.1 (under sphinx-book-theme) otherwise starts a first visit
(empty ``localStorage``) in the mode ``""`` and logs ``console.error("Got invalid theme mode:
. Resetting to auto.")``; "auto" (follow the system) is what it then falls back to anyway.

The doctrees: the API pages' ``{eval-rst}`` blocks are parsed into a nested docutils document
whose settings hold Sphinx's whole ``BuildEnvironment``; the nodes that autodoc builds there
keep pointing at that document, so each API page's pickled doctree carried a copy of the
environment (19 MB each, 300 MB in all), and every rebuild, even with nothing to do, unpickled
them all to number the figures (about 30 s). After a page is read its nodes are re-attached to
the page's own document (``doctree-read``); nothing else in the tree changes.

The duplicates: this extension removes exact duplicates (same file or inline body, same
attributes) from each page's ``script_files`` just before the page is written; the first copy
keeps its place. It changes nothing else, so ``launch_buttons: thebe: true`` keeps working.
The browser tests (``tests/test_browser_book.py``) fail on any JavaScript error, this one
included.
"""


def _key(script):
    # sphinx.builders.html._assets._JavaScript: the file name and the tag attributes, the
    # inline body among them. The two copies of an inline script differ in their file name
    # (None in one, '' in the other) and may differ in priority.
    if isinstance(script, str):  # a theme or extension may still add plain names
        return script, ()
    attributes = getattr(script, "attributes", {}) or {}
    name = getattr(script, "filename", None)
    return (str(name) if name else "",
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique  # in place: the builder's list, restored before the next page


def adopt_nodes(app, doctree):
    """Point every node of a page at the page's document (not at a nested parse's)."""
    for node in doctree.findall():
        if getattr(node, "document", None) is not None and node.document is not doctree:
            node.document = doctree


def default_theme_mode(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app):
    app.connect("doctree-read", adopt_nodes, priority=900)
    app.connect("html-page-context", default_theme_mode)
    # After the other handlers have added their scripts (default priority 500).
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
