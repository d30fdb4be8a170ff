r"""The book's advice as a table: what :func:`seglab.recommend.recommend` answers for a task.

* :func:`recommendation_figure`: the metrics, loss, threshold procedure and what to avoid,
  with their conventions and the labels of the supporting results, for one task fingerprint.

Explained in the book, chapter 4 (``book/ch4/practice.md``).
"""

import textwrap

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..recommend import recommend
from .style import DPI, OKABE_ITO

__all__ = ["recommendation_figure"]

# x position (fraction of the width) and wrap width (characters) of each column
_COLUMNS = (("role", 0.01, 10), ("use", 0.09, 50), ("conventions", 0.47, 46),
            ("supported by", 0.80, 30))
_ROLE_COLOUR = {"metric": OKABE_ITO["blue"], "loss": OKABE_ITO["bluish green"],
                "threshold": OKABE_ITO["orange"], "avoid": OKABE_ITO["vermillion"]}
_SIZE, _SPACING = 8.0, 1.2  # font size (points) and line spacing of every cell
_WIDTH = 11.0  # inches


def _wrap(text, column):
    return textwrap.wrap(text, _COLUMNS[column][2], break_on_hyphens=False) or ["-"]


def _cells(item):
    settings = "; ".join(f"{key}={value}" for key, value in item.settings.items())
    return (_wrap(item.name, 1), _wrap(f"caveat: {item.caveat}", 1), _wrap(settings, 2),
            _wrap(", ".join(item.labels), 3))


def _lines(item):
    use, caveat, conventions, labels = _cells(item)
    return max(len(use) + len(caveat), len(conventions), len(labels)) + 0.8


# every frame has the height of the longest answer, so that a slider does not jump
_MOST = recommend(foreground_fraction=0.01, objects_per_image=2, boundaries_matter=True,
                  detection_matters=True, empty_images=True)
_HEIGHT = (2.0 + sum(_lines(item) for item in _MOST.items())) * _SIZE * _SPACING / 72 + 0.1


def recommendation_figure(*, foreground_fraction, objects_per_image, boundaries_matter,
                          detection_matters, empty_images):
    r"""Table of the book's recommendation for one task fingerprint.

    Parameters
    ----------
    foreground_fraction : float
        Fraction of foreground pixels, in :math:`(0, 1)`.
    objects_per_image : float
        Typical number of objects in an image with foreground, at least 1.
    boundaries_matter, detection_matters, empty_images : bool
        The rest of the fingerprint, as in :func:`seglab.recommend.recommend`.

    Returns
    -------
    matplotlib.figure.Figure
        One row per item of the :class:`~seglab.recommend.Recommendation`: its role, what
        to use (with its caveat in grey), its conventions and the labels of the supporting
        results.

    Examples
    --------
    >>> fig = recommendation_figure(foreground_fraction=0.01, objects_per_image=1,
    ...                             boundaries_matter=False, detection_matters=False,
    ...                             empty_images=False)
    >>> len(fig.texts) > 10
    True
    """
    answer = recommend(foreground_fraction=foreground_fraction,
                       objects_per_image=objects_per_image, boundaries_matter=boundaries_matter,
                       detection_matters=detection_matters, empty_images=empty_images)
    fig = Figure(figsize=(_WIDTH, _HEIGHT), dpi=DPI)
    line = _SIZE * _SPACING / 72 / _HEIGHT  # one text line, as a fraction of the height
    text = {"va": "top", "fontsize": _SIZE, "linespacing": _SPACING}
    y = 1 - 0.3 * line
    for name, x, _ in _COLUMNS:
        fig.text(x, y, name, weight="bold", **text)
    y -= 1.5 * line
    for item in answer.items():
        use, caveat, conventions, labels = _cells(item)
        fig.text(_COLUMNS[0][1], y, item.role, color=_ROLE_COLOUR[item.role], weight="bold",
                 **text)
        fig.text(_COLUMNS[1][1], y, "\n".join(use), **text)
        fig.text(_COLUMNS[1][1], y - len(use) * line, "\n".join(caveat), color="0.4", **text)
        fig.text(_COLUMNS[2][1], y, "\n".join(conventions), family="monospace", **text)
        fig.text(_COLUMNS[3][1], y, "\n".join(labels), family="monospace", **text)
        y -= _lines(item) * line
        rule = y + 0.4 * line
        fig.add_artist(Line2D([0.01, 0.99], [rule, rule], transform=fig.transFigure,
                              color="0.85", lw=0.6))
    return fig
