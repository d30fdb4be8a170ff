"""Train and evaluate one configuration; cache its result; run a grid, resumably.

:func:`run` trains the configuration's model with its loss on the training split (Adam,
the configuration's steps, batch and step size; the same for every loss) and evaluates it
on the test split (:func:`experiments.evaluate.evaluate`, with the threshold tuned on the
validation split). :func:`run_grid` skips every configuration whose result is already in
the cache (``<results>/runs/<hash>.json``), so an interrupted study resumes where it
stopped. The U-Net needs PyTorch (``seglab[torch]``), imported only when one is trained.
"""

import concurrent.futures
import functools
import json
import math
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy
import skimage

import seglab
from seglab import losses as numpy_losses
from seglab.data import task_splits
from seglab.models import Adam, FilterBank, PixelLogisticRegression, TinyCNN

from .config import LOSSES, config_hash
from .evaluate import evaluate

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
#: Loss history kept in a result: every HISTORY_EVERY-th step.
HISTORY_EVERY = 10
#: Decay of the running confusion counts behind the Dinkelbach loss's metric value.
RUNNING_DECAY = 0.9


# ------------------------------------------------------------------------------- data


@functools.lru_cache(maxsize=8)
def _splits(task, fraction, sizes, shape, data_seed):
    options = {} if fraction is None else {"foreground_fraction": fraction}
    splits = task_splits(task, sizes=sizes, shape=shape, options=options, seed=data_seed)
    return {name: (split[0], split[1]) for name, split in splits.items()}


def load_data(config):
    """``{split: (images, masks)}``, images standardised by the training set's statistics."""
    splits = _splits(config["task"], config["fraction"], tuple(config["sizes"]),
                     tuple(config["shape"]), config["data_seed"])
    mean, std = splits["train"][0].mean(), splits["train"][0].std()
    return {name: ((images - mean) / std, masks) for name, (images, masks) in splits.items()}


# ----------------------------------------------------------------------------- losses


class Term(NamedTuple):
    name: str
    options: dict
    weight: object  # a float, "ramp" or "1-ramp"
    two_channel: bool
    distance: bool
    running: bool


def _ramp(weight, step, total, *, value=None, before=None):
    """The weight of a term at a step (``value``: the term's, ``before``: the sum of the
    terms before it, for ``"balance"``)."""
    if not isinstance(weight, str):
        return weight
    if weight == "balance":
        return abs(before) / abs(value) if value else 1.0
    ramp = 0.01 + 0.98 * step / max(total - 1, 1)
    return ramp if weight == "ramp" else 1.0 - ramp


def resolve_loss(loss, train_masks):
    """The terms of a loss of :data:`~experiments.config.LOSSES`, with its data options set."""
    prior = float(np.mean(train_masks))
    terms = []
    for name, options, weight in LOSSES[loss]:
        options = dict(options)
        if options.get("class_weights") == "balanced":
            options["class_weights"] = [0.5 / (1 - prior), 0.5 / prior]
        two_channel = options.pop("two_channel", False)
        distance = options.pop("distance_map", None) == "signed"
        running = options.pop("metric_value", None) == "running"
        terms.append(Term(name, options, weight, two_channel, distance, running))
    return terms


class RunningDice:
    """Dice of the hard predictions over recent batches (decayed confusion counts).

    Floored at the Dice of the all-foreground prediction, :math:`2\\pi / (1 + \\pi)`.
    """

    def __init__(self, prior):
        self.floor = 2 * prior / (1 + prior)
        self.sums = np.zeros(3)

    def update(self, logits, target):
        pred, g = logits[:, 0] > 0, target.astype(bool)
        batch = np.array([np.sum(pred & g), np.sum(pred & ~g), np.sum(~pred & g)], float)
        self.sums = RUNNING_DECAY * self.sums + batch
        tp, fp, fn = self.sums
        dice = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 1.0
        return float(min(max(dice, self.floor), 1.0))


def _term_options(term, batch, extras, metric_value):
    options = dict(term.options)
    if term.distance:
        options["distance_map"] = extras["distance_map"][batch]
    if term.running:
        options["metric_value"] = metric_value
    return options


def numpy_loss(terms, logits, target, batch, extras, step, total, metric_value):
    """Value and gradient (NumPy) of the sum of the terms at one step."""
    value, grad = 0.0, np.zeros_like(logits)
    for term in terms:
        scores = np.concatenate([np.zeros_like(logits), logits], 1) if term.two_channel \
            else logits
        v, g = getattr(numpy_losses, term.name)(
            scores, target, return_grad=True, **_term_options(term, batch, extras, metric_value))
        weight = _ramp(term.weight, step, total, value=float(v), before=value)
        value += weight * float(v)
        grad += weight * (g[:, 1:] if term.two_channel else g)
    return value, grad


def torch_loss(terms, logits, target, batch, extras, step, total, metric_value):
    """The sum of the terms at one step, a differentiable tensor (seglab.torch)."""
    import torch

    from seglab import torch as seglab_torch

    value = 0.0
    for term in terms:
        scores = torch.cat([torch.zeros_like(logits), logits], 1) if term.two_channel \
            else logits
        v = seglab_torch.loss(term.name, scores, target,
                              **_term_options(term, batch, extras, metric_value))
        weight = _ramp(term.weight, step, total, value=float(v.detach()),
                       before=float(value.detach()) if torch.is_tensor(value) else value)
        value = value + weight * v
    return value


# ----------------------------------------------------------------------------- training


def _batches(n, batch_size, steps, seed):
    """The image indices of each step: epochs in fresh random orders (as seglab.models.train)."""
    rng = np.random.default_rng(seed)
    batch_size = min(batch_size, n)
    out = []
    while len(out) < steps:
        order = rng.permutation(n)
        out += [order[s:s + batch_size] for s in range(0, n, batch_size)]
    return out[:steps]


def _extras(terms, masks):
    if any(term.distance for term in terms):
        return {"distance_map": np.stack([numpy_losses.signed_distance_map(m)
                                          for m in masks])[:, None]}
    return {}


def _train_loop(config, data, step_fn):
    """Shared loop: batches, running Dice, timing. ``step_fn(batch, step, metric_value)``
    trains on one batch and returns (loss value, logits as NumPy)."""
    _, masks = data["train"]
    targets = masks.astype(np.int64)
    running = RunningDice(float(masks.mean()))
    history, times = [], []
    metric_value = 1.0
    for step, batch in enumerate(_batches(len(masks), config["batch"], config["steps"],
                                          config["seed"])):
        start = time.perf_counter()
        value, logits = step_fn(batch, targets[batch], step, metric_value)
        metric_value = running.update(logits, targets[batch])
        times.append(time.perf_counter() - start)
        if not math.isfinite(value):
            raise FloatingPointError(f"loss {value} at step {step}")
        if step % HISTORY_EVERY == 0 or step == config["steps"] - 1:
            history.append([step, value])
    return history, times


def _train_unet(config, data):
    import torch

    from seglab.torch_models import UNet

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(config["threads"])
    model = UNet(1, num_classes=1, seed=config["seed"])
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    images, masks = data["train"]
    x = torch.from_numpy(images[:, None].astype(np.float32))
    terms = resolve_loss(config["loss"], masks)
    extras = _extras(terms, masks)

    def step_fn(batch, target, step, metric_value):
        optimizer.zero_grad()
        logits = model(x[batch])
        value = torch_loss(terms, logits, torch.from_numpy(target), batch, extras, step,
                           config["steps"], metric_value)
        value.backward()
        optimizer.step()
        return float(value.detach()), logits.detach().numpy()

    history, times = _train_loop(config, data, step_fn)

    def predict(images):
        with torch.no_grad():
            logits = model(torch.from_numpy(images[:, None].astype(np.float32)))
        return torch.sigmoid(logits[:, 0].double()).numpy()

    return history, times, predict, model.num_params


def _train_numpy(config, data):
    images, masks = data["train"]
    if config["model"] == "logistic":
        bank = FilterBank().fit(images)
        features = bank.transform
        model = PixelLogisticRegression(bank.num_features, seed=config["seed"])
    else:
        bank = None
        features = lambda images: images[:, None]  # noqa: E731 - the raw image, one channel
        model = TinyCNN(1, hidden=8, kernel_size=5, seed=config["seed"])
    inputs = features(images)
    optimizer = Adam(config["lr"])
    terms = resolve_loss(config["loss"], masks)
    extras = _extras(terms, masks)

    def step_fn(batch, target, step, metric_value):
        logits, backward = model.forward(inputs[batch])
        value, grad = numpy_loss(terms, logits, target, batch, extras, step, config["steps"],
                                 metric_value)
        optimizer.step(model.params, backward(grad))
        return value, logits

    history, times = _train_loop(config, data, step_fn)

    def predict(images):
        return model.predict_proba(features(images))[:, 0]

    return history, times, predict, model.num_params


# ------------------------------------------------------------------------- provenance


def _git(*args):
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                             timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def provenance():
    """Where a result comes from: commit, versions, threads, machine."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__, "scikit-image": skimage.__version__,
                "seglab": seglab.__version__}
    threads = None
    if "torch" in sys.modules:
        import torch

        versions["torch"] = torch.__version__
        threads = torch.get_num_threads()
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": _git("rev-parse", "HEAD"), "dirty": bool(dirty) if dirty is not None
            else None, "versions": versions, "torch_threads": threads,
            "cpu_count": os.cpu_count(), "machine": platform.machine(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


# ------------------------------------------------------------------------------ runs


def run(config):
    """Train and evaluate one configuration; return its JSON-ready result."""
    start = time.perf_counter()
    info = provenance()
    data = load_data(config)
    train = _train_unet if config["model"] == "unet" else _train_numpy
    history, times, predict, num_params = train(config, data)
    trained = time.perf_counter()
    result = evaluate(predict(data["test"][0]), data["test"][1],
                      predict(data["validation"][0]), data["validation"][1])
    info = {**provenance(), "started": info["started"]}
    info["wall_seconds"] = time.perf_counter() - start
    return {
        "hash": config_hash(config), "config": config, "provenance": info,
        "training": {"num_params": num_params, "history": history,
                     "seconds_per_step": float(np.median(times)),
                     "train_seconds": trained - start,
                     "eval_seconds": time.perf_counter() - trained},
        **result,
    }


def result_path(config, results=RESULTS):
    return Path(results) / "runs" / f"{config_hash(config)}.json"


def cached(config, results=RESULTS):
    """The cached result of a configuration, or None."""
    path = result_path(config, results)
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None  # a truncated file (a run killed while writing) is recomputed
    return result if result.get("config") == config else None


def write(result, path, *, compact=False):
    """Write a result atomically (a temporary file renamed), so a kill leaves no half file;
    ``compact``: one line, no indentation (the cached runs of the study)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    layout = {"separators": (",", ":")} if compact else {"indent": 1}
    tmp.write_text(json.dumps(result, sort_keys=True, **layout) + "\n")
    os.replace(tmp, path)


def _run_and_write(config, results):
    result = run(config)
    write(result, result_path(config, results), compact=True)
    return result


def run_grid(configs, results=RESULTS, *, jobs=1, log=print):
    """Run every configuration not yet cached, in ``jobs`` processes; return the number of
    runs computed. Each result is written as soon as its run ends, so an interruption loses
    only the runs in progress."""
    todo = [c for c in configs if cached(c, results) is None]
    log(f"{len(configs) - len(todo)} of {len(configs)} runs cached; {len(todo)} to run "
        f"in {jobs} process(es)")
    start = time.perf_counter()

    def report(k, config, result):
        elapsed = time.perf_counter() - start
        log(f"[{k}/{len(todo)}] {config['task']} {config['fraction']} {config['model']} "
            f"{config['loss']} seed {config['seed']}: {result['provenance']['wall_seconds']:.1f}"
            f" s; about {elapsed / k * (len(todo) - k) / 60:.1f} min left")

    if jobs <= 1:
        for k, config in enumerate(todo, 1):
            report(k, config, _run_and_write(config, results))
        return len(todo)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {pool.submit(_run_and_write, config, results): config for config in todo}
        for k, future in enumerate(concurrent.futures.as_completed(futures), 1):
            report(k, futures[future], future.result())
    return len(todo)
