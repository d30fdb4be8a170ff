"""Tests of seglab.viz.decisions: the label-noise figure of chapter 4 (the chapter-1 figure,
tversky_figure, is tested with the sliders in tests/test_widgets.py)."""

import pytest
from matplotlib.figure import Figure

from seglab.viz import decisions
from seglab.widgets import render_png


def test_label_noise_figure_is_unmanaged_and_moves():
    a = decisions.label_noise_figure(0.05, 0.1)
    b = decisions.label_noise_figure(0.05, 0.3)
    assert isinstance(a, Figure) and a.canvas.manager is None
    assert render_png(a) != render_png(b)


def test_label_noise_static_layer_is_labelled():
    fig = decisions._noise_static(0.05)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("call, error", [
    (lambda: decisions.label_noise_figure(0.0, 0.1), ValueError),
    (lambda: decisions.label_noise_figure(0.1, 0.7), ValueError),
    (lambda: decisions.label_noise_figure("0.1", 0.1), TypeError),
])
def test_label_noise_figure_validation(call, error):
    with pytest.raises(error):
        call()
