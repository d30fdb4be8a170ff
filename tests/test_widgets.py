"""Tests of seglab.widgets (live + static sliders) and of the chapter-1 slider figures
(seglab.viz.imbalance.imbalance_figure, seglab.viz.decisions.tversky_figure) on them."""

import base64
import io
import re
import sys
from html.parser import HTMLParser

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from seglab import widgets
from seglab.viz import decisions, imbalance, layers, style
from seglab.widgets import MAX_FRAMES, Param, palette_png, render_png, slider

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# The sliders of the book (book/ch1/index.md and book/ch1/decisions.md).
BOOK_PRIORS = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]
BOOK_WEIGHTS = [0.1, 0.3, 0.5, 0.7, 1.0]


def line(slope, offset=0.0):
    """A tiny figure-valued function that does not touch pyplot."""
    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [offset, offset + slope])
    ax.set_ylim(-3, 3)
    return fig


def pyplot_line(slope):
    """The same through pyplot: the slider must close these figures."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, slope])
    ax.set_ylim(-3, 3)
    return fig


class _Elements(HTMLParser):
    """Collect (tag, attributes) of every start tag and the text of scripts."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.scripts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def parse(html):
    parser = _Elements()
    parser.feed(html)
    return parser


def frames_of(html):
    return [attrs for tag, attrs in parse(html).elements
            if tag == "img" and "seglab-slider-frame" in attrs.get("class", "")]


def decode(attrs):
    prefix = "data:image/png;base64,"
    assert attrs["src"].startswith(prefix)
    return base64.b64decode(attrs["src"][len(prefix):])


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def assert_same_picture(palette, original):
    """Palette PNGs keep flat colours exactly and move anti-aliased pixels by a few levels."""
    a, b = pixels(palette).astype(int), pixels(original).astype(int)
    assert a.shape == b.shape
    difference = np.abs(a - b)
    assert difference.max() <= 20 and difference.mean() < 1.0
    np.testing.assert_array_equal(a[0, 0], b[0, 0])  # the background is exact


@pytest.fixture(autouse=True)
def _no_figures_left():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a test left pyplot figures open"


# ------------------------------------------------------------------------ bundle


def test_bundle_has_live_and_static_views():
    pytest.importorskip("ipywidgets")
    bundle = slider(line, slope=[1, 2])._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", WIDGET_MIME}
    assert bundle[WIDGET_MIME]["version_major"] == 2
    assert re.fullmatch(r"[0-9a-f]{32}", bundle[WIDGET_MIME]["model_id"])
    assert bundle["text/html"].startswith('<div class="seglab-slider"')
    assert "2 frame(s)" in bundle["text/plain"]


@pytest.mark.parametrize(("live", "static", "keys"), [
    (False, True, {"text/plain", "text/html"}),
    (True, False, {"text/plain", WIDGET_MIME}),
])
def test_bundle_respects_live_and_static(live, static, keys):
    pytest.importorskip("ipywidgets")
    assert set(slider(line, live=live, static=static, slope=[1, 2])._repr_mimebundle_()) == keys


def test_bundle_respects_include_exclude():
    s = slider(line, slope=[1, 2])
    assert set(s._repr_mimebundle_(include=["text/html"])) == {"text/plain", "text/html"}
    assert "text/html" not in s._repr_mimebundle_(exclude=["text/html"])


def test_without_ipywidgets_only_the_static_view(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    s = slider(line, slope=[1, 2])
    assert s.widget() is None
    assert set(s._repr_mimebundle_()) == {"text/plain", "text/html"}


# ------------------------------------------------------------------------ frames


@pytest.mark.parametrize("grid", [
    {"slope": [1.0]},
    {"slope": [-1, 0, 1, 2]},
    {"slope": [1, 2, 3], "offset": [0.0, -1.0]},
])
def test_number_of_frames_is_the_product_of_the_grid(grid):
    s = slider(line, live=False, **grid)
    expected = int(np.prod([len(v) for v in grid.values()]))
    html = s.to_html()
    assert s.num_frames == expected == len(frames_of(html))
    assert f'data-frames="{expected}"' in html
    inputs = [a for t, a in parse(html).elements if t == "input"]
    assert [a["type"] for a in inputs] == ["range"] * len(grid)
    assert [int(a["max"]) + 1 for a in inputs] == [len(v) for v in grid.values()]


def test_frames_differ_and_follow_c_order():
    s = slider(line, live=False, slope=[1, 2, 3], offset=[0.0, -1.0])
    frames = frames_of(s.to_html())
    images = [decode(f) for f in frames]
    assert len(set(images)) == len(images)  # every combination is a different picture
    for index, attrs in enumerate(frames):
        assert int(attrs["data-index"]) == index
        kwargs = s.kwargs(index)
        assert kwargs == {"slope": [1, 2, 3][index // 2], "offset": [0.0, -1.0][index % 2]}
        assert attrs["alt"] == f"slope = {kwargs['slope']}, offset = {kwargs['offset']:g}"
        assert_same_picture(images[index], s.frame(index))  # static = live, in a palette


def titled(gain):
    fig = Figure(figsize=(3, 1.5))
    fig.suptitle(f"gain ${gain}$")
    left, right = fig.subplots(1, 2)
    left.plot([0, 1], [0, gain])
    left.set_title(r"response $\eta$")
    left.set_xlabel("input $x$")
    left.set_ylabel("output")
    right.set_title("bare", loc="left")
    return fig


def test_alt_text_reads_the_parameters_then_titles_and_axis_labels():
    s = slider(titled, live=False, gain=[1, 3])
    frames = frames_of(s.to_html())
    assert [f["alt"] for f in frames] == [s.alt(0), s.alt(1)]
    assert s.alt(1) == "gain = 3. gain 3; response eta (x: input x; y: output); bare"
    # a figure without any text: the parameters alone
    assert slider(line, live=False, slope=[2]).alt(0) == "slope = 2"


def test_only_the_first_frame_shows_without_javascript():
    frames = frames_of(slider(line, live=False, slope=[1, 2, 3]).to_html())
    assert "display:none" not in frames[0]["style"]
    assert all("display:none" in f["style"] for f in frames[1:])


def test_value_labels_and_param_format():
    s = slider(line, live=False,
               slope=Param([0.5, 0.25], label="slope m", fmt=".0%"), offset=[0.125])
    html = s.to_html()
    assert "slope m" in html and "25%" in html
    inputs = [a for t, a in parse(html).elements if t == "input"]
    assert inputs[0]["data-labels"] == '["50%", "25%"]'
    assert inputs[1]["data-labels"] == '["0.125"]'
    assert Param([1, 2], fmt=lambda v: f"<{v}>").labels() == ["<1>", "<2>"]


def test_html_is_self_contained():
    html = slider(line, slope=[1, 2], offset=[0, 1]).to_html()
    assert "http://" not in html and "https://" not in html
    parsed = parse(html)
    for tag, attrs in parsed.elements:
        assert tag not in {"link", "iframe", "object", "embed"}
        assert not (tag == "script" and "src" in attrs), "no external script"
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith("data:image/png;base64,"), attrs[key][:40]
    assert len(parsed.scripts) == 1
    assert "require" not in parsed.scripts[0] and "import" not in parsed.scripts[0]


def test_ids_are_unique_across_sliders_and_displays():
    s = slider(line, slope=[1, 2], offset=[0, 1])
    page = s.to_html() + s.to_html() + slider(line, slope=[3, 4]).to_html()
    ids = [a["id"] for _, a in parse(page).elements if "id" in a]
    assert len(ids) == len(set(ids)) == 3 + 3 + 2  # div + one input per parameter
    roots = re.findall(r'<div class="seglab-slider" id="([^"]+)"', page)
    assert len(roots) == 3
    for root in roots:  # each script drives its own div
        assert page.count(f'getElementById("{root}")') == 1


def test_frames_are_cached_and_func_called_once_per_combination():
    calls = []

    def counted(slope):
        calls.append(slope)
        return line(slope)

    s = slider(counted, slope=[1, 2, 3])
    s._repr_mimebundle_()
    s._repr_mimebundle_()
    assert sorted(calls) == [1, 2, 3]


# ------------------------------------------------------------------------ live


def test_live_view_updates_on_change():
    ipywidgets = pytest.importorskip("ipywidgets")
    s = slider(line, static=False, slope=[1, 2, 3], offset=[0.0, 1.0])
    view = s.widget()
    assert s.widget() is view  # built once
    *sliders, output = view.children
    assert all(isinstance(w, ipywidgets.SelectionSlider) for w in sliders)
    assert isinstance(output, ipywidgets.Output)
    assert [w.description for w in sliders] == ["slope", "offset"]
    assert [label for label, _ in sliders[0].options] == ["1", "2", "3"]

    def shown():
        (out,) = output.outputs
        return base64.b64decode(out["data"]["image/png"])

    first = shown()
    assert first == s.frame(0)
    sliders[0].value = 2
    sliders[1].value = 1
    assert shown() == s.frame(2 * 2 + 1) != first
    assert output.outputs[0]["data"]["text/plain"] == "<Figure: slope = 3, offset = 1>"


def test_live_view_shows_errors_in_the_output():
    pytest.importorskip("ipywidgets")

    def fragile(slope):
        if slope > 1:
            raise RuntimeError("boom")
        return line(slope)

    view = slider(fragile, static=False, slope=[1, 2]).widget()
    view.children[0].value = 1
    (out,) = view.children[-1].outputs
    assert out["output_type"] == "stream" and "RuntimeError: boom" in out["text"]


# ------------------------------------------------------------------------ figures


def test_no_figure_leak_with_pyplot_callbacks():
    before = len(plt.get_fignums())
    s = slider(pyplot_line, slope=[1, 2, 3])
    s._repr_mimebundle_()
    assert len(plt.get_fignums()) == before == 0


def test_render_png_closes_pyplot_figure_and_drops_metadata():
    fig, _ = plt.subplots()
    png = render_png(fig)
    assert plt.get_fignums() == []
    assert png.startswith(b"\x89PNG") and b"matplotlib" not in png.lower()


def test_palette_png_keeps_the_picture():
    png = render_png(line(1.0))
    small = palette_png(png)
    assert len(small) < len(png)
    assert_same_picture(small, png)


def test_palette_png_keeps_transparency():
    fig = line(1.0)
    fig.patch.set_alpha(0.0)
    png = render_png(fig)
    assert pixels(png)[0, 0, 3] == 0
    assert pixels(palette_png(png))[0, 0, 3] == 0


# ------------------------------------------------------------------------ validation


def not_a_figure(slope):
    return slope


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: slider(42, slope=[1]), TypeError, "func must be callable"),
    (lambda: slider(line), ValueError, "at least one parameter"),
    (lambda: slider(line, slope=[]), ValueError, "parameter 'slope': values is empty"),
    (lambda: slider(line, slope="abc"), TypeError, "wrap a single value in a list"),
    (lambda: slider(line, slope=3), TypeError, "sequence of parameter values"),
    (lambda: slider(line, slope=[1], wrong=[1]), TypeError, "cannot be called"),
    (lambda: slider(line, offset=[1]), TypeError, "cannot be called"),
    (lambda: slider(line, slope=[1, 1.0]), ValueError, "duplicate labels"),
    (lambda: slider(line, slope=[0.12341, 0.12342]), ValueError, "duplicate labels"),
    (lambda: slider(line, live=False, static=False, slope=[1]), ValueError, "both False"),
    (lambda: slider(line, live=1, slope=[1]), TypeError, "live must be True or False"),
    (lambda: slider(line, slope=range(11), offset=range(11)), ValueError,
     r"121 frames, more than MAX_FRAMES = 120"),
    (lambda: Param([1], label=3), TypeError, "label must be a string"),
    (lambda: Param([1], fmt=3), TypeError, "fmt must be a format spec or a callable"),
    (lambda: Param([1], fmt=lambda v: v).labels(), TypeError, "must return a string"),
    (lambda: slider(not_a_figure, slope=[1]).to_html(), TypeError,
     "not_a_figure\\(\\) must return a matplotlib Figure"),
    (lambda: slider(line, slope=[1]).kwargs(1), IndexError, "out of range"),
    (lambda: render_png("figure"), TypeError, "expected a matplotlib Figure"),
])
def test_validation(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_frame_cap_applies_to_static_only():
    s = slider(line, static=False, slope=range(11), offset=range(11))
    assert s.num_frames == 121 > MAX_FRAMES


def test_validation_does_not_call_func():
    def explode(slope):
        raise AssertionError("called")

    s = slider(explode, slope=[1, 2])  # validation binds the signature, never calls
    assert s.shape == (2,)


# --------------------------------------------------------------- chapter-1 figures


@pytest.mark.parametrize(("func", "kwargs"), [
    (imbalance.imbalance_figure, {"pi": 0.01}),
    (imbalance.imbalance_figure, {"pi": 0.0005, "tpr": 0.8, "fpr": 0.05}),
    (decisions.tversky_figure, {"alpha": 0.3, "beta": 0.7}),
    (decisions.tversky_figure, {"alpha": 1.0, "beta": 0.0}),
])
def test_figures_are_unmanaged(func, kwargs):
    fig = func(**kwargs)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == []  # not registered with pyplot: no leak, no double display
    assert fig.dpi == widgets.DPI == style.DPI
    assert len(render_png(fig)) > 1000


def _texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_imbalance_static_part_is_labelled():
    fig = imbalance._imbalance_static(0.9, 0.01, 0.001, 0.5, (96, 96))
    ax, ax_map = fig.axes
    assert ax.get_xlabel() == "foreground prior π (fraction of pixels, log scale)"
    assert ax.get_ylabel() == "population score"
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["accuracy", "balanced accuracy", "precision", "Dice", "IoU", "MCC",
                      "all-background accuracy", "all-foreground Dice"]
    assert ax.get_legend().get_title().get_text() == "recall 0.9, FP rate 0.01"
    assert [t.get_text() for t in ax_map.get_legend().get_texts()] == ["TN", "FP", "FN", "TP"]


def test_tversky_static_part_is_labelled():
    fig = decisions._tversky_static(((96, 96), 0.1, 1.0, 0))
    ax, ax_map, ax_bar = fig.axes
    assert ax.get_xlabel().startswith("threshold t on the posterior η")
    assert ax.get_ylabel() == "population Tversky index"
    assert len(ax.get_legend().get_texts()) == 4
    assert ax_map.get_images()[0].get_cmap().name == "cividis"
    assert ax_bar.get_ylim() == (0.0, 1.0)  # the colour bar of the posterior map


def test_dynamic_labels_follow_the_parameters():
    from seglab import theory

    texts = _texts(imbalance.imbalance_figure(0.02))
    assert " π = 0.02" in texts
    assert any(t.startswith("example: 184 of 9216 px") for t in texts)
    title = decisions.tversky_figure(0.3, 0.7).axes[0].get_title()
    t_star = float(re.search(r"T\* = ([0-9.]+)", title).group(1))
    tau = float(re.search(r"τ = ([0-9.]+)", title).group(1))
    assert tau == pytest.approx(theory.tversky_threshold(t_star, alpha=0.3, beta=0.7), abs=2e-3)


def test_layer_is_copied_pixel_for_pixel():
    """The cached static layer shows exactly as drawn when the frame is rendered at DPI."""
    layer = imbalance._imbalance_layer(0.9, 0.01, 0.001, 0.5, (96, 96))
    fig, _ = layers.overlay(layer)
    np.testing.assert_array_equal(pixels(render_png(fig)), layer[0])


def test_figures_differ_between_parameter_values():
    a = render_png(imbalance.imbalance_figure(0.1))
    b = render_png(imbalance.imbalance_figure(0.01))
    c = render_png(decisions.tversky_figure(0.3, 0.7))
    d = render_png(decisions.tversky_figure(0.7, 0.3))
    assert len({a, b, c, d}) == 4


@pytest.mark.parametrize(("call", "match"), [
    (lambda: imbalance.imbalance_figure(0.0), "pi must lie in"),
    (lambda: imbalance.imbalance_figure(1.5), "pi must lie in"),
    (lambda: imbalance.imbalance_figure(0.1, tpr=1.2), "tpr must lie in"),
    (lambda: decisions.tversky_figure(-0.1, 0.5), "alpha must lie in"),
    (lambda: decisions.tversky_figure(0.0, 0.0), "must not both be 0"),
])
def test_figure_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(("func", "grid", "max_bytes"), [
    (imbalance.imbalance_figure, {"pi": BOOK_PRIORS}, 250_000),
    (decisions.tversky_figure, {"alpha": BOOK_WEIGHTS, "beta": BOOK_WEIGHTS}, 700_000),
])
def test_book_slider_payload_is_small(func, grid, max_bytes):
    """The book's sliders: at most 28 kB of HTML per frame (palette PNGs, base64)."""
    s = slider(func, live=False, **grid)
    html = s.to_html()
    assert len(frames_of(html)) == s.num_frames
    assert len(html) < max_bytes
    assert len(html) / s.num_frames < 28_000
    assert plt.get_fignums() == []


@pytest.mark.parametrize(("pi", "bounds"), [
    (0.5, (0.001, 0.5)),
    (0.001, (0.001, 0.5)),
    (0.3, (0.001, 0.5)),
    (0.0005, (0.0001, 0.5)),
    (0.7, (0.001, 0.9)),
    (0.95, (0.001, 0.99)),
])
def test_prior_axis_is_fixed_then_widened_to_a_power_of_ten(pi, bounds):
    low, high = imbalance._prior_range(pi)
    assert (low, high) == pytest.approx(bounds)
    assert low <= pi <= high


# ------------------------------------------------------ resolution and presenter frames


def test_layers_are_drawn_at_the_slider_resolution():
    """A slider at another dpi draws the static layer at that dpi, cached apart from DPI's,
    and the frame shows it pixel for pixel (no resampled 80-dpi bitmap)."""
    dpi = style.PRESENTER_DPI
    with style.resolution(dpi):
        assert style.frame_dpi() == dpi
        layer = imbalance._imbalance_layer(0.9, 0.01, 0.001, 0.5, (96, 96))
        fig, _ = layers.overlay(layer)
    assert style.frame_dpi() == style.DPI
    width, height = layer[1]
    assert layer[0].shape == (round(height * dpi), round(width * dpi), 4)
    assert imbalance._imbalance_layer(0.9, 0.01, 0.001, 0.5, (96, 96))[0].shape[1] == round(
        width * style.DPI)
    assert fig.dpi == pytest.approx(dpi)
    np.testing.assert_array_equal(pixels(render_png(fig, dpi=dpi)), layer[0])

    s = slider(imbalance.imbalance_figure, static=False, dpi=dpi, pi=[0.1, 0.01])
    frame = pixels(s.frame(1))
    assert frame.shape[1] == round(width * dpi)


@pytest.mark.parametrize(("dpi", "error"), [
    (5, ValueError), (601, ValueError), (float("nan"), ValueError), ("176", TypeError),
])
def test_resolution_and_slider_dpi_are_validated(dpi, error):
    with pytest.raises(error, match="dpi"):
        style.resolution(dpi)
    with pytest.raises(error, match="dpi"):
        slider(imbalance.imbalance_figure, live=False, dpi=dpi, pi=[0.1])


def test_resolution_is_restored_after_an_error():
    with pytest.raises(RuntimeError), style.resolution(120):
        raise RuntimeError
    assert style.frame_dpi() == style.DPI


def _simulate_cvd(rgb, kind):
    """Machado, Oliveira & Fernandes (2009) simulation at severity 1, on linear RGB."""
    matrices = {
        "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
        "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                   [-0.011820, 0.042940, 0.968881]],
        "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
    }
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return np.clip(linear @ np.array(matrices[kind]).T, 0.0, 1.0)


def _lab(linear):
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                             [0.0193, 0.1192, 0.9505]]).T / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                     200 * (f[:, 1] - f[:, 2])], axis=1)


@pytest.mark.parametrize("kind", ["none", "protan", "deutan", "tritan"])
def test_house_palette_stays_distinguishable_under_colour_blindness(kind):
    """Every pair of the curve colours (Okabe–Ito), and of the four error-map categories,
    stays apart under a simulated dichromacy: CIELAB distance ΔE*ab at least 10 (a clearly
    visible difference). Measured minima: palette 16.1 (tritan), error map 17.2 (tritan,
    FP orange against FN purple)."""
    from matplotlib.colors import to_rgb

    def distances(colours):
        rgb = np.array([to_rgb(c) for c in colours])
        linear = (np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
                  if kind == "none" else _simulate_cvd(rgb, kind))
        lab = _lab(linear)
        d = np.linalg.norm(lab[:, None] - lab[None], axis=2)
        return d[np.triu_indices(len(colours), 1)]

    assert distances(list(style.OKABE_ITO.values())).min() >= 10
    assert distances([c for _, _, c in style.ERROR_CLASSES]).min() >= 10
