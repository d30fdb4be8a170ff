"""Conformance of seglab.surface with MONAI 1.6, MedPy 0.5.2 and DeepMind's surface-distance 0.1.

The peers are not test dependencies. Their values come from two sources:

* ``tests/data/surface_reference.json``, written by
  ``benchmarks/make_surface_reference.py`` (run in a separate environment with
  ``benchmarks/requirements-peers.txt``; the file records the versions). It holds
  seeded 2-D and 3-D masks (packed bits), with and without anisotropic spacing
  and with one or both masks empty, and the peers' values on them.
* values transcribed by hand from MONAI's own test suite (see
  :func:`test_monai_test_suite_hausdorff`).
"""

import base64
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

from seglab import surface

DATA = json.loads(
    (pathlib.Path(__file__).parent / "data" / "surface_reference.json").read_text())
CASES = DATA["cases"]
IDS = [case["name"] for case in CASES]
RTOL = 1e-6


def decode(case, key):
    bits = np.frombuffer(base64.b64decode(case[key]), dtype=np.uint8)
    size = int(np.prod(case["shape"]))
    return np.unpackbits(bits)[:size].reshape(case["shape"]).astype(bool)


def masks(case):
    spacing = None if case["spacing"] is None else tuple(case["spacing"])
    return decode(case, "pred"), decode(case, "target"), spacing


def value(v):
    return float(v) if not isinstance(v, dict) else v


def kind(case):
    """'both', 'pred', 'target' (the empty mask) or None."""
    pred, target, _ = masks(case)
    if not pred.any() and not target.any():
        return "both"
    if not pred.any():
        return "pred"
    return "target" if not target.any() else None


def test_reference_file_records_versions():
    """The reference file says which peer versions produced it."""
    versions = DATA["versions"]
    assert versions["medpy"] == "0.5.2"
    assert versions["monai"].startswith("1.6")
    assert versions["surface-distance"] == "0.1"
    assert len(CASES) >= 14


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_medpy(case):
    """MedPy 0.5.2 ``medpy.metric.binary.hd/hd95/assd/asd(pred, target, voxelspacing)``.

    ``hd95`` pools both directions (``combine='pooled'``), and so does ``assd`` (the
    default ``combine='pooled'``; MedPy 0.4.0 averaged the two directed means). MedPy
    raises RuntimeError on an empty mask, which seglab reproduces (as ValueError) with
    ``both_empty='raise', one_empty='raise'``.
    """
    pred, target, spacing = masks(case)
    ref = case["medpy"]
    raising = {"both_empty": "raise", "one_empty": "raise"}
    calls = {
        "hd": lambda: surface.hausdorff(pred, target, spacing=spacing, combine="pooled",
                                        **raising),
        "hd95": lambda: surface.hausdorff(pred, target, spacing=spacing, percentile=95,
                                          combine="pooled", **raising),
        "assd": lambda: surface.assd(pred, target, spacing=spacing, **raising),
        "asd": lambda: surface.average_surface_distance(pred, target, spacing=spacing,
                                                        **raising),
    }
    for name, call in calls.items():
        if isinstance(ref[name], dict):
            assert ref[name]["error"] == "RuntimeError"
            with pytest.raises(ValueError, match="empty"):
                call()
        else:
            assert_allclose(call(), ref[name], rtol=RTOL, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_monai_hausdorff(case):
    """MONAI 1.6 ``compute_hausdorff_distance(y_pred, y, include_background=True,
    percentile=q, directed=d, spacing=s)`` on (1, 1, ...) tensors.

    Reproduced by the defaults with ``both_empty=nan``. With exactly one mask empty
    MONAI returns inf without a percentile but NaN with one (``torch.quantile`` of a
    vector of inf): the documented misbehaviour, matched only with ``one_empty=nan``.

    MONAI's distances are float32 and ``torch.quantile`` computes the rank in float32,
    so its percentiles carry relative errors up to about 1e-5. The reference file
    also holds ``hd64_*``: MONAI's own distances (``get_edge_surface_distance``) and
    its percentile rule (``_compute_percentile_hausdorff_distance``) in float64;
    those are matched to 1e-6, MONAI's float32 values to 2e-5.
    """
    pred, target, spacing = masks(case)
    ref = case["monai"]
    empty = kind(case)
    for q in (None, *DATA["percentiles"]):
        for directed in (False, True):
            key = f"hd_{'directed' if directed else 'symmetric'}_{'max' if q is None else q}"
            func = surface.directed_hausdorff if directed else surface.hausdorff
            one_empty = np.nan if (empty in ("pred", "target") and q is not None) else np.inf
            got = func(pred, target, percentile=q, spacing=spacing, both_empty=np.nan,
                       one_empty=one_empty)
            if q is None:
                assert_allclose(got, value(ref[key]), rtol=RTOL, err_msg=key)
            else:
                assert_allclose(got, value(ref[key]), rtol=2e-5, err_msg=key)
                key64 = key.replace("hd_", "hd64_")
                assert_allclose(got, value(ref[key64]), rtol=RTOL, err_msg=key64)
            if empty in ("pred", "target") and q is not None:
                assert np.isnan(value(ref[key]))  # the misbehaviour is still there
                assert func(pred, target, percentile=q, spacing=spacing) == np.inf


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_monai_average_and_surface_dice(case):
    """MONAI 1.6 ``compute_average_surface_distance(symmetric=s)`` and
    ``compute_surface_dice(class_thresholds=[tau], use_subvoxels=u)``, both with
    ``include_background=True`` and the case's spacing.

    ``symmetric=True`` pools the two directions (``combine='pooled'``);
    ``use_subvoxels=True`` is ``boundary='surfels'``. Both give NaN when both masks
    are empty (``both_empty=nan``; also surface Dice's default).
    """
    pred, target, spacing = masks(case)
    ref = case["monai"]
    asd = surface.average_surface_distance(pred, target, spacing=spacing, both_empty=np.nan)
    assert_allclose(asd, value(ref["asd_symmetric_False"]), rtol=RTOL)
    sym = surface.assd(pred, target, spacing=spacing, both_empty=np.nan)
    assert_allclose(sym, value(ref["asd_symmetric_True"]), rtol=RTOL)
    for tol in DATA["tolerances"]:
        for sub, boundary in ((False, "pixels"), (True, "surfels")):
            got = surface.surface_dice(pred, target, tolerance=tol, spacing=spacing,
                                       boundary=boundary)
            assert_allclose(got, value(ref[f"nsd_{tol}_subvoxels_{sub}"]), rtol=RTOL,
                            err_msg=f"tol={tol} subvoxels={sub}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_surface_distance(case):
    """DeepMind surface-distance 0.1: ``d = compute_surface_distances(target, pred, spacing)``
    (ground truth first), then ``compute_robust_hausdorff(d, q)``,
    ``compute_average_surface_distance(d)`` and ``compute_surface_dice_at_tolerance(d, tau)``.

    Reproduced with ``boundary='surfels'`` and, for percentiles,
    ``method='inverted_cdf'`` (area-weighted nearest rank). It returns inf for the
    Hausdorff distance also when both masks are empty (``both_empty=inf``), and for
    the directed averages NaN (0/0) when the source boundary is empty and inf when
    only the other one is. Values recorded with ``np.Inf`` restored (see the script).
    """
    pred, target, spacing = masks(case)
    ref = case["surface_distance"]
    empty = kind(case)
    surfels = {"spacing": spacing, "boundary": "surfels"}
    for q in (100.0, *DATA["percentiles"]):
        got = surface.hausdorff(pred, target, percentile=q, method="inverted_cdf",
                                both_empty=np.inf, **surfels)
        assert_allclose(got, value(ref[f"robust_hausdorff_{q}"]), rtol=RTOL, err_msg=str(q))
    for source, dest, key, source_name in ((pred, target, "average_pred_to_gt", "pred"),
                                           (target, pred, "average_gt_to_pred", "target")):
        one_empty = np.nan if empty == source_name else np.inf
        got = surface.average_surface_distance(source, dest, both_empty=np.nan,
                                               one_empty=one_empty, **surfels)
        assert_allclose(got, value(ref[key]), rtol=RTOL, err_msg=key)
    for tol in DATA["tolerances"]:
        got = surface.surface_dice(pred, target, tolerance=tol, **surfels)
        assert_allclose(got, value(ref[f"surface_dice_{tol}"]), rtol=RTOL, err_msg=str(tol))


def _monai_sphere(radius, centre, shape=(99, 99, 99), spacing=(1.0, 1.0, 1.0)):
    """The ball of MONAI's ``create_spherical_seg_3d``: centre and radius in spacing units."""
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    sq = sum((g * s - c) ** 2 for g, s, c in zip(grid, spacing, centre, strict=True))
    return sq <= radius**2


_SP = (0.85, 1.2, 0.9)
MONAI_SUITE = [
    # (pred ball, target ball, spacing, percentile, directed value, symmetric value)
    ((20, (49, 49, 49)), (20, (49, 49, 49)), None, None, 0.0, 0.0),
    ((20, (20, 20, 20)), (20, (19, 19, 19)), None, None, 1.7320508075688772,
     1.7320508075688772),
    ((33, (19, 33, 22)), (33, (20, 33, 22)), None, None, 1.0, 1.0),
    ((20, (20, 33, 22)), (40, (20, 33, 22)), None, None, 20.09975124224178,
     20.223748416156685),
    ((20, (20, 33, 22)), (40, (20, 33, 22)), None, 95, 19.924858845171276, 20.09975124224178),
    ((20, (20, 20, 20)), (20, (19, 19, 19)), _SP, None, 2.0808651447296143, 2.2671568),
    ((15, (20, 33, 22)), (30, (20, 33, 22)), _SP, None, 15.439640998840332, 15.62594),
]


@pytest.mark.parametrize("pred_ball, target_ball, spacing, q, directed, symmetric", MONAI_SUITE)
def test_monai_test_suite_hausdorff(pred_ball, target_ball, spacing, q, directed, symmetric):
    """Values transcribed from MONAI's own tests: ``tests/metrics/test_hausdorff_distance.py``
    (Project-MONAI/MONAI, ``TEST_CASES``, the Euclidean entries: directed and symmetric),
    which pass ``create_spherical_seg_3d(radius, centre, im_spacing)`` balls to
    ``HausdorffDistanceMetric(include_background=False, distance_metric='euclidean',
    percentile=q, directed=d)`` with ``rtol=1e-6``. MONAI computes in float32, hence
    the short decimals; 1e-6 relative still holds.
    """
    sp = (1.0, 1.0, 1.0) if spacing is None else spacing
    pred = _monai_sphere(*pred_ball, spacing=sp)
    target = _monai_sphere(*target_ball, spacing=sp)
    assert_allclose(surface.directed_hausdorff(pred, target, percentile=q, spacing=spacing),
                    directed, rtol=RTOL)
    assert_allclose(surface.hausdorff(pred, target, percentile=q, spacing=spacing),
                    symmetric, rtol=RTOL)


@pytest.mark.parametrize("empty_pred", [True, False])
def test_monai_test_suite_empty(empty_pred):
    """MONAI's ``test_hausdorff_distance.py``: one empty mask gives inf (both directions),
    and its ``TEST_CASES_NANS`` (both empty) give NaN, i.e. ``both_empty=nan``."""
    ball = _monai_sphere(40, (20, 33, 22))
    none = np.zeros_like(ball)
    pred, target = (none, ball) if empty_pred else (ball, none)
    assert surface.hausdorff(pred, target) == np.inf
    assert surface.directed_hausdorff(pred, target) == np.inf
    assert np.isnan(surface.hausdorff(none, none, both_empty=np.nan))


def test_monai_test_suite_surface_dice_all_distances():
    """Transcribed from MONAI's ``tests/metrics/test_surface_dice.py``,
    ``test_tolerance_all_distances`` (Euclidean part): pred ``[1:4, 1]`` and target
    ``[5:8, 6]`` in a 10 x 10 image, ``SurfaceDiceMetric(class_thresholds=[t0, t1],
    include_background=True)`` on the one-hot pair, so class 0 is the background (whose
    border includes the image edge) and class 1 the foreground."""
    pred = np.zeros((10, 10), dtype=bool)
    target = np.zeros((10, 10), dtype=bool)
    pred[1:4, 1] = True
    target[5:8, 6] = True
    expected = [  # (tolerance background, tolerance foreground, NSD background, NSD foreground)
        (0, 0, 1 - (8 + 4) / (36 * 2 + 8 + 4), 0.0),
        (2.8, 5.5, 1 - 3 / (36 * 2 + 8 + 4), 1 - (2 + 2) / (3 + 3)),
        (3, 6, 1 - 1 / (36 * 2 + 8 + 4), 1 - 2 / (3 + 3)),
    ]
    for t0, t1, background, foreground in expected:
        assert_allclose(surface.surface_dice(~pred, ~target, tolerance=t0), background,
                        rtol=RTOL)
        assert_allclose(surface.surface_dice(pred, target, tolerance=t1), foreground,
                        rtol=RTOL, atol=0 if foreground else 1e-15)


def test_monai_test_suite_surface_dice_shifted_half_planes():
    """Transcribed from MONAI's ``tests/metrics/test_surface_dice.py``,
    ``test_tolerance_euclidean_distance_with_spacing``: in a 480 x 640 image, pred has
    columns 50: and target columns 60: (a 10-pixel shift), spacing (0.85, 1.2). At
    tolerance 0 the foreground NSD is ``1 - (478 + 480 + 9 * 2) / (480 * 4 + 588 * 2 +
    578 * 2)`` and the background's ``1 - (478 + 480 + 9 * 2) / (480 * 4 + 48 * 2 + 58 * 2)``;
    the NSD grows with the tolerance and reaches 1 at 12 = 10 * 1.2; a second image with no
    foreground gives NaN for the foreground and 1 for the background."""
    spacing = (0.85, 1.2)
    pred = np.zeros((480, 640), dtype=bool)
    target = np.zeros((480, 640), dtype=bool)
    pred[:, 50:] = True
    target[:, 60:] = True
    fg = 1 - (478 + 480 + 9 * 2) / (480 * 4 + 588 * 2 + 578 * 2)
    bg = 1 - (478 + 480 + 9 * 2) / (480 * 4 + 48 * 2 + 58 * 2)
    assert_allclose(surface.surface_dice(pred, target, tolerance=0, spacing=spacing), fg,
                    rtol=RTOL)
    assert_allclose(surface.surface_dice(~pred, ~target, tolerance=0, spacing=spacing), bg,
                    rtol=RTOL)
    values = [surface.surface_dice(pred, target, tolerance=t, spacing=spacing)
              for t in (0, 1, 9, 10, 11, 12, 13)]
    assert all(a < b for a, b in zip(values[:4], values[1:5], strict=True))
    assert values[4] < 1.0 and values[5] == values[6] == 1.0
    empty = np.zeros_like(pred)
    assert np.isnan(surface.surface_dice(empty, empty, tolerance=0))
    assert surface.surface_dice(~empty, ~empty, tolerance=0) == 1.0
