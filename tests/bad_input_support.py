"""One valid call of every public callable of seglab, and the bad calls derived from it.

``tests/test_bad_input.py`` drives these. ``REGISTRY`` maps the name of each public callable
(a class's methods as ``Class.method``) to a :class:`Case`: a factory returning a fresh
callable (a new instance for a method, so that state does not leak between calls) and one
small valid call. The bad calls are derived from the valid call argument by argument, by the
type of the valid value (:func:`bad_values`); keyword arguments the valid call leaves at their
default are mutated too, so a renamed keyword needs no change here unless the valid call passes
it explicitly.
"""

import dataclasses
import importlib
import inspect
import math
import pkgutil
from collections.abc import Callable

import numpy as np

import seglab
from seglab import data, losses, metrics, models, postprocess, surface, theory

HUGE_INT = 2**40
# Optional dependencies: a public module that needs one of them is skipped when it is missing.
OPTIONAL = {"torch"}
# Modules whose names repeat names of other modules (seglab.torch wraps each loss under the loss's
# name): their callables are registered as "<prefix><name>".
NAMESPACED = {"seglab.torch": "torch."}


def public_modules():
    """``seglab`` and every public module below it (no part of the name starts with ``_``)."""
    modules = [seglab]
    for info in pkgutil.walk_packages(seglab.__path__, "seglab.", onerror=lambda name: None):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            modules.append(importlib.import_module(info.name))
        except ModuleNotFoundError as exc:
            if exc.name not in OPTIONAL:
                raise
    return modules


def public_callables():
    """``{name: callable}`` over the ``__all__`` of every public module, and name clashes.

    A class contributes its public methods as ``Class.method`` besides itself. A clash is a
    name given to two different objects (the registry keys by name).
    """
    found, clashes = {}, []
    for module in public_modules():
        prefix = NAMESPACED.get(module.__name__, "")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not (inspect.isroutine(obj) or inspect.isclass(obj)):
                continue  # constants, including callable ones such as a colormap
            name = prefix + name
            entries = {name: obj}
            if inspect.isclass(obj):
                for klass in reversed(obj.__mro__):
                    if klass.__module__.startswith("seglab"):
                        entries.update({f"{name}.{key}": value
                                        for key, value in vars(klass).items()
                                        if inspect.isfunction(value) and key[0] != "_"})
            for key, value in entries.items():
                if found.setdefault(key, value) is not value:
                    clashes.append(f"{key} names {found[key]!r} and {value!r}")
    return found, clashes


@dataclasses.dataclass
class Case:
    """A public callable (``make()`` returns it fresh) and one small valid call of it."""

    make: Callable
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    seconds: float = 15.0  # time limit of one call (generous: the machine may be loaded)
    few: bool = False  # slow (a figure): drive only the FEW bad values of each argument
    checked: Callable = staticmethod(lambda result: result)  # the part that must be finite

    def bound(self):
        """The valid call's arguments by parameter name, in call order."""
        signature = inspect.signature(self.make())
        return signature.bind(*self.args, **self.kwargs), signature


def _rng(seed=0):
    return np.random.default_rng(seed)


def _labels(shape=(2, 6), num_classes=2, seed=0):
    return _rng(seed).integers(0, num_classes, size=shape)


def _mask(size=8, lo=2, hi=5):
    mask = np.zeros((size, size), dtype=bool)
    mask[lo:hi, lo:hi + 1] = True
    return mask


def _probs(shape=(8, 8), seed=0):
    return _rng(seed).uniform(0.05, 0.95, size=shape)


def _scores(shape=(2, 2, 4, 4), seed=0):
    return _rng(seed).normal(size=shape)


def _tiny_figure(x):
    """A small figure for the slider cases: the widgets machinery is under test, not a chapter."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0.0, 1.0], [0.0, float(x)])
    return fig


def _png():
    from seglab.widgets import render_png

    return render_png(_tiny_figure(1.0), dpi=20)


def _fitted_bank():
    return models.FilterBank((1.0,), max_order=1).fit(_scores((2, 8, 8)))


def _method(factory, name):
    """A maker of ``getattr(factory(), name)``: a fresh instance for every call."""

    def make():
        return getattr(factory(), name)

    return make


def _const(obj):
    return lambda: obj


def _pair():
    pred = np.array([[0, 1, 1, 0, 1, 0], [1, 1, 0, 0, 1, 1]])
    target = np.array([[0, 1, 0, 0, 1, 1], [1, 0, 0, 1, 1, 1]])
    return pred, target


def _metric_cases():
    pred, target = _pair()
    cases = {name: Case(_const(getattr(metrics, name)), (pred, target))
             for name in metrics.__all__}
    cases["from_confusion"] = Case(_const(metrics.from_confusion),
                                   (np.array([[5, 1], [2, 3]]), "dice"))
    return cases


def _surface_cases():
    pred, target = _mask(), _mask(lo=3, hi=6)
    tolerant = {"boundary_f1", "boundary_iou", "surface_dice"}
    cases = {name: Case(_const(getattr(surface, name)), (pred, target),
                        {"tolerance": 1.0} if name in tolerant else {})
             for name in surface.__all__}
    for name in ("boundary_pixels", "surface_elements"):
        cases[name] = Case(_const(getattr(surface, name)), (pred,))
    cases["SurfaceDistances"] = Case(
        _const(surface.SurfaceDistances),
        (np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])))
    return cases


def _loss_cases():
    scores, target = _scores(), _labels((2, 4, 4))
    cases = {name: Case(_const(getattr(losses, name)), (scores, target))
             for name in losses.__all__}
    cases["signed_distance_map"] = Case(_const(losses.signed_distance_map), (_mask(),))
    cases["lovasz_hinge"] = Case(_const(losses.lovasz_hinge), (_scores((2, 1, 4, 4)), target))
    if "dinkelbach_cross_entropy" in cases:
        cases["dinkelbach_cross_entropy"] = Case(_const(losses.dinkelbach_cross_entropy),
                                                 (_scores((2, 1, 4, 4)), target),
                                                 {"metric_value": 0.5})
    cases["unet_weight_map"] = Case(_const(losses.unet_weight_map), (_labels((1, 6, 6)),))
    return cases


def _theory_cases():
    prob = np.array([0.1, 0.4, 0.8, 0.95])
    fn = {name: _const(getattr(theory, name)) for name in theory.__all__}
    return {
        "bayes_threshold": Case(fn["bayes_threshold"], ("cost",), {"cost_fn": 2.0}),
        "dice_from_jaccard": Case(fn["dice_from_jaccard"], (0.5,)),
        "dice_jaccard_gap": Case(fn["dice_jaccard_gap"], (0.5,)),
        "jaccard_from_dice": Case(fn["jaccard_from_dice"], (0.6,)),
        "expected_confusion": Case(fn["expected_confusion"], (prob, 0.5)),
        "expected_metrics": Case(fn["expected_metrics"], (prob, 0.5)),
        "focal_minimiser": Case(fn["focal_minimiser"], (prob,), {"gamma": 2.0}),
        "label_noise_risks": Case(fn["label_noise_risks"], (0.2, 0.1)),
        "optimal_threshold": Case(fn["optimal_threshold"], (prob,)),
        "rates_to_metrics": Case(fn["rates_to_metrics"], (0.9, 0.1, 0.2)),
        "threshold_curve": Case(fn["threshold_curve"], (prob, np.array([0.2, 0.5, 0.7]))),
        "trivial_classifier_metrics": Case(fn["trivial_classifier_metrics"], (0.2,),
                                           {"predict": "foreground"}),
        "tversky_threshold": Case(fn["tversky_threshold"], (0.3,), {"alpha": 0.3, "beta": 0.7}),
    }


def _data_cases():
    fn = {name: _const(getattr(data, name)) for name in data.__all__}
    return {
        "horse": Case(fn["horse"]),
        "noisy_prediction": Case(fn["noisy_prediction"], (_mask(),), {"tpr": 0.9, "fpr": 0.1}),
        "posterior_map": Case(fn["posterior_map"], (_mask(),)),
        "sample_labels": Case(fn["sample_labels"], (_probs((4, 4)),)),
        "synthetic_batch": Case(fn["synthetic_batch"], (2, (8, 8)),
                                {"foreground_fraction": 0.2}),
        "synthetic_images": Case(fn["synthetic_images"], (2, (8, 8))),
        "synthetic_mask": Case(fn["synthetic_mask"], ((8, 8),)),
        "Lesions": Case(fn["Lesions"], (np.zeros((1, 4, 4)), np.zeros((1, 4, 4), dtype=bool),
                                        np.array([0]), np.array([0]))),
        "lesion_images": Case(fn["lesion_images"], (2, (8, 8)), {"foreground_fraction": 0.1}),
        "vessel_images": Case(fn["vessel_images"], (2, (8, 8))),
        "task_splits": Case(fn["task_splits"], ("lesions",),
                            {"sizes": (2, 1, 1), "shape": (8, 8),
                             "options": {"foreground_fraction": 0.1}}),
    }


def _model_cases():
    images = _scores((2, 1, 6, 6))
    cases = {
        "Adam": Case(_const(models.Adam), (0.01,)),
        "Adam.step": Case(_method(models.Adam, "step"),
                          ({"w": np.ones(3)}, {"w": np.array([0.1, -0.2, 0.3])})),
        "FilterBank": Case(_const(models.FilterBank), ((1.0, 2.0),), {"max_order": 1}),
        "train": Case(
            _const(models.train),
            (models.PixelLogisticRegression(1), images, _labels((2, 6, 6))),
            {"loss": losses.soft_dice_loss, "steps": 2, "batch_size": 2}),
        "tune_threshold": Case(_const(models.tune_threshold),
                               (_probs((2, 6)), _labels((2, 6)))),
    }
    bank = lambda: models.FilterBank((1.0,), max_order=1)  # noqa: E731 - a maker
    for name in ("features", "fit", "fit_transform"):
        cases[f"FilterBank.{name}"] = Case(_method(bank, name), (_scores((2, 8, 8)),))
    cases["FilterBank.transform"] = Case(_method(_fitted_bank, "transform"),
                                         (_scores((2, 8, 8)),))
    for cls in (models.PixelLogisticRegression, models.TinyCNN):
        name = cls.__name__
        model = lambda cls=cls: cls(1, num_classes=3, seed=0)  # noqa: E731 - a maker
        cases[name] = Case(_const(cls), (1,), {"num_classes": 3})
        for method in ("forward", "predict", "predict_proba"):
            cases[f"{name}.{method}"] = Case(_method(model, method), (images,))
        cases[f"{name}.get_params"] = Case(_method(model, "get_params"))
        cases[f"{name}.set_params"] = Case(_method(model, "set_params"),
                                           (model().get_params(),))
    return cases


def _postprocess_cases():
    prob, mask = _probs(), _mask()
    fn = {name: _const(getattr(postprocess, name)) for name in postprocess.__all__}
    image = _rng(1).uniform(0.0, 255.0, size=(8, 8, 3))
    q = np.stack([prob, 1.0 - prob])
    return {
        "CRFResult": Case(fn["CRFResult"], (q, q.argmax(0), np.array([1.0, 0.5]))),
        "RelaxationResult": Case(fn["RelaxationResult"], (prob, mask, np.array([2.0, 1.0]),
                                                          np.array([0.5, 0.9]), np.array([10]),
                                                          True)),
        "TVResult": Case(fn["TVResult"], (prob, 1.0, 0.0)),
        "closing": Case(fn["closing"], (mask,), {"radius": 1}),
        "opening": Case(fn["opening"], (mask,), {"radius": 1}),
        "convex_relaxation": Case(fn["convex_relaxation"], (prob,), {"lam": 0.3, "max_iter": 50}),
        "dense_crf": Case(fn["dense_crf"], (q, image)),
        "gaussian_kernel_filter": Case(fn["gaussian_kernel_filter"],
                                       (_probs((10,)), _scores((10, 2)))),
        "graph_cut": Case(fn["graph_cut"], (prob,), {"lam": 0.3}),
        "icm": Case(fn["icm"], (prob,), {"lam": 0.3}),
        "potts_energy": Case(fn["potts_energy"], (mask, prob), {"lam": 0.3}),
        "remove_small_components": Case(fn["remove_small_components"], (mask,), {"min_size": 2}),
        "sobolev_smooth": Case(fn["sobolev_smooth"], (prob,), {"lam": 0.3}),
        # The certificate costs a second solve; its gap is NaN without it (docstring).
        "tv_smooth": Case(fn["tv_smooth"], (_probs((5, 5)),), {"lam": 0.1, "certify": False},
                          checked=lambda result: (result.u, result.energy), few=True),
    }


def _widget_cases():
    from seglab import widgets

    param = lambda: widgets.Param([0.5, 1.0])  # noqa: E731 - a maker
    slider = lambda: widgets.slider(_tiny_figure, live=False, x=[0.5, 1.0])  # noqa: E731
    cases = {
        "Param": Case(_const(widgets.Param), ([0.5, 1.0],), {"label": "x", "fmt": ".1f"}),
        "Param.labels": Case(_method(param, "labels")),
        "Slider": Case(_const(widgets.Slider), (_tiny_figure, {"x": widgets.Param([0.5, 1.0])}),
                       {"live": False, "static": True}),
        "slider": Case(_const(widgets.slider), (_tiny_figure,), {"live": False, "x": [0.5]}),
        "palette_png": Case(_const(widgets.palette_png), (_png(),)),
        "render_png": Case(_const(widgets.render_png), (_tiny_figure(1.0),), {"dpi": 20}),
    }
    for method in ("kwargs", "caption", "frame", "static_frame", "alt"):
        cases[f"Slider.{method}"] = Case(_method(slider, method), (1,))
    cases["Slider.to_html"] = Case(_method(slider, "to_html"))
    cases["Slider.widget"] = Case(_method(lambda: widgets.slider(_tiny_figure, x=[0.5, 1.0]),
                                          "widget"))
    return cases


def _figure_cases(public):
    """The chapters' figures and the scenes and curves they draw, on small grids."""
    calls = {
        "imbalance_figure": ((0.1,), {"shape": (16, 16)}),
        "outlier_figure": ((3, 4), {"shape": (24, 24)}),
        "tversky_figure": ((0.5, 0.5), {"shape": (16, 16)}),
        "imbalance_rules": ((_probs((6, 6)), 0.1), {}),
        "imbalance_rules_figure": ((0.1,), {}),
        "dice_threshold_figure": ((0.1,), {}),
        "resolution": ((120,), {}),
        "frame_dpi": ((), {}),
        "tversky_pair_loss": ((np.array([0.2, 0.7]), np.array([0.5, 0.1])),
                              {"alpha": 0.5, "beta": 0.5}),
        "tversky_surface_figure": ((0.5, 0.5), {}),
        "comparison_figure": ((np.array([0.2, 0.5]), np.array([[0.5, 0.6], [0.4, 0.7]]),
                               np.array([[0.05, 0.05], [0.1, 0.02]])), {"labels": ["a", "b"]}),
        "label_noise_figure": ((0.2, 0.1), {}),
        "empty_mask_figure": ((0.1,), {}),
        "empty_mask_loss": ((np.array([0.0, 0.5, 2.0]), 0.1), {}),
        "focal_figure": ((2.0,), {}),
        "horse_case": (((12, 14),), {}),
        "coins_case": (((12, 14),), {}),
        "posterior_case": (((12, 12),), {}),
        "disk_with_outlier": ((3, 4), {"shape": (24, 24)}),
        "step_signal": ((32,), {}),
        "step_profile_figure": ((0.5,), {}),
        "tv_figure": ((0.1,), {"shape": (12, 14)}),
        "crf_figure": ((3.0, 3.0, 2), {"shape": (12, 14)}),
        "edge_case": ((), {"shape": (10, 20), "object_edge": 8, "colour_edge": 11}),
        "bilateral_figure": ((5.0, 13.0), {}),
        "ce_dice_figure": ((0.5, 0.1), {"shape": (16, 16)}),
        "ce_soft_dice_minimiser": ((np.array([0.1, 0.4, 0.8]),), {"lam": 0.5}),
        "recommendation_figure": ((), {"foreground_fraction": 0.05, "objects_per_image": 2.0,
                                       "boundaries_matter": True, "detection_matters": False,
                                       "empty_images": False}),
        "static_layer": ((_tiny_figure(1.0),), {}),
        "cached_layer": ((4,), {}),
        "error_map": ((_mask(), _mask(lo=3, hi=6)), {}),
        "error_handles": ((), {}),
        "readonly": ((np.ones(3),), {}),
    }
    if "static_layer" in public:
        calls["overlay"] = ((public["static_layer"](_tiny_figure(1.0)),), {})
    seconds = {"step_profile_figure": 30.0}  # a TV path over many weights: seconds when loaded
    return {name: Case(_const(public[name]), args, kwargs, seconds=seconds.get(name, 15.0),
                       few=name.endswith("_figure"))
            for name, (args, kwargs) in calls.items() if name in public}


def _torch_cases(public, numpy_cases):
    """seglab.torch (when torch is installed): each loss as a function and a module, and ``loss``.

    A loss's call is its NumPy case with the arrays as tensors (float ones requiring grad).
    """
    if "torch.loss" not in public:
        return {}
    import torch

    from seglab import torch as seglab_torch

    def tensor(value):
        if isinstance(value, np.ndarray):
            return torch.tensor(value, requires_grad=value.dtype.kind == "f")
        return value

    cases = {}
    for name in seglab_torch.LOSSES:
        numpy_case = numpy_cases[name]
        args = tuple(tensor(value) for value in numpy_case.args)
        options = numpy_case.kwargs
        class_name = f"torch.{seglab_torch._class_name(name)}"
        module = lambda name=name, options=options: seglab_torch.Loss(name, **options)  # noqa: E731
        if name == "soft_dice_loss":
            cases["torch.loss"] = Case(_const(public["torch.loss"]), (name, *args), options)
            cases["torch.Loss"] = Case(_const(seglab_torch.Loss), (name,), options)
            for method in ("forward", "extra_repr"):
                cases[f"torch.Loss.{method}"] = Case(
                    _method(module, method), args if method == "forward" else ())
        cases[f"torch.{name}"] = Case(_const(public[f"torch.{name}"]), args, options)
        cases[class_name] = Case(_const(public[class_name]), (), options)
        instance = lambda cls=public[class_name], options=options: cls(**options)  # noqa: E731
        cases[f"{class_name}.forward"] = Case(_method(instance, "forward"), args)
        cases[f"{class_name}.extra_repr"] = Case(_method(instance, "extra_repr"))
    return cases


def _torch_model_cases(public):
    """seglab.torch_models (when torch is installed): the U-Net and its forward pass."""
    if "UNet" not in public:
        return {}
    import torch

    unet = lambda: public["UNet"](1, base_channels=2, levels=2, seed=0)  # noqa: E731
    return {
        "UNet": Case(_const(public["UNet"]), (1,), {"num_classes": 1, "base_channels": 2,
                                                    "levels": 2}),
        "UNet.forward": Case(_method(unet, "forward"), (torch.zeros(1, 1, 4, 4),)),
    }


def _recommend_cases(public):
    if "recommend" not in public:
        return {}
    advice = public["Advice"]("loss", "soft_dice_loss")
    return {
        "recommend": Case(_const(public["recommend"]), (), {
            "foreground_fraction": 0.05, "objects_per_image": 2.0, "boundaries_matter": True,
            "detection_matters": False, "empty_images": False}),
        "Advice": Case(_const(public["Advice"]), ("loss", "soft_dice_loss")),
        "Recommendation": Case(_const(public["Recommendation"]), (("dice",), advice, advice)),
        **{f"Recommendation.{method}": Case(_method(
            lambda: public["recommend"](foreground_fraction=0.05, objects_per_image=2.0,
                                        boundaries_matter=True, detection_matters=False,
                                        empty_images=False), method))
           for method in ("items", "labels")},
    }


def _evaluation_cases():
    """seglab.evaluation, seglab.cli and the data-set writer, on two tiny cases in a temp folder.

    The data set has no empty case, so that every value of the valid call is finite.
    """
    import os
    import tempfile

    from seglab import cli, evaluation

    folder = tempfile.mkdtemp(prefix="seglab-bad-input-")
    pred, ref = data.write_synthetic_dataset(folder, num_cases=2, shape=(12, 12), format="npy",
                                             empty_fraction=0.0, seed=0)
    fast = {"metrics": ["dice", "hausdorff95"]}
    values = lambda result: np.array([row["value"] for row in result.rows])  # noqa: E731
    made = lambda: evaluation.evaluate_dataset(pred, ref, **fast)  # noqa: E731 - a maker
    return {
        "evaluate_dataset": Case(_const(evaluation.evaluate_dataset), (pred, ref), fast,
                                 checked=values),
        "dataset_fingerprint": Case(_const(evaluation.dataset_fingerprint), (ref,)),
        "Conventions": Case(_const(evaluation.Conventions)),
        "Conventions.to_dict": Case(_method(evaluation.Conventions, "to_dict")),
        "EvaluationResult": Case(_const(evaluation.EvaluationResult), ([], {}, {})),
        "EvaluationResult.to_csv": Case(_method(made, "to_csv"),
                                        (os.path.join(folder, "rows.csv"),)),
        "EvaluationResult.to_json": Case(_method(made, "to_json"),
                                         (os.path.join(folder, "summary.json"),)),
        "main": Case(_const(cli.main), (["evaluate", pred, ref, "--metrics", "dice"],)),
        "write_synthetic_dataset": Case(_const(data.write_synthetic_dataset), (folder,),
                                        {"num_cases": 2, "shape": (8, 8), "format": "npy"}),
    }


def registry():
    """``{name: Case}`` for every public callable this suite knows how to call."""
    public, _ = public_callables()
    cases = {}
    for part in (_metric_cases, _surface_cases, _loss_cases, _theory_cases, _data_cases,
                 _model_cases, _postprocess_cases):
        cases.update(part())
    if "slider" in public:
        cases.update(_widget_cases())
    cases.update(_figure_cases(public))
    cases.update(_recommend_cases(public))
    cases.update(_evaluation_cases())
    cases.update(_torch_cases(public, cases))
    cases.update(_torch_model_cases(public))
    cases.update(_lesion_cases(public))
    cases.update(_compare_cases(public))
    cases.update(_report_cases(public))
    cases.update(_evidence_cases(public))
    return cases


def _lesion_cases(public):
    if "lesion_counts" not in public:
        return {}
    from fractions import Fraction

    counts = lambda: public["LesionCounts"]((), (2,), (1,), (1,), Fraction(3, 2))  # noqa: E731
    return {
        # rows hold the declared inf/NaN distances of unmatched lesions (docstring)
        "lesion_counts": Case(_const(public["lesion_counts"]), (_mask(), _mask(lo=3, hi=6)),
                              checked=lambda result: result.counts),
        "LesionCounts": Case(_const(public["LesionCounts"]), ((), (2,), (1,), (1,))),
        "LesionCounts.to_dict": Case(_method(counts, "to_dict")),
        "LesionResult": Case(_const(public["LesionResult"]), (counts(), [])),
        "detection_scores": Case(_const(public["detection_scores"]), (counts(),)),
    }


def _compare_cases(public):
    if "paired_comparison" not in public:
        return {}
    a, b = _probs((8,), seed=1), _probs((8,), seed=2)
    rows = lambda values: [{"case": str(i), "class": "fg", "metric": "dice",  # noqa: E731
                            "value": float(v), "convention": ""} for i, v in enumerate(values)]
    return {
        "paired_comparison": Case(_const(public["paired_comparison"]), (a, b),
                                  {"n_resamples": 200}),
        "compare_models": Case(_const(public["compare_models"]), (rows(a), rows(b)),
                               {"n_resamples": 200}),
        "holm": Case(_const(public["holm"]), (np.array([0.01, 0.04, 0.03]),)),
        "PairedComparison": Case(_const(public["PairedComparison"]),
                                 (a - b, 0.1, (0.0, 0.2), 0.95, "BCa", 200, 3.0, 0.2, 8, 0, 0)),
    }


def _report_cases(public):
    if "html_report" not in public:
        return {}
    rows = [{"case": f"c{i}", "class": "fg", "metric": metric, "value": float(v),
             "convention": "both_empty=nan"}
            for i, v in enumerate(_probs((3,), seed=3)) for metric in ("dice", "hd95")]
    return {"html_report": Case(_const(public["html_report"]), (rows,),
                                {"conventions": {"both_empty": "nan"}, "worst": 2},
                                seconds=30.0, few=True)}


def _evidence_cases(public):
    if "forest_figure" not in public:
        return {}
    row = {"task": "lesions", "fraction": 0.02, "model": "unet", "threshold": "tuned",
           "figure": "dice_pooled", "baseline": "ce_dice"}
    summary = {"paired": [{**row, "loss": "ce", "estimate": -0.05, "low": -0.08, "high": -0.02},
                          {**row, "loss": "dice", "estimate": 0.01, "low": -0.02,
                           "high": 0.03}],
               "reliability": [{"task": "lesions", "fraction": 0.02, "model": "unet",
                                "loss": "ce", "count": [90, 0, 10],
                                "confidence": [0.1, math.nan, 0.8],
                                "frequency": [0.05, math.nan, 0.9]}],
               "contrasts": [{**row, "loss": "dinkelbach", "threshold": "half", "other": "ce",
                              "other_threshold": "tuned", "estimate": -0.02, "low": -0.03,
                              "high": -0.01}]}
    return {
        "contrast_figure": Case(_const(public["contrast_figure"]), (summary,),
                                {"loss": "dinkelbach", "model": "unet"}, few=True),
        "forest_figure": Case(_const(public["forest_figure"]), (summary,),
                              {"metric": "dice_pooled", "model": "unet"}, few=True),
        "reliability_figure": Case(_const(public["reliability_figure"]), (summary,),
                                   {"task": "lesions", "model": "unet"}, few=True),
    }


# --- Bad values -------------------------------------------------------------------------------

def _entry(array, value, dtype=float):
    out = np.array(array, dtype=dtype, copy=True)
    if out.size:
        out.flat[0] = value
    return out


def _array_bad_values(value):
    kind = value.dtype.kind
    bad = {
        "empty": np.zeros((0,) * max(value.ndim, 1), dtype=value.dtype),
        "extra axis": value[None],
        "0-d": np.asarray(value.flat[0]) if value.size else np.asarray(0),
        "object dtype": value.astype(object),
        "str dtype": value.astype(str),
        "complex": value.astype(complex) + 1j,
        "None": None,
    }
    if value.ndim > 1:
        bad["flattened"] = value.ravel()
    if value.shape and value.shape[-1] > 1:
        bad["shorter last axis"] = value[..., :-1]
    if kind == "f":
        bad.update({"nan entry": _entry(value, np.nan), "inf entry": _entry(value, np.inf),
                    "-inf entry": _entry(value, -np.inf), "1e300 entry": _entry(value, 1e300),
                    "-1e300 entry": _entry(value, -1e300), "all 1e300": value * 0 + 1e300,
                    "1e-300 entry": _entry(value, 1e-300), "negative entry": _entry(value, -0.5),
                    "above one": _entry(value, 1.5), "bool dtype": value > np.median(value)})
    elif kind in "iu":
        bad.update({"huge label": _entry(value, HUGE_INT, np.int64),
                    "negative label": _entry(value, -1, np.int64),
                    "float labels": value + 0.5, "nan label": _entry(value, np.nan),
                    "uint64 max": _entry(value, np.iinfo(np.uint64).max, np.uint64),
                    "label 2": _entry(value, 2, np.int64)})
    elif kind == "b":
        bad.update({"float 0.5": value * 0.5, "int with 2": _entry(value, 2, np.int64),
                    "nan entry": _entry(value, np.nan), "all False": np.zeros_like(value),
                    "all True": np.ones_like(value)})
    return bad


def bad_values(value, default=inspect.Parameter.empty):
    """``{label: bad value}`` derived from a valid ``value`` (or a keyword's default)."""
    if isinstance(value, np.ndarray):
        return _array_bad_values(value)
    if isinstance(value, (bool, np.bool_)):
        return {"flag 'no'": "no", "flag 1": 1, "flag None": None, "flag 0.5": 0.5}
    if isinstance(value, (int, np.integer)):
        return {"-1": -1, "0": 0, "2**40": HUGE_INT, "2**63": 2**63, "1.5": 1.5, "nan": math.nan,
                "str": "3", "None": None, "float": float(value), "array": np.array([value, value])}
    if isinstance(value, (float, np.floating)):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-1": -1.0, "0": 0.0,
                "2": 2.0, "1e300": 1e300, "-1e300": -1e300, "1e-300": 1e-300, "complex": 1j,
                "str": "x", "None": None, "bool": True, "float32": np.float32(value)}
    if isinstance(value, str):
        return {"unknown choice": "bogus", "empty str": "", "None": None, "int": 1,
                "upper case": value.upper() if value != value.upper() else value.lower()}
    if isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value):
        return {"empty tuple": (), "negative": tuple(-abs(v) - 1 for v in value),
                "nan": (math.nan,) * len(value), "huge": (HUGE_INT,) * len(value),
                "extra entry": value + value[:1], "str": "x", "None": None}
    if isinstance(value, (list, tuple)):
        return {"empty": type(value)(), "None": None, "str": "x", "nested": [value]}
    if isinstance(value, dict):
        return {"None": None, "empty": {}, "unknown key": {**value, "bogus": np.ones(2)},
                "list": list(value.values())}
    if isinstance(value, bytes):
        return {"empty": b"", "garbage": b"not a png", "None": None, "str": "x"}
    if value is None and default is None:
        return {"-1": -1, "2**40": HUGE_INT, "nan": math.nan, "inf": math.inf, "1.5": 1.5,
                "1e300": 1e300, "1e-300": 1e-300, "str": "bogus", "bool": True,
                "0-d array": np.asarray(1.0)}
    if callable(value):
        return {"None": None, "int": 1, "str": "x"}
    return {"None": None, "int": 1, "str": "x"}


# The bad values driven on slow callables: one of each kind.
FEW = {"nan", "inf", "-1", "0", "2**40", "None", "str", "flag 'no'", "unknown choice", "empty",
       "empty tuple", "huge", "nan entry", "inf entry", "1e300 entry", "complex",
       "shorter last axis", "extra axis"}


def bad_calls(case):
    """``{argument: {label: (args, kwargs)}}``: one bad value at a time, the rest valid.

    Positional arguments of the valid call stay positional; keywords the valid call leaves at
    their default are passed by name.
    """
    bound, signature = case.bound()
    calls = {}
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in bound.arguments:
            values = bad_values(bound.arguments[name], param.default)
        elif param.default is not param.empty and param.kind != param.POSITIONAL_ONLY:
            values = bad_values(param.default, param.default)
        else:
            continue
        per_label = {}
        for label, bad in values.items():
            if case.few and label not in FEW:
                continue
            arguments = dict(bound.arguments)
            arguments[name] = bad
            call = inspect.BoundArguments(signature, arguments)
            per_label[label] = (call.args, call.kwargs)
        calls[name] = per_label
    return calls
