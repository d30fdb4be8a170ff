"""Generate tests/data/loss_reference.json: values and gradients of MONAI and smp losses.

Run once, in a separate environment with the peers (they need torch; seglab's tests do not):

    python3.11 -m venv /tmp/torch-venv
    /tmp/torch-venv/bin/pip install torch==2.13.0          # CPU build from local files
    /tmp/torch-venv/bin/pip install "monai==1.6.*" torch==2.13.0 scipy==1.17.1
    /tmp/torch-venv/bin/pip install --no-deps "segmentation-models-pytorch==0.6.*"
    /tmp/torch-venv/bin/python benchmarks/make_loss_reference.py

(the exact versions used are recorded in the JSON). smp's top-level import needs torchvision
(whose dependencies pull a CUDA build of torch), so smp is installed without dependencies and
only its ``losses`` subpackage is imported. Each case stores its inputs (drawn with the
recorded seed), the peer call, the seglab call and options that reproduce it, and the peer's
value and gradient with respect to the logits (float64, by torch autograd).
"""

import importlib.metadata as md
import importlib.util
import json
import pathlib
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from monai.losses import (
    DiceLoss,
    FocalLoss,
    GeneralizedDiceLoss,
    HausdorffDTLoss,
    TverskyLoss,
)


def _smp_losses():
    """Import ``segmentation_models_pytorch.losses`` without the package's ``__init__``
    (which imports torchvision, PIL and the model zoo)."""
    spec = importlib.util.find_spec("segmentation_models_pytorch")
    package = types.ModuleType("segmentation_models_pytorch")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["segmentation_models_pytorch"] = package
    return importlib.import_module("segmentation_models_pytorch.losses")


_smp = _smp_losses()
SmpDice, SmpFocal, SmpJaccard = _smp.DiceLoss, _smp.FocalLoss, _smp.JaccardLoss
SmpLovasz, SmpTversky = _smp.LovaszLoss, _smp.TverskyLoss

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "loss_reference.json"
SPATIAL = (4, 5)
SMOOTH = {"smooth_nr": 1e-5, "smooth_dr": 1e-5}  # MONAI's defaults


def inputs(seed, c, *, absent=None, soft=False):
    """Logits N(0, 2^2) of shape (2, c, 4, 5) and labels; ``absent``: (image or None, class)
    is removed from the labels (None: from the whole batch)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=2.0, size=(2, c, *SPATIAL))
    if soft:
        return x, rng.uniform(size=(2, 1, *SPATIAL))
    y = rng.integers(0, max(c, 2), size=(2, *SPATIAL))
    if absent is not None:
        image, cls = absent
        sel = (slice(None) if image is None else image)
        part = y[sel]
        part[part == cls] = (cls + 1) % c
        y[sel] = part
    return x, y


def run(peer_fn, x, y, dtype):
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    loss = peer_fn(xt, torch.tensor(y))
    loss.backward()
    return float(loss.detach()), xt.grad.double().numpy().tolist()


CASES = []


def case(cid, peer, seglab_call, seed, c, peer_fn, *, absent=None, soft=False, note="",
         float32=False):
    """One reference case; ``float32``: the peer only runs in float32, so the logits are
    rounded to float32 first and the rounded values are stored."""
    x, y = inputs(seed, c, absent=absent, soft=soft)
    if float32:
        x = x.astype(np.float32).astype(np.float64)
    value, grad = run(peer_fn, x, y, torch.float32 if float32 else torch.float64)
    CASES.append({"id": cid, "peer": peer, "seglab": seglab_call, "seed": seed, "note": note,
                  "scores": x.tolist(), "target": y.tolist(), "value": value, "grad": grad})


def as_channel(t):
    return t[:, None]


def main():
    # MONAI DiceLoss: squared_pred and batch pooling, and the per-image default
    case("monai-dice-squared-batch", "monai.losses.DiceLoss(softmax=True, to_onehot_y=True, "
         "squared_pred=True, batch=True)",
         {"func": "soft_dice_loss", "squared": True, "pooling": "batch", **SMOOTH}, 0, 3,
         lambda x, y: DiceLoss(softmax=True, to_onehot_y=True, squared_pred=True,
                               batch=True)(x, as_channel(y)), absent=(0, 2))
    case("monai-dice-image", "monai.losses.DiceLoss(softmax=True, to_onehot_y=True)",
         {"func": "soft_dice_loss", **SMOOTH}, 1, 3,
         lambda x, y: DiceLoss(softmax=True, to_onehot_y=True)(x, as_channel(y)),
         absent=(1, 1))
    case("monai-dice-sigmoid-squared", "monai.losses.DiceLoss(sigmoid=True, squared_pred=True)",
         {"func": "soft_dice_loss", "squared": True, **SMOOTH}, 2, 1,
         lambda x, y: DiceLoss(sigmoid=True, squared_pred=True)(x, as_channel(y).double()))
    # MONAI GeneralizedDiceLoss, a class absent from one image (weight: the largest present)
    for batch in (False, True):
        case(f"monai-gdl-batch={batch}", f"monai.losses.GeneralizedDiceLoss(softmax=True, "
             f"to_onehot_y=True, batch={batch})",
             {"func": "generalized_dice_loss", "pooling": "batch" if batch else "image",
              "absent_weight": "max", **SMOOTH}, 3, 3,
             lambda x, y, b=batch: GeneralizedDiceLoss(softmax=True, to_onehot_y=True,
                                                       batch=b)(x, as_channel(y)),
             absent=(0, 1))
    # MONAI TverskyLoss
    case("monai-tversky", "monai.losses.TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, "
         "beta=0.7)", {"func": "tversky_loss", "alpha": 0.3, "beta": 0.7, **SMOOTH}, 4, 3,
         lambda x, y: TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, beta=0.7)(
             x, as_channel(y)))
    case("monai-tversky-sigmoid-batch", "monai.losses.TverskyLoss(sigmoid=True, alpha=0.7, "
         "beta=0.3, batch=True)",
         {"func": "tversky_loss", "alpha": 0.7, "beta": 0.3, "pooling": "batch", **SMOOTH}, 5, 1,
         lambda x, y: TverskyLoss(sigmoid=True, alpha=0.7, beta=0.3, batch=True)(
             x, as_channel(y).double()))
    # MONAI FocalLoss: sigmoid, and softmax whose reduction='mean' also averages over K
    case("monai-focal-sigmoid", "monai.losses.FocalLoss(gamma=2.0, alpha=0.25)",
         {"func": "focal_loss", "gamma": 2.0, "alpha": 0.25}, 6, 1,
         lambda x, y: FocalLoss(gamma=2.0, alpha=0.25)(x, as_channel(y).double()),
         note="MONAI casts the input to float32")
    case("monai-focal-softmax", "monai.losses.FocalLoss(gamma=2.0, alpha=0.25, "
         "use_softmax=True, to_onehot_y=True)",
         {"func": "focal_loss", "gamma": 2.0, "alpha": 0.25, "scale": 1.0 / 3.0}, 7, 3,
         lambda x, y: FocalLoss(gamma=2.0, alpha=0.25, use_softmax=True, to_onehot_y=True)(
             x, as_channel(y)),
         note="MONAI casts the input to float32; its mean divides by K = 3")
    # MONAI HausdorffDTLoss (alpha = 2, foreground classes)
    case("monai-hausdorff-dt-softmax", "monai.losses.HausdorffDTLoss(softmax=True, "
         "to_onehot_y=True, include_background=False)", {"func": "hausdorff_dt_loss"}, 17, 3,
         lambda x, y: HausdorffDTLoss(softmax=True, to_onehot_y=True,
                                      include_background=False)(x, as_channel(y)),
         note="MONAI casts the distance fields to float32")
    case("monai-hausdorff-dt-sigmoid", "monai.losses.HausdorffDTLoss(sigmoid=True)",
         {"func": "hausdorff_dt_loss"}, 18, 1,
         lambda x, y: HausdorffDTLoss(sigmoid=True)(x, as_channel(y).double()),
         note="MONAI casts the distance fields to float32")
    # smp: pooled over the batch, a class absent from the whole batch has loss 0
    for name, cls, func, extra in (
            ("dice", SmpDice, "soft_dice_loss", {}),
            ("jaccard", SmpJaccard, "soft_jaccard_loss", {}),
            ("tversky", SmpTversky, "tversky_loss", {"alpha": 0.3, "beta": 0.7})):
        opts = {"func": func, "pooling": "batch", "absent": "zero", **extra}
        case(f"smp-{name}-multiclass", f"segmentation_models_pytorch.losses."
             f"{cls.__name__}('multiclass'{''.join(f', {k}={v}' for k, v in extra.items())})",
             opts, 8, 4, lambda x, y, k=cls, e=extra: k("multiclass", **e)(x, y),
             absent=(None, 3))
        case(f"smp-{name}-binary", f"segmentation_models_pytorch.losses.{cls.__name__}("
             f"'binary'{''.join(f', {k}={v}' for k, v in extra.items())})", opts, 9, 1,
             lambda x, y, k=cls, e=extra: k("binary", **e)(x, as_channel(y)))
    case("smp-jaccard-binary-soft-labels", "segmentation_models_pytorch.losses.JaccardLoss("
         "'binary') on soft labels", {"func": "jaccard_metric_loss", "pooling": "batch",
                                      "absent": "zero"}, 10, 1,
         lambda x, y: SmpJaccard("binary")(x, y), soft=True,
         note="smp 0.6 computes the intersection as (|p| + |g| - |p - g|)/2")
    case("smp-tversky-binary-gamma", "segmentation_models_pytorch.losses.TverskyLoss('binary', "
         "alpha=0.3, beta=0.7, gamma=0.75)",
         {"func": "focal_tversky_loss", "alpha": 0.3, "beta": 0.7, "gamma": 4.0 / 3.0,
          "pooling": "batch", "absent": "zero"}, 19, 1,
         lambda x, y: SmpTversky("binary", alpha=0.3, beta=0.7, gamma=0.75)(x, as_channel(y)),
         note="one unit: smp's power of the class mean is the paper's per-class power")
    for per_image in (False, True):
        pooling = "image" if per_image else "batch"
        case(f"smp-lovasz-multiclass-per_image={per_image}",
             f"segmentation_models_pytorch.losses.LovaszLoss('multiclass', "
             f"per_image={per_image})",
             {"func": "lovasz_softmax", "pooling": pooling, "absent": "exclude"}, 11, 4,
             lambda x, y, pi=per_image: SmpLovasz("multiclass", per_image=pi)(x, y),
             absent=(0, 3), float32=True,
             note="smp's _lovasz_grad casts to float32: the peer runs in float32")
        case(f"smp-lovasz-binary-per_image={per_image}",
             f"segmentation_models_pytorch.losses.LovaszLoss('binary', per_image={per_image})",
             {"func": "lovasz_hinge", "pooling": pooling}, 12, 1,
             lambda x, y, pi=per_image: SmpLovasz("binary", per_image=pi)(x, as_channel(y)),
             float32=True, note="smp's _lovasz_grad casts to float32: the peer runs in float32")
    case("smp-focal-binary", "segmentation_models_pytorch.losses.FocalLoss('binary', "
         "alpha=0.25, gamma=2.0)", {"func": "focal_loss", "gamma": 2.0, "alpha": 0.25}, 13, 1,
         lambda x, y: SmpFocal("binary", alpha=0.25, gamma=2.0)(x, as_channel(y)))
    case("smp-focal-multiclass", "segmentation_models_pytorch.losses.FocalLoss('multiclass', "
         "gamma=2.0)", {"func": "focal_loss", "gamma": 2.0, "per_channel_sigmoid": True}, 14, 3,
         lambda x, y: SmpFocal("multiclass", gamma=2.0)(x, y),
         note="smp: mean over channels of the sigmoid focal loss of each channel vs y == c")
    # PyTorch cross-entropy
    weights = [0.5, 2.0, 1.0]
    case("torch-cross-entropy-weighted", f"torch.nn.functional.cross_entropy(x, y, "
         f"weight={weights})", {"func": "cross_entropy", "class_weights": weights,
                                "reduction": "weighted_mean"}, 15, 3,
         lambda x, y: F.cross_entropy(x, y, weight=torch.tensor(weights, dtype=x.dtype)))
    case("torch-bce-pos-weight", "torch.nn.functional.binary_cross_entropy_with_logits(x, y, "
         "pos_weight=3.0)", {"func": "cross_entropy", "pos_weight": 3.0}, 16, 1,
         lambda x, y: F.binary_cross_entropy_with_logits(
             x, as_channel(y).double(), pos_weight=torch.tensor(3.0, dtype=x.dtype)))

    versions = {pkg: md.version(pkg) for pkg in ("torch", "monai", "segmentation-models-pytorch",
                                                 "numpy")}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"generator": "benchmarks/make_loss_reference.py",
                               "versions": versions, "cases": CASES}) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT} with {versions}")


if __name__ == "__main__":
    main()
