"""seglab.recommend: validation, grounding of every item in the book, and sensible behaviour."""

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from seglab.recommend import RARE_FOREGROUND, Advice, Recommendation, recommend

BOOK = Path(__file__).resolve().parents[1] / "book"
LABELS = {match for path in BOOK.rglob("*.md")
          for match in re.findall(r"^:label:\s*(\S+)\s*$", path.read_text(), flags=re.M)}
# the kinds of result an item may cite: no exercises, no figures
RESULT = re.compile(r"^(thm|prop|lem|cor|def|rem)-")

BASE = {"foreground_fraction": 0.01, "objects_per_image": 1, "boundaries_matter": False,
        "detection_matters": False, "empty_images": False}
FINGERPRINTS = [
    {"foreground_fraction": pi, "objects_per_image": k, "boundaries_matter": b,
     "detection_matters": d, "empty_images": e}
    for pi, k, b, d, e in itertools.product((0.001, 0.01, 0.05, 0.2, 0.5, 0.99), (1, 1.5, 20),
                                            (False, True), (False, True), (False, True))
]


def names(items):
    return " | ".join(item.name for item in items).lower()


@pytest.mark.parametrize(("key", "value", "error", "match"), [
    ("foreground_fraction", 0.0, ValueError, r"foreground_fraction must lie in \(0"),
    ("foreground_fraction", 1.0, ValueError, "foreground_fraction must lie in"),
    ("foreground_fraction", -0.5, ValueError, "foreground_fraction must lie in"),
    ("foreground_fraction", np.nan, ValueError, "foreground_fraction must not be NaN"),
    ("foreground_fraction", "1%", TypeError, "foreground_fraction must be a real number"),
    ("foreground_fraction", True, TypeError, "foreground_fraction must be a real number"),
    ("objects_per_image", 0.5, ValueError, r"objects_per_image must lie in \[1"),
    ("objects_per_image", np.nan, ValueError, "objects_per_image must not be NaN"),
    ("objects_per_image", np.inf, ValueError, "objects_per_image must lie in"),
    ("objects_per_image", None, TypeError, "objects_per_image must be a real number"),
    ("boundaries_matter", 1, TypeError, "boundaries_matter must be True or False"),
    ("detection_matters", "yes", TypeError, "detection_matters must be True or False"),
    ("empty_images", None, TypeError, "empty_images must be True or False"),
])
def test_validation(key, value, error, match):
    with pytest.raises(error, match=match):
        recommend(**{**BASE, key: value})


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        recommend(0.01, 1, False, False, False)
    with pytest.raises(TypeError, match="empty_images"):
        recommend(**{k: v for k, v in BASE.items() if k != "empty_images"})


def test_numpy_scalars_are_accepted():
    r = recommend(**{**BASE, "foreground_fraction": np.float32(0.01),
                     "objects_per_image": np.int64(3), "empty_images": np.bool_(True)})
    assert r == recommend(**{**BASE, "objects_per_image": 3, "empty_images": True})


@pytest.mark.parametrize("fingerprint", FINGERPRINTS)
def test_every_item_is_grounded_in_the_book(fingerprint):
    r = recommend(**fingerprint)
    assert isinstance(r, Recommendation)
    assert r.metrics and r.loss.role == "loss" and r.threshold.role == "threshold"
    assert all(item.role == "metric" for item in r.metrics)
    assert all(item.role == "avoid" for item in r.avoid)
    for item in r.items():
        assert isinstance(item, Advice)
        assert item.name and item.caveat and "\n" not in item.caveat
        assert item.labels, item.name
        for label in item.labels:
            assert label in LABELS, f"{item.name}: {label} is not a label of the book"
            assert RESULT.match(label), f"{item.name}: {label} is not a result"
    assert r.labels() == sorted({label for item in r.items() for label in item.labels})


def test_the_labels_are_read_from_the_book():
    """The parser finds the results the advice rests on, and no made-up label."""
    assert {"thm-f1-threshold", "thm-plugin-dice", "prop-pooled-weighted"} <= LABELS
    assert "thm-made-up" not in LABELS


@pytest.mark.parametrize("fingerprint", FINGERPRINTS)
def test_sensible_behaviour(fingerprint):
    r = recommend(**fingerprint)
    rare = fingerprint["foreground_fraction"] < RARE_FOREGROUND
    metrics, avoid = names(r.metrics), names(r.avoid)
    # accuracy is never recommended, and is named as a thing to avoid when foreground is rare
    assert "accuracy" not in metrics
    assert ("accuracy" in avoid) == rare
    # empty images: an empty-case policy is declared for every metric that meets 0/0 or inf
    if fingerprint["empty_images"]:
        assert r.metrics[0].settings["per_image"] is False
        assert "zero_division" in r.metrics[0].settings
        assert "empty images" in metrics
        assert "soft dice without smoothing" in avoid
    # boundaries: a boundary metric with its tolerance, and HD95 with its empty-mask values
    boundary = [m for m in r.metrics if m.name.lower().startswith(("surface dice", "hd95"))]
    assert bool(boundary) == fingerprint["boundaries_matter"]
    for m in boundary:
        assert {"both_empty", "one_empty"} <= set(m.settings)
    if boundary:
        assert "tolerance" in boundary[0].settings
        assert {"percentile": 95, "method": "linear"}.items() <= boundary[1].settings.items()
    # detection: an object-level rate
    if fingerprint["detection_matters"]:
        assert "detection rate" in metrics
    # the loss is always cross-entropy and the threshold always tuned on validation data
    assert r.loss.name == "cross-entropy" and "thm-plugin-dice" in r.loss.labels
    assert "thm-f1-threshold" in r.threshold.labels
    assert "validation" in r.threshold.name


def test_monotone_in_the_flags():
    """Turning a flag on never removes a metric: each concern only adds advice."""
    for fingerprint in FINGERPRINTS:
        before = {m.name for m in recommend(**fingerprint).metrics}
        for flag in ("boundaries_matter", "detection_matters"):
            after = {m.name for m in recommend(**{**fingerprint, flag: True}).metrics}
            assert before <= after, (fingerprint, flag)


def test_rarer_foreground_never_removes_a_warning():
    for fingerprint in FINGERPRINTS:
        common = {m.name for m in recommend(**{**fingerprint, "foreground_fraction": 0.5}).avoid}
        rare = {m.name for m in recommend(**{**fingerprint, "foreground_fraction": 0.01}).avoid}
        assert common <= rare


def test_the_opening_example_of_the_page():
    """1 % foreground, one lesion, empty images: pooled Dice, false alarms, CE + tuning."""
    r = recommend(foreground_fraction=0.01, objects_per_image=1, boundaries_matter=False,
                  detection_matters=False, empty_images=True)
    assert [m.name for m in r.metrics] == [
        "Dice pooled over the data set",
        "false-alarm rate on the empty images (image-level specificity)"]
    assert "prop-pooled-weighted" in r.metrics[0].labels
    assert [a.name for a in r.avoid][:2] == [
        "accuracy (pixel accuracy)", "the threshold 1/2 (argmax) for a Dice target"]
