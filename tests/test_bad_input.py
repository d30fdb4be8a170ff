"""Every public callable of seglab, driven with bad and extreme inputs.

The registry of ``tests/bad_input_support.py`` holds one small valid call per public callable
(a class's constructor and methods included); each test here derives from it the bad calls of
one argument: NaN, infinite and 1e±300 entries, wrong dtypes (float, bool, object, str, complex
where labels are expected and the reverse), empty arrays, wrong ndim, a shape that no longer
matches the paired array, negative and huge (2**40) counts and labels, unknown choice strings
and non-bool flags. A bad call must raise ``TypeError`` or ``ValueError`` (a non-bool flag
must), or return finite values (or a value its docstring declares, listed in ``DOCUMENTED``);
it must not hang, warn (``RuntimeWarning``), or allocate much. The valid call and random
variants of it must leave their inputs unchanged, be deterministic and agree in float32 and
float64. ``test_every_public_callable_is_driven`` fails when a public callable has no entry.
"""

import copy
import dataclasses
import fnmatch
import resource
import signal
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from bad_input_support import bad_calls, public_callables, registry
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

MEMORY_LIMIT = 200 * 2**20  # bytes traced at the peak of one call on these small inputs
ADDRESS_SPACE_HEADROOM = 2 * 2**30  # a runaway allocation fails fast instead of swapping
FLOAT32 = {"rtol": 1e-3, "atol": 1e-4}  # float32 inputs against float64 ones

REGISTRY = registry()

# Patterns below are fnmatch patterns of "case|argument|bad value" (the valid call's own
# result is "case|valid|valid").

# Non-finite results a docstring declares, with the reason.
DOCUMENTED = {
    "*surface_distances|*|all False": "one empty mask: no distances, one_empty=inf (docstring)",
    "*hausdorff|*|all False": "one empty mask gives one_empty, inf by default (docstring)",
    "*assd|*|all False": "one empty mask gives one_empty, inf by default (docstring)",
    "average_surface_distance|*|all False": "one empty mask gives one_empty=inf (docstring)",
    "surface_metrics|*|all False": "one empty mask: each distance metric takes its default "
                                   "one_empty, inf (docstring of surface_metrics)",
    "*|one_empty|inf": "one_empty is the value returned for one empty mask (docstring)",
    "*|both_empty|*inf": "both_empty is the value returned for two empty masks (docstring)",
    "*|zero_division|*": "zero_division is the value of 0/0 (docstring); nan and inf are allowed",
    "trivial_classifier_metrics|*": "MCC of a constant prediction is 0/0: zero_division, NaN "
                                    "by default (docstring)",
    "expected_metrics|*|0-d": "a single prob: MCC's 0/0 is zero_division, NaN by default",
    "expected_metrics|threshold|*": "a threshold at or below every prob predicts all "
                                    "foreground: MCC's 0/0 is zero_division, NaN by default",
    "tune_threshold|*": "inf is the threshold that predicts nothing (docstring: Returns)",
    "empty_mask_loss|eps|0": "at mass = eps = 0 the loss and gradient are 0/0: NaN "
                             "(docstring: Returns)",
}

# Bad values that are not driven, with the reason.
NOT_DRIVEN = {
    "*crf*|*_iter|2[*][*]*": "the count of mean-field updates (no tolerance): 2**40 is work "
                             "asked for",
}

# Exceptions other than TypeError and ValueError that a docstring or convention declares.
ACCEPTED_ERRORS = {
    "Slider.*|index|*": (IndexError, "a frame index out of range is an IndexError, as for a "
                                      "sequence (Slider.kwargs raises it on purpose)"),
}

# Constructors that store what they are given, with the reason: their results are not checked.
STORES = {
    "CRFResult": "a result dataclass: holds what it is given, validates nothing",
    "RelaxationResult": "a result dataclass: holds what it is given, validates nothing",
    "TVResult": "a result dataclass: holds what it is given, validates nothing",
    "SurfaceDistances": "a result dataclass: holds what it is given, validates nothing",
    "Advice": "a result dataclass: holds what it is given, validates nothing",
    "Recommendation": "a result dataclass: holds what it is given, validates nothing",
    "Lesions": "a result named tuple: holds what it is given, validates nothing",
    "EvaluationResult": "a result dataclass: holds what it is given, validates nothing",
    "LesionCounts": "a result dataclass: holds what it is given (detection_scores checks it)",
    "LesionResult": "a result pair: holds what it is given, validates nothing",
    "PairedComparison": "a result dataclass: holds what it is given, validates nothing",
    "torch.*Loss": "a seglab.torch module stores its options; the NumPy loss checks their "
                   "values at each forward call (driven in the forward cases)",
}

# Results that differ between two calls by design.
NONDETERMINISTIC = {
    "Slider.to_html": "each page element gets a fresh id, so that two sliders never clash",
    "evaluate_dataset": "the summary records the date and time of the run (provenance)",
}

# Arguments a callable updates in place by design (docstring).
UPDATED_IN_PLACE = {
    "train|model": "train updates the model in place (docstring)",
    "Adam.step|params": "step updates every array of params in place (docstring)",
    "readonly|arrays": "readonly marks the arrays it is given read-only (docstring)",
}

# Faults found by this suite: (case, argument) -> reason; each is a strict xfail, so a fix
# makes the test fail until its line here is removed.
KNOWN_FAULTS = {}


def _matches(patterns, *parts):
    key = "|".join(parts)
    return next((value for pattern, value in patterns.items()
                 if fnmatch.fnmatchcase(key, pattern)), None)


class CallTimeout(BaseException):  # noqa: N818 - a BaseException, so no `except Exception` eats it
    """A call ran past its time limit."""


@dataclasses.dataclass
class Outcome:
    result: object = None
    error: BaseException | None = None
    peak: int = 0


def _alarm(signum, frame):
    raise CallTimeout


def _close_figures():
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


_WARM = set()


def call(case, args, kwargs):
    """Run one call under its time limit with RuntimeWarning as an error; trace its memory.

    The first call of a case is preceded by an untimed valid call: lazy imports (scikit-image,
    matplotlib) are not the call's time.
    """
    if id(case) not in _WARM:
        _WARM.add(id(case))
        try:
            case.make()(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except Exception:  # noqa: BLE001, S110 - test_valid_call reports a failing valid call
            pass
        _close_figures()
    previous = signal.signal(signal.SIGALRM, _alarm)
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    outcome = Outcome()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            signal.setitimer(signal.ITIMER_REAL, case.seconds)
            outcome.result = case.make()(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the verdict depends on the type
        outcome.error = exc
    except CallTimeout as exc:
        outcome.error = exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        outcome.peak = tracemalloc.get_traced_memory()[1] - base
        _close_figures()
    return outcome


def _is_figure(value):
    return hasattr(value, "savefig")


def _children(value):
    """The parts of a result that hold numbers."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    if type(value).__module__.startswith("seglab"):
        names = list(getattr(value, "__dict__", {})) + list(getattr(value, "__slots__", ()))
        return [getattr(value, name) for name in names]
    return []


def nonfinite(value, depth=0):
    """The kinds of non-finite numbers ({'nan', 'inf'}) anywhere in a result."""
    kinds = set()
    if depth > 4 or _is_figure(value):  # a figure draws what it was given
        return kinds
    if isinstance(value, (np.ndarray, float, complex, np.number)):
        array = np.asarray(value)
        if array.dtype.kind in "fc":
            kinds |= {"nan"} if np.isnan(array).any() else set()
            kinds |= {"inf"} if np.isinf(array).any() else set()
        return kinds
    for item in _children(value):
        kinds |= nonfinite(item, depth + 1)
    return kinds


def difference(first, second, rtol=0.0, atol=0.0, depth=0):
    """None when two results agree (NaN equal to NaN), else where they differ."""
    if depth > 4 or _is_figure(first):
        return None
    if isinstance(first, (np.ndarray, float, int, complex, np.number)):
        try:
            np.testing.assert_allclose(np.asarray(second), np.asarray(first), rtol=rtol,
                                       atol=atol, equal_nan=True)
        except (AssertionError, TypeError, ValueError) as exc:
            return str(exc)[:400]
        return None
    if type(first) is not type(second):
        return f"{type(first).__name__} and {type(second).__name__}"
    parts, others = _children(first), _children(second)
    if parts or others:
        if len(parts) != len(others):
            return f"{len(parts)} and {len(others)} parts"
        return next((found for a, b in zip(parts, others, strict=True)
                     if (found := difference(a, b, rtol, atol, depth + 1)) is not None), None)
    if isinstance(first, (str, bytes, bool, type(None))):
        return None if first == second else f"{first!r:.100} != {second!r:.100}"
    return None  # functions, widgets: compared through what they produce


def verdict(name, argument, label, outcome):
    """None when the bad call behaved, else what went wrong."""
    error = outcome.error
    if outcome.peak > MEMORY_LIMIT:
        return f"traced {outcome.peak / 2**20:.0f} MiB"
    if isinstance(error, CallTimeout):
        return f"ran past {REGISTRY[name].seconds} s"
    if error is not None:
        if isinstance(error, (TypeError, ValueError)) and not isinstance(
                error, (IndexError, KeyError, ArithmeticError, Warning)):
            return None
        accepted = _matches(ACCEPTED_ERRORS, name, argument, label)
        if accepted is not None and isinstance(error, accepted[0]):
            return None
        return f"raised {type(error).__name__}: {str(error)[:200]}"
    if _matches(STORES, name) is not None:
        return None
    if label.startswith("flag "):
        return "accepted a non-bool flag"
    kinds = nonfinite(REGISTRY[name].checked(outcome.result))
    if kinds and _matches(DOCUMENTED, name, argument, label) is None:
        return f"returned {'/'.join(sorted(kinds))}"
    return None


@pytest.fixture(scope="module", autouse=True)
def guarded():
    """Trace allocations, and cap the address space so that a runaway allocation fails fast."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    cap = size + ADDRESS_SPACE_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    tracemalloc.start()
    yield
    tracemalloc.stop()
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# Valid calls that fail: case -> reason; each is a strict xfail of test_valid_call.
VALID_FAULTS = {}


def _bad_params():
    for name, case in REGISTRY.items():
        for argument in bad_calls(case):
            reason = KNOWN_FAULTS.get((name, argument))
            marks = () if reason is None else pytest.mark.xfail(strict=True, reason=reason)
            yield pytest.param(name, argument, id=f"{name}-{argument}", marks=marks)


@pytest.mark.parametrize(("name", "argument"), list(_bad_params()))
def test_bad_input(name, argument):
    case = REGISTRY[name]
    faults = []
    for label, (args, kwargs) in bad_calls(case)[argument].items():
        if _matches(NOT_DRIVEN, name, argument, label) is not None:
            continue
        problem = verdict(name, argument, label, call(case, args, kwargs))
        if problem is not None:
            faults.append(f"{name}({argument}={label}): {problem}")
    assert not faults, "\n".join(faults)


def _variant(value, rng):
    """A random array like ``value``: same shape and dtype, values in its range or set."""
    if not isinstance(value, np.ndarray) or value.size == 0:
        return value
    if value.dtype.kind == "b":
        return rng.random(value.shape) < 0.5
    if value.dtype.kind in "iu":
        return rng.choice(np.unique(value), size=value.shape)
    if value.dtype.kind == "f":
        return rng.uniform(value.min(), value.max(), size=value.shape).astype(value.dtype)
    return value


def _nan_zero_division(case):
    """True when the call leaves zero_division at NaN: a random variant may meet a 0/0 there."""
    bound, signature = case.bound()
    parameter = signature.parameters.get("zero_division")
    value = bound.arguments.get("zero_division", getattr(parameter, "default", None))
    return isinstance(value, float) and np.isnan(value)


def _as_float32(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    return value


def _arguments(case, transform, arguments=None):
    """The call's ``(args, kwargs, arguments)`` with ``transform`` applied to every argument."""
    bound, _ = case.bound()
    bound.arguments.update({key: transform(value)
                            for key, value in (arguments or bound.arguments).items()})
    return bound.args, bound.kwargs, bound.arguments


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=() if name not in VALID_FAULTS
                 else pytest.mark.xfail(strict=True, reason=VALID_FAULTS[name]))
    for name in REGISTRY])
@settings(max_examples=2, deadline=None, phases=[Phase.explicit, Phase.generate])
@example(seed=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_valid_call(name, seed):
    """The valid call and random variants: finite, inputs untouched, deterministic, float32."""
    case = REGISTRY[name]
    if seed is None:
        args, kwargs, arguments = _arguments(case, lambda value: value)
    else:
        rng = np.random.default_rng(seed)
        args, kwargs, arguments = _arguments(case, lambda value: _variant(value, rng))
        if all(arguments[key] is value for key, value in case.bound()[0].arguments.items()):
            return  # no array to vary: the valid call is the only one
    saved = copy.deepcopy(arguments)
    first = call(case, args, kwargs)
    if seed is not None and isinstance(first.error, (TypeError, ValueError)):
        return  # a random variant may break a constraint between its arrays
    assert first.error is None, f"{name}: the valid call raised {first.error!r}"
    assert first.peak <= MEMORY_LIMIT, f"{name}: traced {first.peak / 2**20:.0f} MiB"
    kinds = nonfinite(case.checked(first.result))
    assert (not kinds or _matches(DOCUMENTED, name, "valid", "valid")
            or (kinds == {"nan"} and _nan_zero_division(case))), f"{name}: {kinds}"
    for key, value in saved.items():
        if _matches(UPDATED_IN_PLACE, name, key) is None:
            assert difference(value, arguments[key]) is None, f"{name} changed {key}"
    if _is_figure(first.result) or name in NONDETERMINISTIC:
        return
    fresh = copy.deepcopy(saved)  # a model trained in place starts again from the same state
    second = call(case, *_arguments(case, lambda value: value, fresh)[:2])
    assert second.error is None, f"{name}: the second call raised {second.error!r}"
    found = difference(first.result, second.result)
    assert found is None, f"{name} gave two results: {found}"
    if not any(_as_float32(value) is not value for value in saved.values()):
        return  # no float64 array: nothing to compare in float32
    args32, kwargs32, _ = _arguments(case, _as_float32, copy.deepcopy(saved))
    single = call(case, args32, kwargs32)
    if isinstance(single.error, (TypeError, ValueError)):
        return  # float32 declined with a clear error
    assert single.error is None, f"{name}: float32 input raised {single.error!r}"
    found = difference(first.result, single.result, **FLOAT32)
    assert found is None, f"{name}: float32 and float64 inputs disagree: {found}"


def test_every_public_callable_is_driven():
    """Every public callable has a valid call in the registry, and every entry is public."""
    public, clashes = public_callables()
    assert not clashes, "two public callables share a name:\n" + "\n".join(clashes)
    missing = sorted(set(public) - set(REGISTRY))
    assert not missing, ("public callables with no valid call in "
                         f"tests/bad_input_support.py: {', '.join(missing)}")
    stale = sorted(set(REGISTRY) - set(public))
    assert not stale, f"registry entries that are no longer public: {', '.join(stale)}"
