"""Lesion-wise matching, counts and detection scores (seglab.lesions).

Hand-built cases with known matches, brute-force references (components by
:func:`skimage.measure.label`, IoUs by explicit voxel sets, the best assignment by
enumerating every permutation), and hypothesis properties: counts add up over a
concatenation with a gap, PQ = SQ * RQ, swapping the masks swaps FP and FN, and the three
matching rules agree above IoU 1/2.

Peer: panoptica 2.1.7 (PyPI) would downgrade NumPy in the project's environment (it pulls
numpy 2.2), so it was run once in a separate virtual environment on the masks of
``peer_masks`` (saved with ``np.save``) and its numbers are recorded in ``PANOPTICA``; the
panoptic quality is also checked against a brute-force computation of Kirillov et al.'s
definition (``brute_pq``).
"""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from skimage.measure import label

from seglab import surface
from seglab.lesions import LesionCounts, detection_scores, lesion_counts


def box(shape, *slices):
    mask = np.zeros(shape, dtype=bool)
    mask[tuple(slice(a, b) for a, b in slices)] = True
    return mask


def components(mask, connectivity):
    labels = label(mask, connectivity=connectivity)
    return [frozenset(map(tuple, np.argwhere(labels == k))) for k in range(1, labels.max() + 1)]


def iou_table(pred, target, connectivity):
    refs, preds = components(target, connectivity), components(pred, connectivity)
    table = np.array([[len(r & p) / len(r | p) for p in preds] for r in refs])
    return table.reshape(len(refs), len(preds)), refs, preds


def brute_pq(pred, target, connectivity):
    """Kirillov et al.'s PQ with IoU > 1/2 matches, from explicit voxel sets."""
    table, refs, preds = iou_table(pred, target, connectivity)
    matched = table[table > 0.5]
    tp = matched.size
    fp, fn = len(preds) - tp, len(refs) - tp
    if tp + fp + fn == 0:
        return 1.0
    return float(matched.sum() / (tp + fp / 2 + fn / 2))


def best_total_iou(table, min_iou):
    """The largest total IoU of a one-to-one matching of pairs above min_iou (enumeration)."""
    weight = np.where(table > min_iou, table, 0.0)
    n_ref, n_pred = weight.shape
    if not (n_ref and n_pred):
        return 0.0
    size = max(n_ref, n_pred)
    padded = np.zeros((size, size))
    padded[:n_ref, :n_pred] = weight
    return max(sum(padded[i, perm[i]] for i in range(size))
               for perm in itertools.permutations(range(size)))


def pair():
    """A strategy of two boolean masks of one shape (2..7 by 2..7)."""
    return st.tuples(st.integers(2, 7), st.integers(2, 7)).flatmap(
        lambda shape: st.tuples(arrays(bool, shape), arrays(bool, shape)))


# ---------------------------------------------------------------------------
# Hand-built cases


def test_perfect_prediction():
    target = box((8, 8), (1, 3), (1, 3)) | box((8, 8), (5, 7), (4, 8))
    counts, rows = lesion_counts(target, target, size_bins=(5,))
    assert counts.tp == (1, 1) and counts.fp == (0, 0) and counts.fn == (0, 0)
    assert counts.iou_sum == 2
    scores = detection_scores(counts)
    assert scores == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "sq": 1.0, "rq": 1.0,
                      "pq": 1.0, "recall_by_size": {"[0, 5)": 1.0, "[5, inf)": 1.0}}
    assert [row["hd95"] for row in rows] == [0.0, 0.0]
    assert [row["dice"] for row in rows] == [1.0, 1.0]


def test_two_lesions_touching_at_a_corner():
    """Two squares sharing one corner: two lesions with connectivity 1, one with 2."""
    target = box((8, 8), (1, 4), (1, 4)) | box((8, 8), (4, 7), (4, 7))
    pred = box((8, 8), (1, 4), (1, 4))
    one = lesion_counts(pred, target, connectivity=1, size_bins=())
    assert (one.counts.tp, one.counts.fp, one.counts.fn) == ((1,), (0,), (1,))
    assert one.rows[0]["iou"] == 1.0 and one.rows[1]["prediction_id"] == 0
    full = lesion_counts(pred, target, connectivity=2, size_bins=())
    assert (full.counts.tp, full.counts.fp, full.counts.fn) == ((0,), (1,), (1,))
    assert lesion_counts(pred, target, size_bins=()).counts == full.counts  # default ndim


def test_split_prediction():
    """One 4x8 lesion predicted as two 4x3 halves: IoU 12/32 each, no match above 1/2;
    the assignment above IoU 0 matches one half."""
    target = box((6, 10), (1, 5), (1, 9))
    pred = box((6, 10), (1, 5), (1, 4)) | box((6, 10), (1, 5), (6, 9))
    counts = lesion_counts(pred, target, size_bins=()).counts
    assert counts.totals == (0, 2, 1)
    scores = detection_scores(counts)
    assert scores["pq"] == 0.0 and scores["f1"] == 0.0 and np.isnan(scores["sq"])
    for rule in ("greedy", "hungarian"):
        counts, rows = lesion_counts(pred, target, size_bins=(), match=rule, min_iou=0.0)
        assert counts.totals == (1, 1, 0)
        assert counts.iou_sum == Fraction(12 / 32)
        assert rows[0]["prediction_id"] == 1  # the tie goes to the lower label
        assert rows[0]["dice"] == pytest.approx(2 * 12 / (32 + 12))


def test_merged_prediction():
    """Two 3x3 lesions one column apart, predicted as one 3x7 block: IoU 9/21 each."""
    target = box((5, 9), (1, 4), (1, 4)) | box((5, 9), (1, 4), (5, 8))
    pred = box((5, 9), (1, 4), (1, 8))
    assert lesion_counts(pred, target, size_bins=()).counts.totals == (0, 1, 2)
    counts, rows = lesion_counts(pred, target, size_bins=(), match="hungarian", min_iou=0.4)
    assert counts.totals == (1, 0, 1) and counts.iou_sum == Fraction(9 / 21)
    assert [row["prediction_id"] for row in rows] == [1, 0]
    assert lesion_counts(pred, target, size_bins=(), match="greedy",
                         min_iou=0.45).counts.totals == (0, 1, 2)


def test_empty_reference():
    pred = box((6, 6), (0, 2), (0, 2)) | box((6, 6), (4, 6), (4, 6))
    counts, rows = lesion_counts(pred, np.zeros((6, 6), bool), size_bins=())
    assert counts.totals == (0, 2, 0) and counts.iou_sum == 0
    assert [(row["reference_id"], row["prediction_id"]) for row in rows] == [(0, 1), (0, 2)]
    assert all(row["hd95"] == np.inf and row["dice"] == 0.0 for row in rows)
    scores = detection_scores(counts)
    assert scores["precision"] == 0.0 and scores["f1"] == 0.0 and scores["pq"] == 0.0
    assert np.isnan(scores["recall"]) and np.isnan(scores["recall_by_size"]["[0, inf)"])
    assert detection_scores(counts, zero_division=0.0)["recall"] == 0.0


def test_empty_prediction():
    target = box((6, 6), (0, 2), (0, 2))
    counts, rows = lesion_counts(np.zeros((6, 6), int), target, size_bins=(2,))
    assert counts.fn == (0, 1) and counts.totals == (0, 0, 1)
    assert rows[0]["prediction_id"] == 0 and rows[0]["assd"] == np.inf
    scores = detection_scores(counts)
    assert scores["recall"] == 0.0 and np.isnan(scores["precision"])
    assert scores["recall_by_size"]["[2, inf)"] == 0.0
    assert np.isnan(scores["recall_by_size"]["[0, 2)"])


def test_both_empty():
    empty = np.zeros((4, 5), bool)
    counts, rows = lesion_counts(empty, empty)
    assert rows == [] and counts.totals == (0, 0, 0)
    scores = detection_scores(counts)
    assert all(scores[k] == 1.0 for k in ("precision", "recall", "f1", "sq", "rq", "pq"))
    assert set(scores["recall_by_size"].values()) == {1.0}
    assert np.isnan(detection_scores(counts, both_empty=np.nan)["pq"])


def test_three_d_and_distances_of_the_pair():
    """3-D: a matched cube (shifted one slice) and a missed one; the pair's HD95 and ASSD
    are those of seglab.surface on the two lesion masks alone."""
    target = box((8, 8, 12), (1, 5), (1, 5), (1, 5)) | box((8, 8, 12), (2, 4), (2, 4), (8, 10))
    pred = box((8, 8, 12), (2, 6), (1, 5), (1, 5))
    counts, rows = lesion_counts(pred, target, size_bins=(10,))
    assert counts.tp == (0, 1) and counts.fn == (1, 0) and counts.fp == (0, 0)
    assert counts.iou_sum == Fraction(48 / 80)
    lesion = box((8, 8, 12), (1, 5), (1, 5), (1, 5))
    assert rows[0]["hd95"] == surface.hausdorff(pred, lesion, percentile=95)
    assert rows[0]["assd"] == surface.assd(pred, lesion)
    assert rows[0]["dice"] == pytest.approx(2 * 48 / 128)
    assert rows[1]["size_bin"] == "[0, 10)" and rows[1]["reference_size"] == 8


def test_anisotropic_spacing():
    """Volumes, bins and distances follow spacing; matches and IoUs do not."""
    target = box((10, 10), (1, 4), (1, 4))
    pred = box((10, 10), (1, 4), (2, 5))
    spacing = (2.0, 0.5)
    counts, rows = lesion_counts(pred, target, spacing=spacing, size_bins=(5.0,),
                                 match="greedy", min_iou=0.3)
    assert rows[0]["reference_volume"] == 9.0 and rows[0]["reference_size"] == 9
    assert counts.tp == (0, 1)
    # 9 voxels of 1.0 each land in the upper bin; with spacing (0.5, 0.5) in the lower one
    small = lesion_counts(pred, target, spacing=0.5, size_bins=(5.0,), match="greedy",
                          min_iou=0.3)
    assert small.counts.tp == (1, 0)
    assert rows[0]["hd95"] == surface.hausdorff(pred, target, percentile=95, spacing=spacing)
    assert rows[0]["hd95"] == 0.5
    assert rows[0]["assd"] == surface.assd(pred, target, spacing=spacing)
    assert rows[0]["iou"] == small.rows[0]["iou"] == 0.5


def test_one_dimensional_and_four_dimensional_masks_have_no_distances():
    """Distances are defined for 2-D and 3-D masks only: NaN rows elsewhere (declared)."""
    target = np.array([0, 1, 1, 1, 0, 0, 1, 0], bool)
    pred = np.array([0, 1, 1, 0, 0, 0, 1, 0], bool)
    counts, rows = lesion_counts(pred, target, size_bins=())
    assert counts == LesionCounts((), (2,), (0,), (0,), Fraction(2 / 3) + 1)
    assert [row["iou"] for row in rows] == [2 / 3, 1.0]
    assert all(np.isnan(row["hd95"]) and np.isnan(row["assd"]) for row in rows)
    four = np.zeros((3, 3, 3, 3), bool)
    four[1, 1, 1, :2] = True
    counts, rows = lesion_counts(four, four, size_bins=())
    assert counts.totals == (1, 0, 0) and np.isnan(rows[0]["assd"])


def test_distances_off_gives_nan():
    target = box((6, 6), (1, 4), (1, 4))
    rows = lesion_counts(target, target, distances=False).rows
    assert np.isnan(rows[0]["hd95"]) and np.isnan(rows[0]["assd"]) and rows[0]["dice"] == 1.0


def test_pq_against_brute_force_on_fixed_masks():
    rng = np.random.default_rng(3)
    for trial in range(30):
        shape = (12, 12) if trial % 2 else (5, 6, 6)
        pred = rng.random(shape) < 0.3
        target = rng.random(shape) < 0.3
        for connectivity in range(1, len(shape) + 1):
            counts = lesion_counts(pred, target, connectivity=connectivity).counts
            expected = brute_pq(pred, target, connectivity)
            assert detection_scores(counts)["pq"] == pytest.approx(expected, rel=1e-12)


def test_hungarian_reaches_the_best_total_iou():
    rng = np.random.default_rng(5)
    for _ in range(40):
        pred = rng.random((7, 7)) < 0.35
        target = rng.random((7, 7)) < 0.35
        table, refs, preds = iou_table(pred, target, 1)
        if max(len(refs), len(preds)) > 7:
            continue
        for min_iou in (0.0, 0.2):
            counts = lesion_counts(pred, target, connectivity=1, match="hungarian",
                                   min_iou=min_iou).counts
            assert float(counts.iou_sum) == pytest.approx(best_total_iou(table, min_iou))
            greedy = lesion_counts(pred, target, connectivity=1, match="greedy",
                                   min_iou=min_iou).counts
            assert float(greedy.iou_sum) <= float(counts.iou_sum) + 1e-12


def test_counts_add_and_sum():
    a = lesion_counts(box((5, 5), (0, 2), (0, 2)), box((5, 5), (0, 2), (0, 3))).counts
    b = lesion_counts(np.zeros((5, 5), bool), box((5, 5), (2, 4), (2, 4))).counts
    total = a + b
    assert total == sum([a, b]) == b + a
    assert total.totals == (1, 0, 1) and total.iou_sum == Fraction(4 / 6)
    assert total.to_dict()["iou_sum_exact"] == str(Fraction(4 / 6))
    with pytest.raises(ValueError, match="size_bins"):
        a + lesion_counts(np.zeros((5, 5), bool), np.zeros((5, 5), bool), size_bins=(1,)).counts
    assert a.__add__("x") is NotImplemented


def test_inputs_are_not_modified():
    pred = box((6, 6), (1, 3), (1, 4)).astype(np.int64)
    target = box((6, 6), (1, 4), (1, 4))
    before = pred.copy(), target.copy()
    lesion_counts(pred, target, match="hungarian", min_iou=0.1)
    assert np.array_equal(pred, before[0]) and np.array_equal(target, before[1])


def _ball(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius * radius


def peer_masks():
    """Eight (pred, target) pairs, 2-D and 3-D: balls, each predicted with probability 0.8
    shifted by up to one voxel per axis and rescaled, plus up to two false balls."""
    rng = np.random.default_rng(2024)
    for t in range(8):
        shape = (64, 64) if t % 2 == 0 else (24, 32, 32)
        target, pred = np.zeros(shape, bool), np.zeros(shape, bool)
        for _ in range(rng.integers(3, 9)):
            centre, radius = rng.integers(0, shape), rng.uniform(2.5, 7)
            target |= _ball(shape, centre, radius)
            if rng.random() < 0.8:
                pred |= _ball(shape, centre + rng.integers(-1, 2, len(shape)),
                              radius * rng.uniform(0.8, 1.25))
        for _ in range(rng.integers(0, 3)):
            pred |= _ball(shape, rng.integers(0, shape), rng.uniform(1.5, 4))
        yield pred, target


# panoptica 2.1.7 (numpy 2.2.6, scipy 1.17.1) on peer_masks(), each pair as uint8:
#   Panoptica_Evaluator(expected_input=InputType.SEMANTIC,
#       instance_approximator=ConnectedComponentsInstanceApproximator(
#           cca_backend=CCABackend.scipy),           # scipy.ndimage.label: connectivity 1
#       instance_matcher=NaiveThresholdMatching(matching_metric=Metric.IOU,
#           matching_threshold=0.5, strict_threshold=True),   # IoU > 0.5
#       instance_metrics=[Metric.DSC, Metric.IOU], global_metrics=[Metric.DSC]
#   ).evaluate(pred, target)["ungrouped"]  ->  (tp, fp, fn, pq, sq, rq)
PANOPTICA = [
    (4, 0, 0, 0.6987389850293076, 0.6987389850293076, 1.0),
    (3, 1, 2, 0.4139668591588495, 0.6209502887382743, 0.6666666666666666),
    (5, 0, 0, 0.7198220056490017, 0.7198220056490017, 1.0),
    (1, 3, 1, 0.22234118486795146, 0.6670235546038544, 0.3333333333333333),
    (3, 4, 4, 0.2801498815649759, 0.6536830569849438, 0.42857142857142855),
    (1, 1, 2, 0.2746478873239437, 0.6866197183098591, 0.4),
    (3, 1, 2, 0.5006163303419279, 0.7509244955128919, 0.6666666666666666),
    (2, 3, 1, 0.28120838973072315, 0.5624167794614463, 0.5),
]


def test_panoptic_quality_equals_panoptica():
    for (pred, target), expected in zip(peer_masks(), PANOPTICA, strict=True):
        counts = lesion_counts(pred, target, connectivity=1, distances=False).counts
        scores = detection_scores(counts)
        assert counts.totals == expected[:3]
        assert_allclose([scores["pq"], scores["sq"], scores["rq"]], expected[3:], rtol=1e-12)


# ---------------------------------------------------------------------------
# Properties


@settings(max_examples=60, deadline=None)
@given(pair(), pair(), st.sampled_from(["iou", "greedy"]), st.integers(1, 2))
def test_counts_add_up_over_a_concatenation_with_a_gap(first, second, rule, connectivity):
    """Two images stacked along a new axis with an empty slice between them: no lesion
    crosses the gap, so the volume's counts are the sum of the images' counts, exactly."""
    (p1, t1), (p2, t2) = first, second
    rows = max(p1.shape[0], p2.shape[0])
    cols = max(p1.shape[1], p2.shape[1])

    def pad(x):
        return np.pad(x, ((0, rows - x.shape[0]), (0, cols - x.shape[1])))

    p1, t1, p2, t2 = map(pad, (p1, t1, p2, t2))
    gap = np.zeros((1, rows, cols), bool)
    pred = np.concatenate([p1[None], gap, p2[None]])
    target = np.concatenate([t1[None], gap, t2[None]])
    options = {"match": rule, "min_iou": 0.5 if rule == "iou" else 0.2, "size_bins": (2, 5)}
    whole = lesion_counts(pred, target, connectivity=connectivity, **options).counts
    parts = [lesion_counts(p, t, connectivity=connectivity, **options).counts
             for p, t in ((p1, t1), (p2, t2))]
    assert whole == parts[0] + parts[1] == parts[1] + parts[0]
    assert_allclose(list(detection_scores(whole, zero_division=0.0).values())[:6],
                    list(detection_scores(parts[1] + parts[0], zero_division=0.0).values())[:6],
                    rtol=0, atol=0)


@settings(max_examples=80, deadline=None)
@given(pair(), st.sampled_from(["iou", "greedy", "hungarian"]), st.sampled_from([0.0, 0.3, 0.5]))
def test_pq_is_sq_times_rq(masks_pair, rule, min_iou):
    if rule == "iou":
        min_iou = 0.5
    pred, target = masks_pair
    counts = lesion_counts(pred, target, match=rule, min_iou=min_iou).counts
    scores = detection_scores(counts, zero_division=0.0)
    assert scores["pq"] == pytest.approx(scores["sq"] * scores["rq"], rel=1e-12, abs=1e-15)
    assert scores["rq"] == scores["f1"]
    tp, fp, fn = counts.totals
    if tp + fp + fn:
        assert scores["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
        assert 0.0 <= scores["pq"] <= scores["rq"] <= 1.0


@settings(max_examples=80, deadline=None)
@given(pair(), st.integers(1, 2))
def test_swapping_pred_and_target_swaps_fp_and_fn(masks_pair, connectivity):
    pred, target = masks_pair
    options = {"connectivity": connectivity, "size_bins": (3,)}
    forward = lesion_counts(pred, target, **options).counts
    backward = lesion_counts(target, pred, **options).counts
    assert backward.fp == forward.fn and backward.fn == forward.fp
    assert sum(backward.tp) == sum(forward.tp) and backward.iou_sum == forward.iou_sum
    f, b = detection_scores(forward), detection_scores(backward)
    assert_allclose([b["precision"], b["recall"], b["pq"]],
                    [f["recall"], f["precision"], f["pq"]])


@settings(max_examples=80, deadline=None)
@given(pair(), st.sampled_from([0.5, 0.6, 0.9]))
def test_rules_agree_above_one_half(masks_pair, min_iou):
    """Above IoU 1/2 each lesion has at most one eligible partner (Kirillov et al. 2019,
    Theorem 1), so the three rules return the same matching."""
    pred, target = masks_pair
    results = [lesion_counts(pred, target, match=rule, min_iou=min_iou)
               for rule in ("iou", "greedy", "hungarian")]
    assert results[0].counts == results[1].counts == results[2].counts
    ids = [[(row["reference_id"], row["prediction_id"]) for row in res.rows] for res in results]
    assert ids[0] == ids[1] == ids[2]
    table, _, _ = iou_table(pred, target, 2)
    eligible = table > min_iou
    assert (eligible.sum(axis=0) <= 1).all() and (eligible.sum(axis=1) <= 1).all()


# ---------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"connectivity": 0}, ValueError, "connectivity"),
    ({"connectivity": 3}, ValueError, "connectivity"),
    ({"connectivity": 1.0}, TypeError, "connectivity"),
    ({"size_bins": (5, 5)}, ValueError, "increase"),
    ({"size_bins": (-1,)}, ValueError, "positive"),
    ({"size_bins": (np.inf,)}, ValueError, "positive"),
    ({"size_bins": "ab"}, TypeError, "size_bins"),
    ({"size_bins": None}, TypeError, "size_bins"),
    ({"size_bins": 3}, TypeError, "size_bins"),
    ({"size_bins": (True,)}, TypeError, "size_bins"),
    ({"match": "best"}, ValueError, "match"),
    ({"min_iou": 1.0}, ValueError, "min_iou"),
    ({"min_iou": -0.1}, ValueError, "min_iou"),
    ({"min_iou": 0.3}, ValueError, "match='iou' needs"),
    ({"distances": 1}, TypeError, "distances"),
    ({"spacing": (1.0,)}, ValueError, "spacing"),
    ({"spacing": 0.0}, ValueError, "spacing"),
    ({"spacing": 1e300}, ValueError, "volume"),
    ({"spacing": (1e-300, 1e-300)}, ValueError, "volume"),
    ({"spacing": (1e200, 1e107)}, ValueError, "volume"),
])
def test_lesion_counts_validation(kwargs, error, match):
    mask = box((5, 5), (1, 3), (1, 3))
    with pytest.raises(error, match=match):
        lesion_counts(mask, mask, **kwargs)


@pytest.mark.parametrize(("pred", "target", "error", "match"), [
    (np.zeros((3, 3)), np.zeros((3, 3), bool), TypeError, "pred"),
    (np.zeros((3, 3), bool), np.full((3, 3), 2), ValueError, "target"),
    (np.zeros((3, 3), bool), np.zeros((3, 4), bool), ValueError, "shape"),
    (np.zeros((0,), bool), np.zeros((0,), bool), ValueError, "empty"),
])
def test_lesion_counts_mask_validation(pred, target, error, match):
    with pytest.raises(error, match=match):
        lesion_counts(pred, target)


def test_detection_scores_validation():
    counts = LesionCounts((), (1,), (0,), (0,), Fraction(1, 2))
    with pytest.raises(TypeError, match="LesionCounts"):
        detection_scores({"tp": 1})
    with pytest.raises(ValueError, match="zero_division"):
        detection_scores(counts, zero_division=0.5)
    with pytest.raises(TypeError, match="both_empty"):
        detection_scores(counts, both_empty="1")
    with pytest.raises(ValueError, match="both_empty"):
        detection_scores(counts, both_empty=np.inf)
    with pytest.raises(ValueError, match="non-negative"):
        detection_scores(LesionCounts((), (1,), (-1,), (0,), Fraction(0)))
    with pytest.raises(ValueError, match="iou_sum"):
        detection_scores(LesionCounts((), (1,), (0,), (0,), Fraction(3, 2)))
