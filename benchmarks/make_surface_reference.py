"""Write tests/data/surface_reference.json: boundary metrics of MONAI, MedPy and surface-distance.

The peers are not test dependencies. Run this script in a separate environment
that has them, e.g.::

    python3.11 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install -r benchmarks/requirements-peers.txt
    /tmp/peers-venv/bin/python benchmarks/make_surface_reference.py

(``torch==2.13.0`` exactly: a looser pin pulls a multi-GB CUDA build.) The
script builds fixed, seeded masks (2-D and 3-D, with and without anisotropic
spacing, one or both masks empty), calls each peer on them, and stores the
masks (packed bits) with every value and the peers' versions; the tests decode
the masks and compare seglab under the documented settings. An exception raised
by a peer is stored as its type and message.

surface-distance 0.1 uses ``np.Inf``, removed in NumPy 2; the script restores
that alias before calling it, so the stored values are the ones the library
returns under NumPy 1 (where it behaves as documented).
"""

import base64
import json
import pathlib
import warnings
from importlib.metadata import version

import numpy as np
from scipy import ndimage

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "surface_reference.json"
PERCENTILES = (95.0, 90.0, 50.0)
TOLERANCES = (0.0, 1.0, 1.5, 2.0)


def blob(shape, seed, *, smooth=2.0, level=0.3):
    """A random smooth binary blob: thresholded Gaussian-filtered noise."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal(shape), smooth)
    return field > level * field.std()


def ball(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius**2


def cases():
    yield "blob2d", blob((40, 44), 1), blob((40, 44), 2), None
    yield "blob2d_spacing", blob((40, 44), 3), blob((40, 44), 4), (0.7, 1.3)
    yield "blob2d_edge", blob((30, 30), 5, level=-0.5), blob((30, 30), 6, level=-0.3), None
    disk = ball((48, 48), (20, 22), 10)
    outlier = disk.copy()
    outlier[44, 45] = True
    yield "disk_outlier", outlier, disk, None
    yield "disks_concentric", ball((48, 48), (24, 24), 8), ball((48, 48), (24, 24), 14), (1.0, 0.5)
    yield "blob3d", blob((22, 24, 20), 7), blob((22, 24, 20), 8), None
    yield "blob3d_spacing", blob((22, 24, 20), 9), blob((22, 24, 20), 10), (0.85, 1.2, 0.9)
    yield ("spheres3d", ball((30, 30, 30), (14, 15, 15), 8), ball((30, 30, 30), (15, 15, 15), 11),
           (1.0, 1.0, 2.0))
    for ndim, shape in ((2, (20, 22)), (3, (12, 14, 10))):
        full = blob(shape, 11 + ndim, level=0.0)
        none = np.zeros(shape, dtype=bool)
        yield f"empty_pred_{ndim}d", none, full, None
        yield f"empty_target_{ndim}d", full, none, None
        yield f"empty_both_{ndim}d", none, none, None


def encode(mask):
    return base64.b64encode(np.packbits(mask.astype(bool).ravel())).decode("ascii")


def number(x):
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def guarded(func):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()
    except Exception as err:  # recorded, not hidden: the tests check the documented failures
        return {"error": type(err).__name__, "message": str(err)[:200]}


def medpy_values(pred, target, spacing):
    from medpy.metric import binary

    out = {}
    for name in ("hd", "hd95", "assd"):
        out[name] = guarded(lambda name=name: number(
            getattr(binary, name)(pred, target, voxelspacing=spacing)))
    out["asd"] = guarded(lambda: number(binary.asd(pred, target, voxelspacing=spacing)))
    return out


def monai_values(pred, target, spacing):
    import torch
    from monai.metrics import (
        compute_average_surface_distance,
        compute_hausdorff_distance,
        compute_surface_dice,
    )

    y_pred = torch.as_tensor(pred[None, None].astype(np.float32))
    y = torch.as_tensor(target[None, None].astype(np.float32))
    sp = None if spacing is None else list(spacing)
    out = {}
    for q in (None, *PERCENTILES):
        for directed in (False, True):
            key = f"hd_{'directed' if directed else 'symmetric'}_{'max' if q is None else q}"
            out[key] = guarded(lambda q=q, directed=directed: number(compute_hausdorff_distance(
                y_pred, y, include_background=True, percentile=q, directed=directed,
                spacing=sp)[0, 0]))
    # MONAI's distances are float32 and torch.quantile then computes the rank in
    # float32 (relative errors up to ~1e-5); the same percentiles of MONAI's own
    # distances in float64 isolate the definition from that rounding.
    from monai.metrics.hausdorff_distance import _compute_percentile_hausdorff_distance
    from monai.metrics.utils import get_edge_surface_distance

    for q in PERCENTILES:
        for directed in (False, True):
            key = f"hd64_{'directed' if directed else 'symmetric'}_{q}"

            def hd64(q=q, directed=directed):
                _, dists, _ = get_edge_surface_distance(
                    torch.as_tensor(pred), torch.as_tensor(target), spacing=sp,
                    symmetric=not directed)
                return number(max(_compute_percentile_hausdorff_distance(d.double(), q)
                                  for d in dists))
            out[key] = guarded(hd64)
    for symmetric in (False, True):
        out[f"asd_symmetric_{symmetric}"] = guarded(lambda symmetric=symmetric: number(
            compute_average_surface_distance(y_pred, y, include_background=True,
                                             symmetric=symmetric, spacing=sp)[0, 0]))
    for tol in TOLERANCES:
        for sub in (False, True):
            out[f"nsd_{tol}_subvoxels_{sub}"] = guarded(lambda tol=tol, sub=sub: number(
                compute_surface_dice(y_pred, y, [tol], include_background=True, spacing=sp,
                                     use_subvoxels=sub)[0, 0]))
    return out


def deepmind_values(pred, target, spacing):
    import surface_distance as sd

    np.Inf = np.inf  # noqa: NPY201 -- the alias surface-distance 0.1 needs; gone in NumPy 2
    sp = (1.0,) * pred.ndim if spacing is None else spacing
    dists = guarded(lambda: sd.compute_surface_distances(target, pred, sp))
    if "error" in dists:
        return {"compute_surface_distances": dists}
    out = {}
    for q in (100.0, *PERCENTILES):
        out[f"robust_hausdorff_{q}"] = guarded(
            lambda q=q: number(sd.compute_robust_hausdorff(dists, q)))
    avg = guarded(lambda: [number(v) for v in sd.compute_average_surface_distance(dists)])
    out["average_gt_to_pred"], out["average_pred_to_gt"] = (
        (avg, avg) if isinstance(avg, dict) else avg)
    for tol in TOLERANCES:
        out[f"surface_dice_{tol}"] = guarded(
            lambda tol=tol: number(sd.compute_surface_dice_at_tolerance(dists, tol)))
    return out


def main():
    records = []
    for name, pred, target, spacing in cases():
        records.append({
            "name": name,
            "shape": list(pred.shape),
            "spacing": None if spacing is None else list(spacing),
            "pred": encode(pred),
            "target": encode(target),
            "medpy": medpy_values(pred, target, spacing),
            "monai": monai_values(pred, target, spacing),
            "surface_distance": deepmind_values(pred, target, spacing),
        })
    versions = {name: version(name) for name in
                ("medpy", "monai", "torch", "surface-distance", "numpy", "scipy")}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({
        "generated_by": "benchmarks/make_surface_reference.py",
        "versions": versions,
        "percentiles": PERCENTILES,
        "tolerances": TOLERANCES,
        "cases": records,
    }, indent=1) + "\n")
    print(f"wrote {OUT} ({len(records)} cases) with {versions}")


if __name__ == "__main__":
    main()
