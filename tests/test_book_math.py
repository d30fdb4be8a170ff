"""The build-time math step (``book/_ext/seglab_math``) on a small Sphinx project.

A throwaway project (reStructuredText: an inline formula with the book's macros, a numbered
display formula with its ``:eq:`` reference, an amsmath environment) is built with Sphinx and
the extension, in a subprocess:

* with no network at all (a network namespace of its own, ``unshare -rn``): the formulas are
  rendered by node from the MathJax package cached in ``.cache/`` by an earlier build, and the
  page loads no MathJax;
* with a TeX error: the strict build (``-W``) fails and names the formula and its line.

The built book itself is checked in a browser by ``test_browser_math.py``.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "book" / "_ext"

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["seglab_math"]
html_theme = "basic"
mathjax3_config = {{"tex": {{"macros": {{
    "Dice": "\\\\mathrm{{D}}",
    "Tv": ["\\\\mathrm{{T}}_{{#1,#2}}", 2],
    "argmax": "\\\\operatorname*{{arg\\\\,max}}",
}}}}}}
"""

PAGE = r"""
Formulas
========

Inline :math:`\Dice(A, B) = \Tv{\alpha}{\beta}` and :math:`\argmax_t F(t)`.

.. math::
   :label: eq-dice

   \Dice = \frac{2\,|A \cap B|}{|A| + |B|}

As :eq:`eq-dice` shows.

.. math::
   :nowrap:

   \begin{align*} a &= b \\ c &= d \end{align*}
"""


def _offline_prefix():
    """``unshare -rn``: run with no network interface but loopback, when the kernel allows."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is missing")
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("this kernel does not allow a network namespace (unshare -rn)")
    return ["unshare", "-rn"]


def _build(tmp_path, page, prefix=()):
    (tmp_path / "conf.py").write_text(CONF, encoding="utf-8")
    (tmp_path / "index.rst").write_text(page, encoding="utf-8")
    return subprocess.run(
        [*prefix, sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-E",
         str(tmp_path), str(tmp_path / "_build" / "html")],
        capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def mathjax_cached():
    """The pinned MathJax package unpacked in .cache/ (npm pack on the first build)."""
    sys.path.insert(0, str(EXT))
    from seglab_math import mathjax_es5

    if shutil.which("node") is None:
        pytest.skip("node is missing: `make node`")
    return mathjax_es5()


def test_math_step_runs_offline(tmp_path, mathjax_cached):
    result = _build(tmp_path, PAGE, _offline_prefix())
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    scripts = [s.get("src", "") for s in soup.find_all("script")]
    assert not [s for s in scripts if "mathjax" in s.lower()], scripts
    assert "\\(" not in soup.get_text() and "\\[" not in soup.get_text()
    math = soup.select(".math")
    assert [m.name for m in math] == ["span", "span", "div", "div"]
    for wrapper in math:
        container = wrapper.find("mjx-container", recursive=False)
        assert container is not None, wrapper
        assert container.get("data-tex"), container.attrs
        assert container.find("mjx-math")["aria-hidden"] == "true"
        mathml = container.find("mjx-assistive-mml").find("math")
        assert mathml is not None and mathml.get_text(strip=True)
        assert (container.get("display") == "true") == (wrapper.name == "div")
    assert math[0].find("mjx-container")["data-tex"] == r"\Dice(A, B) = \Tv{\alpha}{\beta}"
    # the macros expanded: D and T_{alpha,beta} in the MathML, no red undefined-macro text
    mathml = str(math[0].find("math"))
    assert '<mi mathvariant="normal">D</mi>' in mathml and "<mi>α</mi>" in mathml
    assert "mathcolor" not in html and "mjx-merror" not in html
    # \operatorname* puts the limit under arg max in display style; inline it is a subscript
    assert "<msub>" in str(math[1].find("math"))
    # the numbered display keeps Sphinx's number, permalink and :eq: reference
    assert math[2]["id"] == "equation-eq-dice"
    assert math[2].select_one("span.eqno").get_text(strip=True).startswith("(1)")
    assert soup.select_one('a.reference[href="#equation-eq-dice"]').get_text() == "(1)"
    assert "<mtable" in str(math[3].find("math"))  # the align* environment
    static = tmp_path / "_build" / "html" / "_static"
    assert (static / "seglab-math" / "chtml.css").stat().st_size > 100_000
    assert list((static / "seglab-math" / "woff-v2").glob("*.woff"))
    links = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert any("seglab-math/chtml.css" in href for href in links), links
    assert any("seglab-math.css" in href for href in links), links
    # rendered formulas are cached for the next build
    assert list((tmp_path / "_build" / ".math_cache").glob("mathjax-*.json"))


def test_a_tex_error_fails_the_strict_build(tmp_path, mathjax_cached):
    page = PAGE + textwrap.dedent(r"""

        A broken one: :math:`\frac{a}{b` and an undefined macro :math:`\nosuchmacro x`.
        """)
    result = _build(tmp_path, page)
    assert result.returncode != 0
    assert "TeX error" in result.stderr and "index.rst" in result.stderr, result.stderr[-3000:]
    assert "Missing close brace" in result.stderr
    assert "nosuchmacro" in result.stderr
