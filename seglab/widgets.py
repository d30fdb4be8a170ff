r"""Sliders that work live in a kernel and without one in the static HTML book.

A chapter turns a pure plotting function into a slider with one call::

    slider(imbalance.imbalance_figure, pi=[0.5, 0.1, 0.01, 0.001])

The returned :class:`Slider` is displayed by Jupyter through its
``_repr_mimebundle_``, which carries two renderings of the same control:

* ``application/vnd.jupyter.widget-view+json``: an ipywidgets ``VBox`` of one
  ``SelectionSlider`` per parameter and an ``Output`` holding the figure, redrawn
  by the kernel when a slider moves (the *live* view);
* ``text/html``: a self-contained ``<div class="seglab-slider">`` with one
  ``<input type="range">`` per parameter, every frame of the parameter grid as a
  base64 PNG, and a few lines of inline JavaScript that show the selected frame
  (the *static* view: no kernel, no network, no require.js).

A live frontend (JupyterLab, Notebook, VS Code, Voilà) shows the widget; the book
build is configured with ``nb_mime_priority_overrides: [["html", "text/html", 0]]``
so the HTML pages show the static view. Without JavaScript the static view still
shows the first frame.

Only this module and :mod:`seglab.viz` import matplotlib; ipywidgets is imported
lazily, when a live view is built. The resolution of the frames, ``DPI``, is the one
of every figure (:data:`seglab.viz.style.DPI`).

Explained in the book, chapter 1 (``book/ch1/index.md``).
"""

import base64
import html
import inspect
import io
import json
import math
import numbers
import sys
import traceback
import uuid

from matplotlib.figure import Figure
from PIL import Image

from .viz.style import DPI, resolution  # the frames' resolution; see seglab.viz.style

__all__ = ["MAX_FRAMES", "Param", "Slider", "palette_png", "render_png", "slider"]

#: Largest parameter grid a static slider precomputes (frames are PNGs in the page).
MAX_FRAMES = 120

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Shows the frame whose flat (C-order) index matches the range inputs; runs once per div.
_SCRIPT = """(function () {
  var root = document.getElementById("%s");
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var inputs = root.querySelectorAll("input.seglab-slider-input");
  var frames = root.querySelectorAll("img.seglab-slider-frame");
  function update() {
    var k = 0;
    for (var i = 0; i < inputs.length; i++) {
      var v = Number(inputs[i].value), labels = JSON.parse(inputs[i].getAttribute("data-labels"));
      k = k * (Number(inputs[i].max) + 1) + v;
      inputs[i].setAttribute("aria-valuetext", labels[v]);
      root.querySelector("output[for='" + inputs[i].id + "']").textContent = labels[v];
    }
    for (var j = 0; j < frames.length; j++) { frames[j].style.display = (j === k) ? "" : "none"; }
  }
  for (var i = 0; i < inputs.length; i++) { inputs[i].addEventListener("input", update); }
  update();
})();"""


def _default_format(value):
    if isinstance(value, bool | numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        return format(float(value), ".4g")
    return str(value)


class Param:
    """Values of one slider parameter, with an optional label and number format.

    Parameters
    ----------
    values : sequence
        The values the slider steps through, in order (at least one). Any objects
        ``func`` accepts; a string is rejected (wrap it in a list).
    label : str, optional
        Text shown next to the slider. Default: the keyword name.
    fmt : str or callable, optional
        How a value is shown: a format spec for :func:`format` (``".3f"``) or a
        function of the value returning a string. Default: ``.4g`` for real numbers,
        :func:`str` otherwise.

    Raises
    ------
    TypeError
        If ``values`` is not a sequence, ``label`` is not a string or ``fmt`` is
        neither a string nor callable.
    ValueError
        If ``values`` is empty.

    Examples
    --------
    >>> p = Param([0.5, 0.05], label="prior π", fmt=".0%")
    >>> p.labels()
    ['50%', '5%']
    """

    __slots__ = ("values", "label", "fmt")

    def __init__(self, values, *, label=None, fmt=None):
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            raise TypeError(
                f"values must be a sequence of parameter values, got {type(values).__name__} "
                f"{values!r}; wrap a single value in a list"
            )
        self.values = tuple(values)
        if not self.values:
            raise ValueError("values is empty; a slider parameter needs at least one value")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__} {label!r}")
        if fmt is not None and not (isinstance(fmt, str) or callable(fmt)):
            raise TypeError(f"fmt must be a format spec or a callable, got {fmt!r}")
        self.label = label
        self.fmt = fmt

    def labels(self):
        """The values as the strings the slider shows, in order."""
        if self.fmt is None:
            return [_default_format(v) for v in self.values]
        if isinstance(self.fmt, str):
            return [format(v, self.fmt) for v in self.values]
        labels = [self.fmt(v) for v in self.values]
        for value, text in zip(self.values, labels, strict=True):
            if not isinstance(text, str):
                raise TypeError(f"fmt({value!r}) must return a string, got {text!r}")
        return labels

    def __repr__(self):
        return f"Param({list(self.values)!r}, label={self.label!r}, fmt={self.fmt!r})"


def render_png(fig, *, dpi=DPI):
    """Render a matplotlib figure to PNG bytes, then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; closed afterwards if pyplot manages it, so that nothing leaks
        and a notebook does not show it a second time.
    dpi : float, optional
        Resolution in dots per inch, in [10, 600].

    Returns
    -------
    bytes
        The PNG file (no metadata chunk: frames are small and carry no URL).

    Raises
    ------
    TypeError
        If ``fig`` is not a :class:`~matplotlib.figure.Figure`, or ``dpi`` is not a real
        number.
    ValueError
        If ``dpi`` lies outside [10, 600] (the figure is closed all the same).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> render_png(Figure(figsize=(1, 1)))[1:4]
    b'PNG'
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__} {fig!r}")
    buffer = io.BytesIO()
    try:
        dpi = _check_dpi(dpi)
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(fig)
    return buffer.getvalue()


def palette_png(png):
    """Re-encode a PNG with at most 256 colours, if that makes it smaller.

    Plots are mostly flat colours with anti-aliased edges, so an adaptive palette
    (no dithering) looks the same and is about 3-4 times smaller: flat colours such as
    the white background stay exact, anti-aliased pixels move by a few levels of 255.
    The static slider stores its frames this way.

    Parameters
    ----------
    png : bytes
        A PNG file (RGB or RGBA).

    Returns
    -------
    bytes
        The palette PNG, or ``png`` itself when that is not larger.

    Raises
    ------
    TypeError
        If ``png`` is not bytes.
    ValueError
        If ``png`` is not a PNG file that Pillow can read.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2))
    >>> lines = fig.add_subplot().plot([0, 1], [0, 1])
    >>> png = render_png(fig)
    >>> len(palette_png(png)) < len(png)
    True
    """
    if not isinstance(png, bytes | bytearray):
        raise TypeError(f"png must be the bytes of a PNG file, got {type(png).__name__}")
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (OSError, SyntaxError, ValueError) as err:  # UnidentifiedImageError is an OSError
        raise ValueError(f"png is not a readable PNG file ({err})") from None
    if image.format != "PNG":
        raise ValueError(f"png must be a PNG file, got a {image.format} image")
    if image.mode not in ("RGB", "RGBA"):
        return png
    if image.mode == "RGBA" and image.getextrema()[3] == (255, 255):
        image = image.convert("RGB")  # opaque: drop the alpha channel
    # Max-coverage keeps exact white and errs by a few levels at anti-aliased edges; only
    # fast-octree handles transparency.
    method = Image.Quantize.MAXCOVERAGE if image.mode == "RGB" else Image.Quantize.FASTOCTREE
    quantized = image.quantize(256, method=method, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    quantized.save(buffer, format="png", optimize=True)
    smaller = buffer.getvalue()
    return smaller if len(smaller) < len(png) else png


class Slider:
    """A figure-valued function on a grid of parameter values, displayable live and static.

    Build it with :func:`slider`. Frames are rendered lazily and cached: ``func`` is
    called at most once per combination of values (it must be pure). The live view
    shows the PNG as rendered; the static view stores a palette version
    (:func:`palette_png`), smaller to ship in a page.

    Attributes
    ----------
    func : callable
        The plotting function.
    names : tuple of str
        The keyword names, in slider order (the last one varies fastest in the
        frame order).
    params : tuple of Param
        The values, labels and formats of each keyword.
    shape : tuple of int
        Number of values of each parameter; the frames form this grid.
    live, static : bool
        Which renderings ``_repr_mimebundle_`` produces.
    dpi : float
        Resolution of the frames (the figures' static layers are drawn at it too).

    Raises
    ------
    TypeError
        If ``func`` is not callable, ``params`` is not a dict of :class:`Param`, or
        ``live``/``static`` are not booleans (:func:`slider` checks the rest).
    ValueError
        If ``params`` is empty or ``dpi`` lies outside [10, 600].

    Examples
    --------
    >>> from seglab.viz.imbalance import imbalance_figure
    >>> from seglab.widgets import slider
    >>> s = slider(imbalance_figure, pi=[0.5, 0.05, 0.005], live=False)
    >>> s.names, s.shape, s.num_frames
    (('pi',), (3,), 3)
    >>> s.caption(1)
    'pi = 0.05'
    """

    def __init__(self, func, params, *, live, static, dpi=DPI):
        from ._validation import check_bool

        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__} {func!r}")
        if not (isinstance(params, dict) and all(isinstance(p, Param) for p in params.values())):
            raise TypeError(f"params must be a dict of Param, got {params!r:.100}")
        if not params:
            raise ValueError("params must hold at least one parameter, got {}")
        live = check_bool(live, "live")
        static = check_bool(static, "static")
        self.func = func
        self.dpi = _check_dpi(dpi)
        self.names = tuple(params)
        self.params = tuple(params.values())
        self.shape = tuple(len(p.values) for p in self.params)
        self.live = live
        self.static = static
        self._labels = [p.labels() for p in self.params]
        self._frames = {}
        self._static_frames = {}
        self._texts = {}
        self._widget = None

    @property
    def num_frames(self):
        """Number of parameter combinations (the product of ``shape``)."""
        return math.prod(self.shape)

    def kwargs(self, index):
        """Keyword arguments of frame ``index`` (flat, C order over ``shape``)."""
        if not 0 <= index < self.num_frames:
            raise IndexError(f"frame index {index} out of range for {self.num_frames} frames")
        position = _unravel(index, self.shape)
        return {n: p.values[i] for n, p, i in zip(self.names, self.params, position, strict=True)}

    def caption(self, index):
        """Text description of frame ``index``, e.g. ``'pi = 0.01, tpr = 0.9'``."""
        position = _unravel(index, self.shape)
        return ", ".join(
            f"{p.label or n} = {labels[i]}"
            for n, p, labels, i in zip(self.names, self.params, self._labels, position,
                                      strict=True)
        )

    def frame(self, index):
        """PNG bytes of frame ``index``: ``func(**self.kwargs(index))`` rendered (cached)."""
        if index not in self._frames:
            with resolution(self.dpi):
                fig = self.func(**self.kwargs(index))
            if not isinstance(fig, Figure):
                name = getattr(self.func, "__name__", repr(self.func))
                raise TypeError(
                    f"{name}() must return a matplotlib Figure, got {type(fig).__name__}"
                )
            self._texts[index] = _figure_text(fig)
            self._frames[index] = render_png(fig, dpi=self.dpi)
        return self._frames[index]

    def alt(self, index):
        """Alternative text of frame ``index``: the parameters, then the figure's own text
        (titles and axis labels of each panel), for readers who cannot see the image."""
        self.frame(index)
        text = self._texts.get(index)
        return f"{self.caption(index)}. {text}" if text else self.caption(index)

    def static_frame(self, index):
        """PNG bytes of frame ``index`` as stored in the static view (:func:`palette_png`)."""
        if index not in self._static_frames:
            self._static_frames[index] = palette_png(self.frame(index))
        return self._static_frames[index]

    def to_html(self):
        """The static, kernel-free rendering: one ``<div class="seglab-slider">``.

        Every call returns a fresh element id, so the same slider can be shown twice
        on a page; the frames themselves are computed once.
        """
        uid = f"seglab-slider-{uuid.uuid4().hex[:12]}"
        controls = []
        for axis, (name, param, labels) in enumerate(
            zip(self.names, self.params, self._labels, strict=True)
        ):
            input_id = f"{uid}-{axis}"
            label = html.escape(param.label or name)
            controls.append(
                f'<label for="{input_id}" style="display:flex;align-items:center;gap:0.6em;">'
                f'<span style="min-width:6em;">{label}</span>'
                f'<input type="range" class="seglab-slider-input" id="{input_id}" '
                f'name="{html.escape(name)}" min="0" max="{len(labels) - 1}" step="1" value="0" '
                f'data-labels="{html.escape(json.dumps(labels))}" '
                f'aria-valuetext="{html.escape(labels[0])}" style="width:16em;">'
                f'<output for="{input_id}">{html.escape(labels[0])}</output></label>'
            )
        frames = []
        for index in range(self.num_frames):
            data = base64.b64encode(self.static_frame(index)).decode("ascii")
            # An inline style, not the hidden attribute: theme CSS may set img display.
            display = "" if index == 0 else "display:none;"
            frames.append(
                f'<img class="seglab-slider-frame" data-index="{index}" '
                f'alt="{html.escape(self.alt(index))}" '
                f'style="max-width:100%;height:auto;{display}" src="data:image/png;base64,{data}">'
            )
        names = ",".join(self.names)
        return (
            f'<div class="seglab-slider" id="{uid}" data-names="{html.escape(names)}"'
            f' data-shape="{",".join(map(str, self.shape))}" data-frames="{self.num_frames}">'
            f'<div class="seglab-slider-controls">{"".join(controls)}</div>'
            f'<div class="seglab-slider-frames">{"".join(frames)}</div>'
            f"<script>{_SCRIPT % uid}</script></div>"
        )

    def widget(self):
        """The live ipywidgets view (built once), or None if ipywidgets is not installed."""
        if self._widget is not None:
            return self._widget
        try:
            import ipywidgets
        except ImportError:
            return None
        sliders = [
            ipywidgets.SelectionSlider(
                options=[(text, i) for i, text in enumerate(labels)],
                value=0,
                description=param.label or name,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=ipywidgets.Layout(width="30em"),
            )
            for name, param, labels in zip(self.names, self.params, self._labels, strict=True)
        ]
        output = ipywidgets.Output()

        def show(change=None):
            index = _ravel([s.value for s in sliders], self.shape)
            try:
                # The static view's smaller frame when it exists (same picture), else render.
                png = self._static_frames.get(index) or self.frame(index)
                data = {
                    "image/png": base64.b64encode(png).decode("ascii"),
                    "text/plain": f"<Figure: {self.caption(index)}>",
                }
                shown = {"output_type": "display_data", "data": data, "metadata": {}}
            except Exception:  # shown in the Output, as ipywidgets.interact does
                shown = {"output_type": "stream", "name": "stderr",
                         "text": traceback.format_exc()}
            output.outputs = (shown,)

        for s in sliders:
            s.observe(show, names="value")
        show()
        self._widget = ipywidgets.VBox([*sliders, output])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        def wanted(mime):
            return (include is None or mime in include) and not (exclude and mime in exclude)

        bundle = {"text/plain": repr(self)}
        if self.static and wanted("text/html"):
            bundle["text/html"] = self.to_html()
        if self.live and wanted(_WIDGET_MIME):
            view = self.widget()
            if view is not None:
                bundle[_WIDGET_MIME] = view._repr_mimebundle_()[_WIDGET_MIME]
        return bundle

    def __repr__(self):
        name = getattr(self.func, "__qualname__", repr(self.func))
        grid = ", ".join(
            f"{n}=[{', '.join(labels)}]"
            for n, labels in zip(self.names, self._labels, strict=True)
        )
        return f"<seglab slider {name}({grid}): {self.num_frames} frame(s)>"


def _figure_text(fig):
    """The titles and axis labels of a figure's panels as one line of text (TeX's ``$`` and
    backslashes dropped), e.g. ``'Dice 0.91 (x: threshold t; y: score)'``."""
    def clean(text):
        return " ".join(text.replace("$", "").replace("\\", "").split())

    parts = [clean(fig.get_suptitle())]
    for ax in fig.axes:
        title = " ".join(clean(ax.get_title(loc)) for loc in ("left", "center", "right"))
        axes = "; ".join(f"{name}: {label}" for name, label in
                         (("x", clean(ax.get_xlabel())), ("y", clean(ax.get_ylabel()))) if label)
        title = " ".join(title.split())
        parts.append(f"{title} ({axes})" if axes else title)
    return "; ".join(p for p in parts if p)


def _unravel(index, shape):
    position = []
    for size in reversed(shape):
        index, i = divmod(index, size)
        position.append(i)
    return tuple(reversed(position))


def _ravel(position, shape):
    index = 0
    for i, size in zip(position, shape, strict=True):
        index = index * size + i
    return index


def slider(func, /, *, live=True, static=True, dpi=DPI, **params):
    r"""Slider over the parameters of a figure-valued function, live and static.

    Parameters
    ----------
    func : callable
        Pure function of the keywords in ``params`` returning a matplotlib
        :class:`~matplotlib.figure.Figure` (for example from
        :mod:`seglab.viz.imbalance`). The slider closes each figure after rendering it.
    live : bool, optional
        Include the ipywidgets view (``SelectionSlider`` per parameter + ``Output``;
        ``func`` is called when a slider moves). Skipped if ipywidgets is not
        installed.
    static : bool, optional
        Include the kernel-free HTML view: every frame of the grid precomputed as a
        PNG (at ``dpi`` dots per inch) and switched by inline JavaScript.
    dpi : float, optional
        Resolution of the frames, in [10, 600]; the figures' cached static layers are drawn
        at it too (:func:`seglab.viz.style.resolution`). The classroom dashboard uses
        :data:`seglab.viz.style.PRESENTER_DPI`.
    **params : sequence or Param
        For each keyword of ``func``, the values to slide through (the first one is
        shown first), or a :class:`Param` with a label and a format.

    Returns
    -------
    Slider
        An object that Jupyter displays through ``_repr_mimebundle_``: the keys
        ``'text/plain'``, ``'application/vnd.jupyter.widget-view+json'`` (when
        ``live``) and ``'text/html'`` (when ``static``).

    Raises
    ------
    TypeError
        If ``func`` is not callable, does not accept the keywords, a parameter is
        not a sequence, or ``live``/``static`` are not booleans.
    ValueError
        If no parameter is given, a parameter has no values or two values with the
        same label, both views are switched off, or a static slider would need more
        than :data:`MAX_FRAMES` frames.

    Notes
    -----
    The static view shows frame :math:`k` for the slider positions
    :math:`(i_1, \dots, i_d)` with :math:`k` the C-order (row-major) flat index, so
    the number of frames is the product of the numbers of values. The static view
    stores palette PNGs (:func:`palette_png`, 3-4 times smaller); frames are cached on
    the :class:`Slider`, so the live view reuses the frames the static view rendered
    and ``func`` runs at most once per combination. In the book the static view is
    shown because ``_config.yml`` sets
    ``nb_mime_priority_overrides: [["html", "text/html", 0]]``; a live frontend shows
    the widget. ``live``, ``static`` and ``dpi`` cannot be parameter names (wrap ``func``
    in a ``lambda`` to rename such a keyword).

    Explained in the book, chapter 1 (``book/ch1/index.md``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> def line(slope):
    ...     fig = Figure(figsize=(2, 1.5))
    ...     fig.add_subplot().plot([0, 1], [0, slope])
    ...     return fig
    >>> s = slider(line, live=False, slope=[1, 2, 3])
    >>> bundle = s._repr_mimebundle_()
    >>> sorted(bundle)
    ['text/html', 'text/plain']
    >>> bundle["text/html"].count('class="seglab-slider-frame"')
    3
    >>> s.kwargs(2)
    {'slope': 3}
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__} {func!r}")
    for value, name in ((live, "live"), (static, "static")):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if not (live or static):
        raise ValueError("live and static are both False: the slider would show nothing")
    if not params:
        raise ValueError("slider needs at least one parameter, e.g. slider(f, pi=[0.1, 0.01])")
    params = {
        name: value if isinstance(value, Param) else _param(value, name)
        for name, value in params.items()
    }
    for name, param in params.items():
        labels = param.labels()
        if len(set(labels)) != len(labels):
            raise ValueError(
                f"values of {name!r} show duplicate labels {labels}; drop the repeated "
                f"values or pass Param(values, fmt=...) with a finer format"
            )
    _check_signature(func, {name: param.values[0] for name, param in params.items()})
    num_frames = math.prod(len(p.values) for p in params.values())
    if static and num_frames > MAX_FRAMES:
        sizes = " × ".join(f"{len(p.values)} ({n})" for n, p in params.items())
        raise ValueError(
            f"a static slider over {sizes} values needs {num_frames} frames, more than "
            f"MAX_FRAMES = {MAX_FRAMES}; use fewer values (or static=False)"
        )
    return Slider(func, params, live=live, static=static, dpi=dpi)


def _check_dpi(dpi):
    from ._validation import check_real

    return check_real(dpi, "dpi", low=10.0, high=600.0)


def _param(values, name):
    try:
        return Param(values)
    except (TypeError, ValueError) as err:
        raise type(err)(f"parameter {name!r}: {err}") from None


def _check_signature(func, kwargs):
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # some builtins have no signature: let the call decide
        return
    try:
        signature.bind(**kwargs)
    except TypeError as err:
        name = getattr(func, "__name__", repr(func))
        raise TypeError(
            f"{name}() cannot be called with the slider keywords {sorted(kwargs)}: {err}"
        ) from None

