"""Tests of the experiments harness (experiments/): configuration hashes, the evaluation's
conventions, the bootstrap, the resumable cache, and the reduced reproduction of one run.

The reproduction test re-runs the configuration ``experiments.config.REFERENCE`` (a U-Net,
CE + soft Dice, 20 steps on 32 x 32 lesions) and compares it with the committed result
``experiments/results/reference.json``. Tolerances: on the machine and build that wrote
the file the run is bit-for-bit the same (deterministic PyTorch, one thread, seeded data,
initialisation and batches); another CPU may round float32 convolutions differently, so
the loss history must agree to 1e-3 relative and the figures to 0.02 (a few pixels of
the 8 test images changing side of the threshold).
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import aggregate, config, evaluate, runner  # noqa: E402

REFERENCE = ROOT / "experiments" / "results" / "reference.json"


def _tiny(model="logistic", loss="ce", seed=0, **more):
    return config.make_config(task="lesions", fraction=0.1, model=model, loss=loss, seed=seed,
                              steps=3, batch=2, lr=1e-2, sizes=(4, 2, 3), shape=(16, 16),
                              **more)


# ----------------------------------------------------------------------------- config


def test_hash_is_stable_and_sensitive():
    a = _tiny()
    assert config.config_hash(a) == config.config_hash(json.loads(json.dumps(a)))
    assert config.config_hash(a) == config.config_hash(dict(reversed(list(a.items()))))
    for key, value in [("seed", 1), ("steps", 4), ("lr", 2e-2), ("loss", "dice"),
                       ("threads", 2), ("version", config.HARNESS_VERSION + 1)]:
        assert config.config_hash({**a, key: value}) != config.config_hash(a)


def test_full_grid_meets_the_study_design():
    grid = config.full_grid()
    assert len({config.config_hash(c) for c in grid}) == len(grid)

    def losses(**where):
        return {c["loss"] for c in grid if all(c[k] == v for k, v in where.items())}

    for fraction in (0.005, 0.02, 0.1):
        assert len(losses(task="lesions", model="unet", fraction=fraction)) >= 11
    assert len(losses(task="vessels", model="unet")) >= 6
    shared = set.intersection(*(losses(task="lesions", model=m, fraction=0.02)
                                for m in config.MODELS))
    assert len(shared) >= 6 and config.BASELINE in shared
    assert {c["seed"] for c in grid} == {0, 1, 2}
    # The same budget for every loss under a model.
    for model in config.MODELS:
        assert len({(c["steps"], c["batch"], c["lr"]) for c in grid if c["model"] == model}) == 1


def test_every_loss_resolves_to_seglab_losses():
    from seglab import losses

    masks = np.zeros((2, 8, 8), dtype=bool)
    masks[0, 2:4, 2:5] = True
    for name in config.LOSSES:
        for term in runner.resolve_loss(name, masks):
            assert callable(getattr(losses, term.name))
    (wce,) = runner.resolve_loss("wce", masks)
    prior = 6 / 128
    assert_allclose(wce.options["class_weights"], [0.5 / (1 - prior), 0.5 / prior])


def test_ramp_goes_from_gdl_to_boundary():
    assert runner._ramp("ramp", 0, 11) == pytest.approx(0.01)
    assert runner._ramp("ramp", 10, 11) == pytest.approx(0.99)
    assert runner._ramp("1-ramp", 5, 11) == pytest.approx(0.5)
    assert runner._ramp(0.3, 5, 11) == 0.3
    assert runner._ramp("balance", 5, 11, value=120.0, before=0.6) == pytest.approx(0.005)


def test_balanced_term_matches_the_terms_before_it():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 1, 8, 8))
    target = np.zeros((2, 8, 8), dtype=np.int64)
    target[:, 2:5, 3:6] = 1
    terms = runner.resolve_loss("hausdorff_dt", target)
    value, _ = runner.numpy_loss(terms, logits, target, np.arange(2), {}, 0, 1, 1.0)
    dice = runner.numpy_loss(terms[:1], logits, target, np.arange(2), {}, 0, 1, 1.0)[0]
    assert value == pytest.approx(2 * dice)


def test_two_channel_scores_are_the_sigmoid():
    # Softmax of (0, s) is (1 - sigmoid(s), sigmoid(s)): the generalized Dice of the
    # two-channel scores is a loss of the 1-channel logit, with the chain rule g[:, 1].
    from seglab import losses

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 1, 6, 6))
    target = (rng.random((2, 6, 6)) < 0.3).astype(np.int64)
    terms = runner.resolve_loss("gdl", target)
    value, grad = runner.numpy_loss(terms, logits, target, np.arange(2), {}, 0, 1, 1.0)
    eps = 1e-6
    bumped = logits.copy()
    bumped[0, 0, 1, 2] += eps
    higher, _ = runner.numpy_loss(terms, bumped, target, np.arange(2), {}, 0, 1, 1.0)
    assert (higher - value) / eps == pytest.approx(grad[0, 0, 1, 2], rel=1e-4)
    two = np.concatenate([np.zeros_like(logits), logits], 1)
    assert value == pytest.approx(losses.generalized_dice_loss(two, target, pooling="batch"))


def test_running_dice_is_floored_and_decays():
    running = runner.RunningDice(0.1)
    target = np.zeros((1, 4, 4), dtype=np.int64)
    target[0, :2] = 1
    # Nothing predicted: Dice 0, floored at that of the all-foreground prediction.
    assert running.update(np.full((1, 1, 4, 4), -1.0), target) == pytest.approx(0.2 / 1.1)
    perfect = np.where(target[:, None] == 1, 1.0, -1.0)
    for _ in range(200):
        value = running.update(perfect, target)
    assert value == pytest.approx(1.0, abs=1e-6)


# ---------------------------------------------------------------------------- evaluate


def test_evaluation_conventions():
    probs = np.zeros((3, 8, 8))
    masks = np.zeros((3, 8, 8), dtype=bool)
    masks[1, 2:4, 2:4] = True            # image 1: a missed lesion
    probs[2, 1:3, 1:3] = 0.9             # image 2: a false lesion
    result = evaluate.evaluate(probs, masks, probs, masks)
    half = result["per_image"]["half"]
    assert half["dice"] == [1.0, 0.0, 0.0]           # both empty: 1
    assert half["hd95"][0] == 0.0
    assert half["hd95"][1] == half["hd95"][2] == pytest.approx(math.hypot(8, 8))
    assert half["surface_dice"] == [1.0, 0.0, 0.0]
    assert half["tp"] == [0, 0, 0] and half["fn"] == [0, 4, 0] and half["fp"] == [0, 0, 4]
    bins = result["calibration"]
    assert_array_equal(np.sum(bins["count"], axis=1), [64, 64, 64])
    assert np.sum(bins["positives"]) == 4
    json.dumps(result)  # JSON-ready


def test_calibration_bins_and_ece():
    rng = np.random.default_rng(1)
    probs = rng.random((20, 16, 16))
    labels = rng.random(probs.shape) < probs       # calibrated by construction
    bins = evaluate.calibration_bins(probs, labels)
    total = {k: v.sum(axis=0) for k, v in bins.items()}
    assert aggregate.ece(total["count"], total["confidence"], total["positives"]) < 0.02
    # A constant 0.9 on labels that are all 0: ECE = 0.9.
    bins = evaluate.calibration_bins(np.full((1, 4, 4), 0.9), np.zeros((1, 4, 4), bool))
    assert aggregate.ece(*(bins[k][0] for k in ("count", "confidence", "positives"))) \
        == pytest.approx(0.9)


# --------------------------------------------------------------------------- aggregate


def _fake_run(seed, loss, rng, n=12):
    tp = rng.integers(0, 20, n)
    fp, fn = rng.integers(0, 10, n), rng.integers(0, 10, n)
    per_image = {"tp": tp, "fp": fp, "fn": fn, "tn": 400 - tp - fp - fn,
                 "pred_area": tp + fp, "true_area": tp + fn,
                 "dice": 2 * tp / np.maximum(2 * tp + fp + fn, 1),
                 "iou": tp / np.maximum(tp + fp + fn, 1),
                 "hd95": rng.random(n) * 5, "surface_dice": rng.random(n)}
    per_image = {k: np.asarray(v, dtype=np.float64) for k, v in per_image.items()}
    count = rng.integers(1, 30, (n, 15)).astype(float)
    return {"config": {**_tiny(loss=loss, seed=seed)},
            "per_image": {"half": per_image, "tuned": per_image},
            "calibration": {"count": count, "confidence": count * 0.5,
                            "positives": count * rng.random((n, 15))}}


def test_bootstrap_intervals_and_paired_differences():
    rng = np.random.default_rng(0)
    runs = [_fake_run(s, loss, rng) for s in range(3) for loss in ("ce_dice", "ce")]
    twin = [{**r, "config": {**r["config"], "loss": "dice"}} for r in runs
            if r["config"]["loss"] == "ce_dice"]
    out = aggregate.aggregate(runs + twin, resamples=300)
    rows = [r for r in out["rows"] if r["loss"] == "ce" and r["threshold"] == "half"]
    for row in rows:
        assert row["low"] <= row["estimate"] <= row["high"] or row["figure"] == "ece"
    pooled = next(r for r in rows if r["figure"] == "dice_pooled")
    ce = [r for r in runs if r["config"]["loss"] == "ce"]
    sums = [{k: r["per_image"]["half"][k].sum() for k in ("tp", "fp", "fn")} for r in ce]
    direct = np.mean([2 * s["tp"] / (2 * s["tp"] + s["fp"] + s["fn"]) for s in sums])
    assert pooled["estimate"] == pytest.approx(direct)
    assert pooled["high"] > pooled["low"]
    # A loss identical to the baseline differs from it by exactly 0 in every resample.
    same = [r for r in out["paired"] if r["loss"] == "dice"]
    assert same and all(r["estimate"] == r["low"] == r["high"] == 0.0 for r in same)
    # The baseline is not compared with itself; the other losses are, at both thresholds.
    assert not [r for r in out["paired"] if r["loss"] == "ce_dice"]
    assert {r["threshold"] for r in out["paired"] if r["loss"] == "ce"} == {"half", "tuned"}
    # Reproducible.
    again = aggregate.aggregate(runs + twin, resamples=300)
    assert again["rows"] == out["rows"]


def test_contrasts_are_paired_differences_of_named_pairs():
    rng = np.random.default_rng(1)
    losses = ("dinkelbach", "ce", "ce_dice", "dice", "lovasz", "focal")
    runs = []
    for seed in range(3):
        for loss in losses:
            run = _fake_run(seed, loss, rng)
            tuned = _fake_run(seed, loss, rng)["per_image"]["half"]  # another threshold
            runs.append({**run, "per_image": {**run["per_image"], "tuned": tuned}})
    runs = [r for r in runs if (r["config"]["loss"], r["config"]["seed"]) != ("focal", 2)]
    out = aggregate.aggregate(runs, resamples=200)
    got = {(r["loss"], r["threshold"], r["other"], r["other_threshold"], r["figure"]): r
           for r in out["contrasts"]}
    assert {key[:4] for key in got} == set(aggregate.CONTRASTS)
    figures = {r["figure"] for r in out["rows"]}
    assert {key[4] for key in got} == figures
    rows = {(r["loss"], r["threshold"], r["figure"]): r["estimate"] for r in out["rows"]}
    for (loss, threshold, other, other_threshold, figure), row in got.items():
        assert row["low"] <= row["estimate"] <= row["high"] or figure == "ece"
        if other == "focal":  # seed 2 of focal is missing: the two share seeds 0 and 1
            assert row["seeds"] == [0, 1]
            continue
        assert row["seeds"] == [0, 1, 2]
        # The estimate is the difference of the two rows' estimates.
        assert row["estimate"] == pytest.approx(rows[loss, threshold, figure]
                                                - rows[other, other_threshold, figure],
                                                abs=1e-12)
    focal = got["dinkelbach", "half", "focal", "half", "dice_pooled"]
    direct = [np.mean([2 * r["per_image"]["half"]["tp"].sum()
                       / (2 * r["per_image"]["half"]["tp"].sum() + r["per_image"]["half"]["fp"]
                          .sum() + r["per_image"]["half"]["fn"].sum())
                       for r in runs if r["config"]["loss"] == loss
                       and r["config"]["seed"] < 2]) for loss in ("dinkelbach", "focal")]
    assert focal["estimate"] == pytest.approx(direct[0] - direct[1])
    # A pair with itself is exactly 0 in every resample; a twin loss too (same draws).
    twin = [{**r, "config": {**r["config"], "loss": "lovasz"}} for r in runs
            if r["config"]["loss"] == "dinkelbach"]
    plain = [r for r in runs if r["config"]["loss"] != "lovasz"]
    same = aggregate.contrasts(plain + twin, resamples=200,
                               pairs=[("ce", "tuned", "ce", "tuned"),
                                      ("dinkelbach", "half", "lovasz", "half")])
    assert len(same) == 2 * len(figures)
    assert all(r["estimate"] == r["low"] == r["high"] == 0.0 for r in same)
    # Other settings are not mixed: a different fraction is its own setting.
    moved = [{**r, "config": {**r["config"], "fraction": 0.02}} for r in runs
             if r["config"]["loss"] in ("dinkelbach", "ce")]
    both = aggregate.contrasts(runs + moved, resamples=50)
    assert {(r["fraction"], r["other"]) for r in both if r["fraction"] == 0.02} \
        == {(0.02, "ce")}
    # Reproducible.
    assert aggregate.aggregate(runs, resamples=200)["contrasts"] == out["contrasts"]


# ------------------------------------------------------------------------ cache, resume


def test_grid_resumes_from_the_cache(tmp_path):
    configs = [_tiny(loss="ce"), _tiny(loss="dice", model="tinycnn")]
    lines = []
    assert runner.run_grid(configs[:1], tmp_path, log=lines.append) == 1
    first = runner.cached(configs[0], tmp_path)
    assert first["config"] == configs[0] and first["hash"] == config.config_hash(configs[0])
    # Interrupted after the first run: only the second is computed.
    assert runner.run_grid(configs, tmp_path, log=lines.append) == 1
    assert runner.run_grid(configs, tmp_path, log=lines.append) == 0
    assert runner.cached(configs[0], tmp_path) == first
    # A file cut short by a kill is recomputed.
    path = runner.result_path(configs[1], tmp_path)
    path.write_text(path.read_text()[:100])
    assert runner.run_grid(configs, tmp_path, log=lines.append) == 1
    summary = json.loads(aggregate.write_summary(tmp_path, resamples=50).read_text())
    assert {row["loss"] for row in summary["rows"]} == {"ce", "dice"}
    assert summary["harness_version"] == config.HARNESS_VERSION and summary["num_runs"] == 2
    assert summary["architecture"] is None  # two models, no shared loss
    assert summary["lesion_size_bins"]["edges"] == list(evaluate.LESION_SIZE_BINS)
    prov = first["provenance"]
    assert {"commit", "versions", "wall_seconds", "started"} <= set(prov)


# ---------------------------------------------------------------------- reproduction


@pytest.mark.slow  # about 17 s on the shared machine
def test_reference_run_reproduces_the_committed_result():
    pytest.importorskip("torch")
    committed = json.loads(REFERENCE.read_text())
    assert committed["config"] == config.REFERENCE
    assert committed["provenance"]["commit"]
    result = runner.run(config.REFERENCE)
    assert result["hash"] == committed["hash"]
    assert_allclose(np.array(result["training"]["history"]),
                    np.array(committed["training"]["history"]), rtol=1e-3)
    for threshold in ("half", "tuned"):
        ours = result["per_image"][threshold]
        theirs = committed["per_image"][threshold]
        for figure in ("dice", "iou", "surface_dice"):
            assert_allclose(ours[figure], theirs[figure], atol=0.02, err_msg=figure)
        pooled = [2 * sum(d["tp"]) / (2 * sum(d["tp"]) + sum(d["fp"]) + sum(d["fn"]))
                  for d in (ours, theirs)]
        assert pooled[0] == pytest.approx(pooled[1], abs=0.02)
    assert_allclose(np.sum(result["calibration"]["confidence"], axis=0),
                    np.sum(committed["calibration"]["confidence"], axis=0), rtol=1e-3, atol=1)


# ------------------------------------------------------------------- optional PyTorch


def _without_torch(code, cwd):
    import subprocess

    # No PyTorch, as import sees it: a finder that refuses it (sys.modules['torch'] = None
    # would break SciPy's array-API helpers, which look torch up in sys.modules).
    prelude = ("import sys\n"
               "class NoTorch:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] == 'torch':\n"
               "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
               "sys.meta_path.insert(0, NoTorch())\n"
               f"sys.path.insert(0, {str(ROOT)!r})\n")
    result = subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_unet_without_torch_names_the_extra(tmp_path):
    code = "try:\n    import seglab.torch_models\nexcept ImportError as exc:\n    print(exc)\n"
    assert _without_torch(code, tmp_path) == (
        "seglab.torch_models needs PyTorch, which is not installed: "
        "pip install 'seglab[torch]' (it pins torch==2.13.0)")


def test_results_are_read_and_aggregated_without_torch(tmp_path):
    code = ("from experiments import aggregate, evaluate, runner, config\n"
            f"print(len(aggregate.load_runs({str(tmp_path)!r})))\n")
    assert _without_torch(code, tmp_path) == "0"


@pytest.mark.parametrize("loss", sorted(config.LOSSES))
def test_torch_and_numpy_losses_agree(loss):
    """The U-Net's losses (seglab.torch) and the NumPy models' (seglab.losses): same value
    and gradient for every loss of the study, with its data options, ramps and balance."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 1, 8, 8))
    target = np.zeros((2, 8, 8), dtype=np.int64)
    target[0, 2:5, 3:6] = 1
    terms = runner.resolve_loss(loss, target)
    extras = runner._extras(terms, target.astype(bool))
    args = (np.arange(2), extras, 3, 10, 0.4)
    value, grad = runner.numpy_loss(terms, logits, target, *args)
    scores = torch.tensor(logits, requires_grad=True)
    ours = runner.torch_loss(terms, scores, torch.from_numpy(target), *args)
    ours.backward()
    assert float(ours.detach()) == pytest.approx(value, rel=1e-10, abs=1e-12)
    assert_allclose(scores.grad.numpy(), grad, rtol=1e-8, atol=1e-12)


# ------------------------------------------------ lesion-wise detection, HD95, architecture


def _lesion_masks():
    """Four 24 x 24 images: lesions of known sizes, predictions that find, miss, split or
    invent some of them."""
    target = np.zeros((4, 24, 24), dtype=bool)
    pred = np.zeros_like(target)
    target[0, 2:5, 2:5] = True           # 9 px: found
    pred[0, 2:5, 2:6] = True
    target[0, 10:16, 10:16] = True       # 36 px: missed
    target[1, 4:8, 4:8] = True           # 16 px: found exactly
    pred[1, 4:8, 4:8] = True
    pred[1, 18:20, 18:20] = True         # a false 4 px lesion
    target[2, 1:13, 1:13] = True         # 144 px: found
    pred[2, 1:13, 1:12] = True
    pred[3, 5:7, 5:9] = True             # image 3: empty truth, one false lesion
    return pred, target


def test_lesion_counts_are_stored_per_image_and_pooled_as_summed_counts():
    from seglab.lesions import detection_scores, lesion_counts

    pred, target = _lesion_masks()
    probs = np.where(pred, 0.9, 0.1)
    result = evaluate.evaluate(probs, target, probs, target)
    half = result["per_image"]["half"]
    bins = len(evaluate.LESION_SIZE_BINS) + 1
    assert np.shape(half["lesion_tp"]) == (4, bins) and np.shape(half["lesion_iou_sum"]) == (4,)
    assert_array_equal(np.sum(half["lesion_tp"], axis=1), [1, 1, 1, 0])
    assert_array_equal(np.sum(half["lesion_fn"], axis=1), [1, 0, 0, 0])
    assert_array_equal(np.sum(half["lesion_fp"], axis=1), [0, 1, 0, 1])
    json.dumps(result)
    # Pooled over the images: the scores of seglab.lesions on the summed counts.
    per_image = [lesion_counts(p, t, size_bins=evaluate.LESION_SIZE_BINS).counts
                 for p, t in zip(pred, target, strict=True)]
    total = per_image[0]
    for counts in per_image[1:]:
        total = total + counts
    expected = detection_scores(total)
    run = aggregate.as_arrays({"config": _tiny(loss="ce"), **result})
    out = aggregate.aggregate([run], resamples=50)
    rows = {r["figure"]: r for r in out["rows"] if r["threshold"] == "half"}
    for name, key in (("lesion_f1_pooled", "f1"), ("lesion_pq_pooled", "pq"),
                      ("lesion_precision_pooled", "precision"),
                      ("lesion_recall_pooled", "recall")):
        assert rows[name]["estimate"] == pytest.approx(expected[key], abs=1e-12), name
    # F1 = 2 TP / (2 TP + FP + FN) = 6 / (6 + 2 + 1).
    assert rows["lesion_f1_pooled"]["estimate"] == pytest.approx(6 / 9)
    names = aggregate.size_bin_figures(evaluate.LESION_SIZE_BINS)
    for name, (label, recall) in zip(names, expected["recall_by_size"].items(), strict=True):
        if math.isnan(recall):
            assert math.isnan(rows[name]["estimate"]), label
        else:
            assert rows[name]["estimate"] == pytest.approx(recall), label
    assert out["lesion_size_bins"]["figures"] == names
    assert out["lesion_size_bins"]["labels"] == list(expected["recall_by_size"])


def test_lesion_figures_of_empty_and_unmatched_counts():
    zeros = np.zeros((1, 3))
    empty = aggregate.lesion_figures({"lesion_tp": zeros, "lesion_fp": zeros,
                                      "lesion_fn": zeros, "lesion_iou_sum": np.zeros(1)})
    assert all(v.tolist() == [1.0] for v in empty.values())  # nothing to find, nothing found
    missed = aggregate.lesion_figures({"lesion_tp": zeros, "lesion_fp": zeros,
                                       "lesion_fn": np.array([[0.0, 2.0, 1.0]]),
                                       "lesion_iou_sum": np.zeros(1)})
    assert math.isnan(missed["lesion_precision_pooled"][0])  # no predicted lesion
    assert missed["lesion_recall_pooled"][0] == missed["lesion_f1_pooled"][0] == 0.0


def test_hd95_over_images_with_a_nonempty_truth():
    rng = np.random.default_rng(4)
    run = _fake_run(0, "ce", rng, n=6)
    for threshold in ("half", "tuned"):
        d = run["per_image"][threshold] = dict(run["per_image"][threshold])
        d["true_area"] = np.array([0.0, 5, 0, 7, 3, 0])
        d["hd95"] = np.array([90.5, 2.0, 90.5, 4.0, 3.0, 0.0])
    out = aggregate.aggregate([run], resamples=50)
    rows = {r["figure"]: r for r in out["rows"] if r["threshold"] == "half"}
    assert rows["hd95_mean_nonempty"]["estimate"] == pytest.approx(3.0)
    assert rows["hd95_mean"]["estimate"] == pytest.approx(190.0 / 6)


def test_variance_shares_decompose_the_total_sum_of_squares():
    # y[m, l, s] = model effect + loss effect + seed noise, no interaction.
    model, loss, noise = np.array([0.0, 1.0]), np.array([0.0, 2.0, 4.0]), np.array([-0.5, 0.5])
    y = model[:, None, None] + loss[None, :, None] + noise[None, None, :]
    out = aggregate.variance_shares(y)
    # Hand-computed: model 3 * 2 * 2 * 0.5^2 = 3, loss 2 * 2 * (2^2 + 0 + 2^2) = 32,
    # seed noise 12 * 0.25 = 3, interaction 0; total 38.
    assert out["ss"]["model"] == pytest.approx(3.0)
    assert out["ss"]["loss"] == pytest.approx(32.0)
    assert out["ss"]["interaction"] == pytest.approx(0.0, abs=1e-12)
    assert out["ss"]["seed_noise"] == pytest.approx(3.0)
    assert out["ss"]["total"] == pytest.approx(38.0)
    assert out["df"] == {"model": 1, "loss": 2, "interaction": 2, "seed_noise": 6, "total": 11}
    # On any scores the four parts sum to the total, and the shares to 1.
    y = np.random.default_rng(5).random((3, 6, 3))
    out = aggregate.variance_shares(y)
    parts = ("model", "loss", "interaction", "seed_noise")
    assert sum(out["ss"][k] for k in parts) == pytest.approx(out["ss"]["total"])
    assert out["ss"]["total"] == pytest.approx(np.sum((y - y.mean()) ** 2))
    assert sum(out["shares"].values()) == pytest.approx(1.0)
    assert sum(out["df"][k] for k in parts) == out["df"]["total"]
    # A pure interaction (a crossed 2 x 2): no main effects.
    cross = np.array([[1.0, -1.0], [-1.0, 1.0]])[..., None].repeat(2, axis=2)
    shares = aggregate.variance_shares(cross)["shares"]
    assert shares["interaction"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        aggregate.variance_shares(np.ones((2, 3)))


def _arch_run(model, loss, seed, tp, n=5):
    """A run whose every test image has tp true positives, 10 false positives and 10 false
    negatives: pooled Dice 2 tp / (2 tp + 20), increasing with tp."""
    run = _fake_run(seed, loss, np.random.default_rng(seed), n=n)
    per_image = {**run["per_image"]["half"], "tp": np.full(n, float(tp)),
                 "fp": np.full(n, 10.0), "fn": np.full(n, 10.0)}
    config = {**run["config"], "model": model, "fraction": 0.02}
    return {**run, "config": config, "per_image": {"half": per_image, "tuned": per_image}}


def test_architecture_ranks_losses_and_correlates_models():
    losses = ("ce", "ce_dice", "dice", "focal")
    # Scores (tp) by loss: the U-Net ranks them 1 < 2 < 3 < 4, the logistic model in the
    # opposite order (tau = -1), TinyCNN with one swap of the top two (tau = 4/6 with U-Net).
    tps = {"unet": (1, 2, 3, 4), "logistic": (4, 3, 2, 1), "tinycnn": (1, 2, 4, 3)}
    runs = [_arch_run(model, loss, seed, tps[model][k] + 0.1 * seed)
            for model in tps for k, loss in enumerate(losses) for seed in (0, 1)]
    runs.append(_arch_run("unet", "lovasz", 0, 9))  # not under every model: left out
    out = aggregate.architecture(runs, resamples=100)
    assert out["models"] == ["unet", "logistic", "tinycnn"] and out["losses"] == list(losses)
    assert out["seeds"] == [0, 1]
    half = out["half"]
    assert half["ranking"]["unet"] == ["focal", "dice", "ce_dice", "ce"]
    assert half["ranking"]["logistic"] == ["ce", "ce_dice", "dice", "focal"]
    assert half["ranking"]["tinycnn"] == ["dice", "focal", "ce_dice", "ce"]
    assert half["scores"]["unet"]["ce"] == pytest.approx(np.mean([2 / 22, 2.2 / 22.2]))
    taus = {tuple(t["models"]): t for t in half["kendall_tau"]}
    expected = {("unet", "logistic"): -1.0, ("unet", "tinycnn"): 4 / 6,
                ("logistic", "tinycnn"): -4 / 6}
    from scipy import stats

    for pair, tau in expected.items():
        assert taus[pair]["estimate"] == pytest.approx(tau)
        scores = [[half["scores"][m][loss] for loss in losses] for m in pair]
        assert tau == pytest.approx(stats.kendalltau(*scores).statistic)
        # Every image alike and the seeds ordered alike: every resample has the same tau.
        assert taus[pair]["low"] == pytest.approx(tau)
        assert taus[pair]["high"] == pytest.approx(tau)
    mean_tau = np.mean(list(expected.values()))
    assert half["kendall_tau_mean"]["estimate"] == pytest.approx(mean_tau)
    # The variance of the per-run pooled Dice: the decomposition of those scores.
    dice = np.array([[[2 * (tps[m][k] + 0.1 * s) / (2 * (tps[m][k] + 0.1 * s) + 20)
                       for s in (0, 1)] for k in range(4)] for m in out["models"]])
    expected_variance = aggregate.variance_shares(dice)
    for part in ("ss", "shares"):
        for key, value in expected_variance[part].items():
            assert half["variance"][part][key] == pytest.approx(value, rel=1e-12, abs=1e-15)
    # Fewer than two models: no architecture study.
    assert aggregate.architecture([r for r in runs if r["config"]["model"] == "unet"]) is None


def test_stale_results_are_left_out(tmp_path):
    rng = np.random.default_rng(0)
    runs = tmp_path / "runs"
    runs.mkdir()
    old = _fake_run(0, "ce", rng)
    old["config"] = {**old["config"], "version": config.HARNESS_VERSION - 1}
    new = _fake_run(1, "ce", rng)

    def plain(run):
        return json.loads(json.dumps(run, default=lambda a: a.tolist()))

    (runs / "old.json").write_text(json.dumps(plain(old)))
    (runs / "new.json").write_text(json.dumps(plain(new)))
    loaded = aggregate.load_runs(tmp_path)
    assert [r["config"]["seed"] for r in loaded] == [1]


def test_architecture_of_the_full_grid_is_six_losses_under_three_models():
    rng = np.random.default_rng(6)
    runs = []
    for c in config.full_grid():
        if c["task"] == "lesions" and c["fraction"] == 0.02:
            run = _fake_run(c["seed"], c["loss"], rng, n=6)
            runs.append({**run, "config": c})
    out = aggregate.architecture(runs, resamples=20)
    assert out["models"] == list(config.MODELS)
    assert out["losses"] == sorted(config.SIX_LOSSES) and out["seeds"] == [0, 1, 2]
    for threshold in ("half", "tuned"):
        assert len(out[threshold]["kendall_tau"]) == 3
        assert out[threshold]["variance"]["df"] == {"model": 2, "loss": 5, "interaction": 10,
                                                    "seed_noise": 36, "total": 53}
