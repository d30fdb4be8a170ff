"""seglab.losses against MONAI 1.6, segmentation_models_pytorch 0.6 and PyTorch (values and
gradients to 1e-6).

Provenance: tests/data/loss_reference.json was written by benchmarks/make_loss_reference.py,
run once in a separate environment with torch 2.13.0 (CPU), monai 1.6.1 and
segmentation-models-pytorch 0.6.0 (the versions are recorded in the file). Each case holds
the peer call, its inputs (logits drawn with the recorded seed), the peer's loss and its
gradient with respect to the logits by torch autograd in float64 (float32 where the peer
casts, as recorded in the case's note), and the seglab call with the options that reproduce
it. The test suite reads the file and does not need torch.
"""

import json
import pathlib

import numpy as np
import pytest

from seglab import losses

DATA = json.loads((pathlib.Path(__file__).parent / "data" / "loss_reference.json").read_text())
CASES = [pytest.param(case, id=case["id"]) for case in DATA["cases"]]


def test_versions_recorded():
    versions = DATA["versions"]
    assert versions["monai"].startswith("1.6.")
    assert versions["segmentation-models-pytorch"].startswith("0.6.")
    assert versions["torch"].startswith("2.13.0")


def _seglab(case):
    opts = dict(case["seglab"])
    func = getattr(losses, opts.pop("func"))
    scale = opts.pop("scale", 1.0)
    per_channel = opts.pop("per_channel_sigmoid", False)
    x = np.array(case["scores"])
    y = np.array(case["target"])
    if per_channel:
        # smp's multiclass focal loss: mean over channels of a one-vs-rest sigmoid focal loss
        k = x.shape[1]
        parts = [func(x[:, [c]], (y == c).astype(int), return_grad=True, **opts)
                 for c in range(k)]
        return (sum(v for v, _ in parts) / k,
                np.concatenate([g for _, g in parts], axis=1) / k)
    if y.ndim == x.ndim:  # soft labels, stored as (N, 1, *spatial)
        y = y.astype(float)
    value, grad = func(x, y, return_grad=True, **opts)
    return scale * value, scale * grad


@pytest.mark.parametrize("case", CASES)
def test_matches_peer(case):
    value, grad = _seglab(case)
    assert value == pytest.approx(case["value"], abs=1e-6)
    np.testing.assert_allclose(grad, np.array(case["grad"]), rtol=0, atol=1e-6)


def _case(cid):
    return next(case for case in DATA["cases"] if case["id"] == cid)


def test_documented_default_differences():
    """Where seglab's defaults differ from the peer (as the docstrings say), the numbers do."""
    # smp zeroes the loss of a class absent from the batch (class 3 here); seglab keeps it
    case = _case("smp-dice-multiclass")
    x, y = np.array(case["scores"]), np.array(case["target"])
    assert not (y == 3).any()
    pooled = losses.soft_dice_loss(x, y, pooling="batch")
    assert pooled > case["value"] + 0.05
    # MONAI's softmax focal loss with reduction='mean' divides by K = 3
    case = _case("monai-focal-softmax")
    x, y = np.array(case["scores"]), np.array(case["target"])
    assert losses.focal_loss(x, y, alpha=0.25) == pytest.approx(3 * case["value"], abs=3e-6)
    # smp's multiclass focal loss is not the softmax focal loss
    case = _case("smp-focal-multiclass")
    x, y = np.array(case["scores"]), np.array(case["target"])
    assert abs(losses.focal_loss(x, y) - case["value"]) > 0.05
