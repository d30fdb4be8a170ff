"""seglab.viz.boundary.outlier_figure: the slider figure of book/ch1/boundary.md (the closed
forms it draws are tested in tests/test_surface.py and tests/test_data.py)."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from seglab import data, metrics, surface
from seglab.viz import boundary
from seglab.widgets import slider


def test_outlier_curves_are_the_core_metrics():
    """The figure's curves are Dice, HD, HD95 and ASSD of data.disk_with_outlier, read-only."""
    grid, dice, hd, hd95, assd = boundary._outlier_curves(12, (96, 96))
    np.testing.assert_array_equal(grid, np.arange(2, 96 - 1 - 32 - 12 + 1))
    for i in (0, 7, grid.size - 1):
        pred, target = data.disk_with_outlier(int(grid[i]), 12)
        assert dice[i] == metrics.dice(pred, target)
        assert (hd[i], hd95[i]) == (surface.hausdorff(pred, target),
                                    surface.hausdorff(pred, target, percentile=95))
        assert assd[i] == surface.assd(pred, target)
    assert not grid.flags.writeable and not dice.flags.writeable


def test_outlier_figure_and_markers():
    fig = boundary.outlier_figure(8, 12)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1].startswith("HD 8.0, HD95 0.0")
    pred, target = data.disk_with_outlier(8, 12)
    assert surface.hausdorff(pred, target) == 8.0
    assert titles[2] == f"Dice {metrics.dice(pred, target):.4f}"


def test_outlier_figure_bad_input():
    with pytest.raises(TypeError, match="distance must be an int"):
        boundary.outlier_figure(2.5, 6)
    with pytest.raises(TypeError, match="radius must be an int"):
        boundary.outlier_figure(2, True)
    with pytest.raises(ValueError, match="distance must be an int >= 2"):
        boundary.outlier_figure(1, 6)
    with pytest.raises(ValueError, match="radius must be an int >= 1"):
        boundary.outlier_figure(4, 0)
    with pytest.raises(ValueError, match="does not fit"):
        boundary.outlier_figure(60, 24)


def test_outlier_slider_static_frames():
    s = slider(boundary.outlier_figure, live=False, distance=[2, 32], radius=[6, 24])
    assert s._repr_mimebundle_()["text/html"].count('class="seglab-slider-frame"') == 4
