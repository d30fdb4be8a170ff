"""The study's configuration: the losses, the models and the grids.

A run is a dict of plain values (:func:`make_config`); its hash (:func:`config_hash`) names
its cached result. Changing anything that changes a run's numbers (its configuration, or
:data:`HARNESS_VERSION` for a change of the code) gives it a new hash.
"""

import hashlib
import itertools
import json

#: Bumped when a change of the harness changes the numbers of a run with the same
#: configuration (a cached result with another version is not reused). Version 2: per-image
#: lesion-wise detection counts in every result.
HARNESS_VERSION = 2

#: The losses: each a sum of seglab loss terms ``(name, options, weight)``, where weight is a
#: float, ``"ramp"`` (0.01 rising linearly to 0.99 over the steps, for the boundary term),
#: ``"1-ramp"``, or ``"balance"`` (a constant, without gradient, that makes the term's value
#: equal to the sum of the terms before it at that step: the equal weighting of Karimi and
#: Salcudean's Hausdorff-DT loss with a Dice loss). The runner resolves the options
#: ``"balanced"`` (class weights of a weighted CE), ``"two_channel"`` (score the 1-channel
#: logit s as the softmax logits (0, s), so that the generalized Dice weighs both classes)
#: and ``metric_value="running"`` (the Dinkelbach loss's running Dice of the batches).
LOSSES = {
    "ce": [("cross_entropy", {}, 1.0)],
    "wce": [("cross_entropy", {"class_weights": "balanced"}, 1.0)],
    "focal": [("focal_loss", {"gamma": 2.0}, 1.0)],
    "dice": [("soft_dice_loss", {"pooling": "batch"}, 1.0)],
    "ce_dice": [("cross_entropy", {}, 1.0), ("soft_dice_loss", {"pooling": "batch"}, 1.0)],
    "tversky": [("tversky_loss", {"alpha": 0.3, "beta": 0.7, "pooling": "batch"}, 1.0)],
    "focal_tversky": [("focal_tversky_loss", {"alpha": 0.3, "beta": 0.7, "gamma": 4 / 3,
                                              "pooling": "batch"}, 1.0)],
    "lovasz": [("lovasz_hinge", {}, 1.0)],
    "gdl": [("generalized_dice_loss", {"two_channel": True, "pooling": "batch"}, 1.0)],
    "boundary_gdl": [("generalized_dice_loss", {"two_channel": True, "pooling": "batch"},
                      "1-ramp"),
                     ("boundary_loss", {"distance_map": "signed"}, "ramp")],
    "hausdorff_dt": [("soft_dice_loss", {"pooling": "batch"}, 1.0),
                     ("hausdorff_dt_loss", {}, "balance")],
    "dinkelbach": [("dinkelbach_cross_entropy", {"metric_value": "running"}, 1.0)],
}

#: The baseline of the paired comparisons (nnU-Net's default compound).
BASELINE = "ce_dice"

MODELS = ("unet", "logistic", "tinycnn")

#: Training budget per model, the same for every loss compared under it: Adam, steps,
#: images per batch and step size.
BUDGET = {
    "unet": {"steps": 400, "batch": 8, "lr": 1e-2},
    "logistic": {"steps": 400, "batch": 8, "lr": 3e-2},
    "tinycnn": {"steps": 400, "batch": 8, "lr": 1e-2},
}

#: Data: images per split (train, validation, test) and their shape.
DATA = {"sizes": (256, 64, 128), "shape": (64, 64)}

#: The losses of the architecture study (under all three models).
SIX_LOSSES = ("ce", "wce", "focal", "dice", "ce_dice", "lovasz")
#: The losses on the vessels, where boundary and topology matter (with the focal loss and the
#: Dinkelbach loss, the comparisons of chapter 4's surrogate).
VESSEL_LOSSES = ("ce", "wce", "focal", "dice", "ce_dice", "lovasz", "boundary_gdl",
                 "hausdorff_dt", "dinkelbach")


def make_config(*, task, fraction, model, loss, seed, steps, batch, lr, sizes=None,
                shape=None, data_seed=0, threads=1):
    """A run's configuration as a dict of plain (JSON) values."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if task not in ("lesions", "vessels"):
        raise ValueError(f"task must be 'lesions' or 'vessels', got {task!r}")
    if (task == "vessels") != (fraction is None):
        raise ValueError("fraction is a float for the lesions and None for the vessels")
    return {
        "version": HARNESS_VERSION, "task": task, "fraction": fraction, "model": model,
        "loss": loss, "seed": int(seed), "steps": int(steps), "batch": int(batch),
        "lr": float(lr), "sizes": list(sizes or DATA["sizes"]),
        "shape": list(shape or DATA["shape"]), "data_seed": int(data_seed),
        "threads": int(threads),
    }


def config_hash(config):
    """The first 16 hex digits of the SHA-256 of the configuration's canonical JSON."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _grid(parts, **overrides):
    configs = []
    for task, fractions, models, losses, seeds in parts:
        for fraction, model, loss, seed in itertools.product(fractions, models, losses, seeds):
            budget = {**BUDGET[model], **overrides}
            configs.append(make_config(task=task, fraction=fraction, model=model, loss=loss,
                                       seed=seed, **budget))
    return configs


def full_grid():
    """The study: the U-Net with every loss on the lesions at three foreground fractions
    and with six losses on the vessels, and six losses under the two NumPy models on the
    lesions at 2 %; three seeds each (see the report of the timing for its cost)."""
    seeds = (0, 1, 2)
    return _grid([
        ("lesions", (0.005, 0.02, 0.1), ("unet",), tuple(LOSSES), seeds),
        ("vessels", (None,), ("unet",), VESSEL_LOSSES, seeds),
        ("lesions", (0.02,), ("logistic", "tinycnn"), SIX_LOSSES, seeds),
    ])


def smoke_grid():
    """A few minutes: two losses per model, one seed, 30 steps, small sets."""
    configs = _grid([
        ("lesions", (0.02,), MODELS, ("ce", BASELINE), (0,)),
        ("vessels", (None,), ("unet",), ("ce", BASELINE), (0,)),
    ], steps=30)
    return [{**config, "sizes": [16, 8, 16]} for config in configs]


#: Measured cost (seconds, one thread, 64 x 64 images, batch 8): per training step (the U-Net's
#: 0.05 s by ``python -m experiments time`` on a quiet core; the whole study took 3 080
#: CPU-seconds for 171 runs), and per run for the data, the prediction and the evaluation of
#: the validation and test splits.
STEP_SECONDS = {"unet": 0.05, "logistic": 0.03, "tinycnn": 0.08}
RUN_OVERHEAD_SECONDS = 10.0


def estimate_seconds(configs, *, jobs=2, step_seconds=None):
    """Wall time of a grid in ``jobs`` one-thread processes, from :data:`STEP_SECONDS`
    (or ``step_seconds``, a dict by model, e.g. measured by ``python -m experiments time``)."""
    step_seconds = {**STEP_SECONDS, **(step_seconds or {})}
    total = sum(step_seconds[c["model"]] * c["steps"] + RUN_OVERHEAD_SECONDS for c in configs)
    return total / jobs


#: The configuration of the reproduction test (tests/test_experiments.py): its result is
#: committed in experiments/results/reference.json.
REFERENCE = make_config(task="lesions", fraction=0.1, model="unet", loss="ce_dice", seed=0,
                        steps=20, batch=4, lr=3e-3, sizes=(8, 4, 8), shape=(32, 32))

GRIDS = {"full": full_grid, "smoke": smoke_grid}
