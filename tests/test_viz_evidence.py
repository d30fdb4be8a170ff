"""The figures of the experiments' evidence (seglab.viz.evidence), on a small synthetic
summary: what each panel draws is checked against the summary's numbers, not pixels."""

import math

import numpy as np
import pytest

from seglab.viz.evidence import contrast_figure, forest_figure, reliability_figure


def _summary():
    paired = []
    values = {("lesions", 0.1): {"ce": (-0.05, -0.08, -0.02), "dice": (0.01, -0.02, 0.03)},
              ("lesions", 0.005): {"ce": (-0.10, -0.2, 0.05), "dice": (0.04, 0.01, 0.07)},
              ("vessels", None): {"ce": (0.02, 0.01, 0.03), "dice": (math.nan,) * 3}}
    for (task, fraction), losses in values.items():
        for loss, (estimate, low, high) in losses.items():
            for threshold in ("half", "tuned"):
                paired.append({"task": task, "fraction": fraction, "model": "unet",
                               "loss": loss, "threshold": threshold, "figure": "dice_pooled",
                               "baseline": "ce_dice", "estimate": estimate, "low": low,
                               "high": high})
    paired.append({**paired[0], "model": "logistic", "estimate": 0.5, "low": 0.4, "high": 0.6})
    reliability = [{"task": "lesions", "fraction": 0.02, "model": "unet", "loss": loss,
                    "count": [900, 0, 50, 50], "confidence": [0.05, math.nan, 0.5, 0.9],
                    "frequency": [0.02 + k / 100, math.nan, 0.4, 0.8 + k / 10]}
                   for k, loss in enumerate(("ce", "dice"))]
    rows = [{"task": "lesions", "fraction": 0.02, "model": "unet", "loss": "ce",
             "threshold": "half", "figure": "ece", "estimate": 0.0123, "low": 0.01,
             "high": 0.02}]
    contrasts = [{**row, "loss": "dinkelbach", "threshold": threshold, "other": other,
                  "other_threshold": other_threshold, "estimate": estimate, "low": low,
                  "high": high}
                 for row in paired if row["loss"] == "ce" and row["model"] == "unet"
                 and row["threshold"] == "half"
                 for (other, other_threshold), (estimate, low, high), threshold in [
                     (("ce", "tuned"), (row["estimate"], row["low"], row["high"]), "half"),
                     (("focal", "half"), (0.1, 0.05, 0.2), "half"),
                     (("ce", "tuned"), (0.3, 0.2, 0.4), "tuned")]]
    return {"paired": paired, "reliability": reliability, "rows": rows, "contrasts": contrasts}


def _segments(ax):
    """(y, low, high) of each interval segment of a panel."""
    out = []
    for collection in ax.collections:
        for segment in collection.get_segments():
            (x0, y0), (x1, _) = segment
            out.append((y0, x0, x1))
    return sorted(out)


def test_forest_panels_hold_the_paired_intervals():
    fig = forest_figure(_summary(), threshold="half")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["lesions, 0.5%", "lesions, 10%", "vessels"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["ce", "dice"]
    # ce at the top (y = 1), dice below (y = 0).
    assert _segments(fig.axes[0]) == [(0, 0.01, 0.07), (1, -0.2, 0.05)]
    assert _segments(fig.axes[1]) == [(0, -0.02, 0.03), (1, -0.08, -0.02)]
    dots = sorted(tuple(line.get_xydata()[0]) for line in fig.axes[1].lines
                  if line.get_marker() == "o")
    assert dots == [(-0.05, 1.0), (0.01, 0.0)]
    # A NaN difference draws nothing; the zero line is drawn in every panel.
    assert _segments(fig.axes[2]) == [(1, 0.01, 0.03)]
    for ax in fig.axes:
        assert any(line.get_xdata()[0] == 0 and line.get_linestyle() == "--"
                   for line in ax.lines)


def test_forest_colours_say_which_side_of_zero():
    fig = forest_figure(_summary())
    # Panel "lesions, 0.5%": ce (drawn first) contains 0, dice lies above it; panel
    # "lesions, 10%": ce lies below 0.
    across, above = (c.get_colors()[0][:3] for c in fig.axes[0].collections)
    below = fig.axes[1].collections[0].get_colors()[0][:3]
    assert np.allclose(across, 0.45)
    assert np.allclose(above, [0x00 / 255, 0x72 / 255, 0xB2 / 255])   # blue #0072B2
    assert np.allclose(below, [0xD5 / 255, 0x5E / 255, 0x00 / 255])   # vermillion #D55E00


def test_forest_selects_model_and_metric():
    fig = forest_figure(_summary(), model="logistic", threshold="half")
    assert len(fig.axes) == 1 and _segments(fig.axes[0]) == [(0, 0.4, 0.6)]
    with pytest.raises(ValueError, match="metric 'iou_pooled'"):
        forest_figure(_summary(), metric="iou_pooled")
    with pytest.raises(ValueError, match="threshold"):
        forest_figure(_summary(), threshold="best")
    with pytest.raises(TypeError, match="summary"):
        forest_figure([])
    with pytest.raises(ValueError, match="paired"):
        forest_figure({})


def test_contrast_panels_hold_the_contrasts_of_one_loss_and_threshold():
    fig = contrast_figure(_summary())
    assert [ax.get_title() for ax in fig.axes] == ["lesions, 0.5%", "lesions, 10%", "vessels"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["ce (tuned)",
                                                                     "focal (half)"]
    # ce (tuned) at the top (y = 1), focal (half) below (y = 0); the dinkelbach-tuned row of
    # the same panel is not drawn.
    assert _segments(fig.axes[0]) == [(0, 0.05, 0.2), (1, -0.2, 0.05)]
    assert _segments(fig.axes[1]) == [(0, 0.05, 0.2), (1, -0.08, -0.02)]
    assert "dinkelbach" in fig.axes[0].get_xlabel()
    tuned = contrast_figure(_summary(), threshold="tuned")
    assert _segments(tuned.axes[0]) == [(0, 0.2, 0.4)]
    with pytest.raises(ValueError, match="loss 'ce'"):
        contrast_figure(_summary(), loss="ce")
    with pytest.raises(ValueError, match="contrasts"):
        contrast_figure({"paired": []})
    with pytest.raises(ValueError, match="threshold"):
        contrast_figure(_summary(), threshold="best")
    with pytest.raises(TypeError, match="loss"):
        contrast_figure(_summary(), loss=3)


def test_reliability_curves_are_the_nonempty_bins():
    fig = reliability_figure(_summary())
    top, bottom = fig.axes
    diagonal, ce, dice = top.lines
    assert diagonal.get_xydata().tolist() == [[0, 0], [1, 1]]
    assert ce.get_xydata().tolist() == [[0.05, 0.02], [0.5, 0.4], [0.9, 0.8]]
    assert dice.get_xydata().tolist() == [[0.05, 0.03], [0.5, 0.4], [0.9, 0.9]]
    assert [t.get_text() for t in top.get_legend().get_texts()] == [
        "calibrated", "ce (ECE 0.012)", "dice"]
    assert bottom.lines[0].get_xydata().tolist() == [[0.05, 900], [0.5, 50], [0.9, 50]]
    assert bottom.get_yscale() == "log"
    only = reliability_figure(_summary(), losses=["dice"])
    assert len(only.axes[0].lines) == 2


def test_reliability_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="no reliability entry"):
        reliability_figure(_summary(), fraction=0.1)
    with pytest.raises(ValueError, match="have no reliability entry"):
        reliability_figure(_summary(), losses=["lovasz"])
    with pytest.raises(TypeError, match="losses"):
        reliability_figure(_summary(), losses="ce")
    with pytest.raises(TypeError, match="fraction"):
        reliability_figure(_summary(), fraction="2%")


def test_forest_colours_say_which_side_is_better():
    """Blue is an improvement in every forest plot: below 0 for a distance such as HD95
    (inferred from the metric's name, or given by ``better``), above 0 for Dice."""
    blue = [0x00 / 255, 0x72 / 255, 0xB2 / 255]
    vermillion = [0xD5 / 255, 0x5E / 255, 0x00 / 255]
    summary = _summary()
    hd = {**summary, "paired": [{**row, "figure": "hd95_mean_nonempty"}
                                for row in summary["paired"]],
          "contrasts": [{**row, "figure": "hd95_mean_nonempty"}
                        for row in summary["contrasts"]]}
    for fig in (forest_figure(hd, metric="hd95_mean_nonempty"),
                forest_figure(summary, better="lower")):
        # "lesions, 0.5%": dice lies above 0 (worse); "lesions, 10%": ce below 0 (better)
        above = fig.axes[0].collections[1].get_colors()[0][:3]
        below = fig.axes[1].collections[0].get_colors()[0][:3]
        assert np.allclose(above, vermillion) and np.allclose(below, blue)
    # contrast_figure follows the same rule: focal (half) lies above 0 in "lesions, 0.5%"
    for fig, colour in ((contrast_figure(summary), blue),
                        (contrast_figure(hd, metric="hd95_mean_nonempty"), vermillion),
                        (contrast_figure(summary, better="lower"), vermillion)):
        assert np.allclose(fig.axes[0].collections[1].get_colors()[0][:3], colour)
    with pytest.raises(ValueError, match="better"):
        forest_figure(summary, better="up")
    with pytest.raises(ValueError, match="better"):
        contrast_figure(summary, better="both")
