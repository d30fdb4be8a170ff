"""seglab.plotting.outlier_figure: the slider figure of book/ch1/boundary.md."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from seglab import metrics, plotting, surface  # noqa: E402
from seglab.widgets import slider  # noqa: E402


def test_outlier_curves_closed_form():
    """HD equals the outlier distance, Dice is 2|G|/(2|G|+1) at every distance, HD95 is 0."""
    for radius in (6, 12, 24):
        grid, dice, hd, hd95, assd = plotting._outlier_curves(radius, (96, 96))
        target, _, _ = plotting._outlier_scene(radius, (96, 96))
        np.testing.assert_array_equal(hd, grid)
        np.testing.assert_allclose(dice, 2 * target.sum() / (2 * target.sum() + 1))
        assert np.all(hd95 == 0) and np.all(assd < 1)
        assert not grid.flags.writeable


def test_outlier_figure_and_markers():
    fig = plotting.outlier_figure(8, 12)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1].startswith("HD 8.0, HD95 0.0")
    target, centre, _ = plotting._outlier_scene(12, (96, 96))
    pred = plotting._with_outlier(target, centre, 12, 8)
    assert surface.hausdorff(pred, target) == 8.0
    assert titles[2] == f"Dice {metrics.dice(pred, target):.4f}"


def test_outlier_figure_bad_input():
    with pytest.raises(TypeError, match="distance must be an int"):
        plotting.outlier_figure(2.5, 6)
    with pytest.raises(TypeError, match="radius must be an int"):
        plotting.outlier_figure(2, True)
    with pytest.raises(ValueError, match="distance must be at least 2"):
        plotting.outlier_figure(1, 6)
    with pytest.raises(ValueError, match="radius must be at least 1"):
        plotting.outlier_figure(4, 0)
    with pytest.raises(ValueError, match="does not fit"):
        plotting.outlier_figure(60, 24)


def test_outlier_slider_static_frames():
    s = slider(plotting.outlier_figure, live=False, distance=[2, 32], radius=[6, 24])
    assert s._repr_mimebundle_()["text/html"].count('class="seglab-slider-frame"') == 4
