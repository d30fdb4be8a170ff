r"""Every seglab loss as a PyTorch loss: a ``torch.nn.Module`` and a function.

Optional: needs PyTorch, installed with ``pip install 'seglab[torch]'`` (which pins
``torch==2.13.0``). ``import seglab`` never imports this module or PyTorch.

Each loss of :mod:`seglab.losses` whose signature has ``return_grad`` (all of them; a loss
added there is picked up when this module is imported) is available three ways, with the
keywords of the NumPy loss passed through unchanged:

* a module class, CamelCase with a ``Loss`` suffix:
  ``SoftDiceLoss(pooling='batch')(scores, target)``;
* a function of the same name as the NumPy loss: ``soft_dice_loss(scores, target, ...)``;
* by name: ``Loss('soft_dice_loss', ...)`` and ``loss('soft_dice_loss', scores, target, ...)``.

The forward pass calls the NumPy loss on the scores in float64; the backward pass is the
loss's closed-form gradient (computed in the same call, kept for the backward pass and
scaled by the incoming gradient), through a :class:`torch.autograd.Function`. No graph is
recorded through NumPy, and the backward pass is not itself differentiable (no
second-order gradients).

Conventions:

* ``scores`` is a floating-point tensor of shape ``(N, C, *spatial)`` (logits, or
  probabilities with ``from_logits=False``). The loss is a 0-dimensional tensor of the
  dtype and device of ``scores``; its gradient too. Computations are in float64.
* ``target`` is a tensor (a long label map or float one-hot / soft labels) or an array;
  like every other tensor keyword (``distance_map``, ``weight_map``, ``class_weights``,
  ...) it is a constant: it gets no gradient, even when it requires one.
* Tensors on another device (a GPU) are copied to the CPU for the NumPy loss, and the
  loss and gradient are copied back: correct, but each call synchronises the device.
* When no gradient is needed (``scores.requires_grad`` is False, or under
  :func:`torch.no_grad`), only the value is computed.
* The NumPy loss validates its input first: its ``TypeError`` and ``ValueError``
  reach the caller unchanged. Unknown keywords raise ``TypeError`` when the module is
  built; ``return_grad`` is set by this module and is refused.

Explained in the book, chapter 2 (book/ch2), whose losses these are.
"""

from __future__ import annotations

if __name__ == "torch":
    # This file is seglab/torch.py: it is imported as the top-level ``torch`` only when the
    # seglab/ folder itself is on sys.path (a script or an interpreter started there).
    raise ImportError("seglab/torch.py was imported as the top-level module 'torch' because "
                      "the seglab/ folder is on sys.path; run Python from elsewhere and "
                      "import it as seglab.torch")

import inspect

from seglab import losses as _losses
from seglab._optional import import_torch

torch = import_torch("seglab.torch")

__all__ = ["LOSSES", "Loss", "loss"]


def _numpy_losses():
    """The losses of :mod:`seglab.losses` with a closed-form gradient, by name."""
    found = {}
    for name in _losses.__all__:
        func = getattr(_losses, name)
        if not callable(func):
            continue
        params = list(inspect.signature(func).parameters)
        # A loss of the package's form: loss(scores, target, *, ..., return_grad, ...); the
        # book's closed forms on two numbers (tversky_pair_loss) are not network losses.
        if params[:2] == ["scores", "target"] and "return_grad" in params:
            found[name] = func
    return found


_FUNCS = _numpy_losses()

#: Names of the losses available here (those of :mod:`seglab.losses` with ``return_grad``).
LOSSES = tuple(sorted(_FUNCS))


def _options_signature(func):
    """The keyword-only options of a NumPy loss, less ``return_grad`` (set here)."""
    params = [p for p in inspect.signature(func).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "return_grad"]
    return inspect.Signature(params)


# Built once: checking the options of every call against them is then cheap.
_OPTIONS = {name: _options_signature(func) for name, func in _FUNCS.items()}


def _check_name(name):
    if not isinstance(name, str) or name not in _FUNCS:
        raise ValueError(f"name must be one of {list(LOSSES)}, got {name!r}")


def _check_options(name, options):
    """Refuse ``return_grad`` and keywords the NumPy loss does not take (TypeError)."""
    if "return_grad" in options:
        raise TypeError(f"{name}: return_grad is set by seglab.torch (the gradient is "
                        "computed when scores require it)")
    try:
        _OPTIONS[name].bind(**options)
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from None


def _to_numpy(value):
    """A tensor as a NumPy array on the CPU (detached: a constant); anything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _float64_numpy(scores):
    """The scores as a float64 NumPy array on the CPU (no copy when they already are)."""
    return scores.detach().to(device="cpu", dtype=torch.float64).numpy()


def _like(value, scores):
    """A NumPy value or gradient as a tensor of the dtype and device of ``scores``."""
    return torch.as_tensor(value, dtype=torch.float64).to(device=scores.device, dtype=scores.dtype)


class _NumpyLoss(torch.autograd.Function):
    """Value of a NumPy loss in the forward pass; its closed-form gradient in the backward."""

    @staticmethod
    def forward(ctx, scores, func, target, options):
        value, grad = func(_float64_numpy(scores), target, return_grad=True, **options)
        ctx.save_for_backward(_like(grad, scores))
        return _like(value, scores)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None, None, None


def _apply(name, scores, target, options):
    """Validate ``scores``, convert the constants and call the NumPy loss ``name``."""
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"scores must be a torch.Tensor, got {type(scores).__name__}")
    if not torch.is_floating_point(scores):
        raise TypeError(f"scores must be a floating-point tensor, got dtype {scores.dtype}")
    _check_options(name, options)
    func = _FUNCS[name]
    target = _to_numpy(target)
    options = {key: _to_numpy(value) for key, value in options.items()}
    if torch.is_grad_enabled() and scores.requires_grad:
        return _NumpyLoss.apply(scores, func, target, options)
    return _like(func(_float64_numpy(scores), target, **options), scores)


def loss(name, scores, target, **options):
    """The seglab loss ``name`` of PyTorch tensors, differentiable in ``scores``.

    Parameters
    ----------
    name : str
        A loss of :mod:`seglab.losses` (one of :data:`LOSSES`), e.g. ``'soft_dice_loss'``.
    scores : torch.Tensor of float, shape (N, C, ...)
        Logits (``from_logits=True``) or probabilities, as in :mod:`seglab.losses`.
    target : torch.Tensor or array_like
        Label map (long) of shape ``(N, *spatial)`` or one-hot / soft labels of the shape
        of ``scores``. A constant: it gets no gradient.
    **options
        The keyword options of the NumPy loss (all but ``return_grad``), passed through
        unchanged; tensors among them are constants.

    Returns
    -------
    value : torch.Tensor
        The loss, 0-dimensional, of the dtype and device of ``scores``; its gradient with
        respect to ``scores`` is the closed-form gradient of the NumPy loss.

    Raises
    ------
    TypeError
        If ``scores`` is not a floating-point tensor, or an option is unknown or is
        ``return_grad``; and as the NumPy loss.
    ValueError
        If ``name`` is not a loss of :data:`LOSSES`; and as the NumPy loss.

    Examples
    --------
    >>> import torch
    >>> from seglab.torch import loss
    >>> scores = torch.zeros(1, 1, 4, requires_grad=True)  # p = 1/2 everywhere
    >>> value = loss("soft_dice_loss", scores, torch.tensor([[1, 1, 0, 0]]))
    >>> value                                              # 1 - 2 * 1 / (2 + 2)
    tensor(0.5000, grad_fn=<_NumpyLossBackward>)
    >>> value.backward()
    >>> scores.grad
    tensor([[[-0.0938, -0.0938,  0.0312,  0.0312]]])
    """
    _check_name(name)
    return _apply(name, scores, target, options)


class Loss(torch.nn.Module):
    """The seglab loss ``name`` as a ``torch.nn.Module``, with its options fixed.

    Parameters
    ----------
    name : str
        A loss of :mod:`seglab.losses` (one of :data:`LOSSES`).
    **options
        Keyword options of the NumPy loss (all but ``return_grad``), passed through
        unchanged at every call. ``forward(scores, target, **more)`` takes further
        options for one call (e.g. a batch's ``distance_map``); they override these.

    Raises
    ------
    TypeError
        If an option is unknown to the loss, or is ``return_grad``.
    ValueError
        If ``name`` is not a loss of :data:`LOSSES`.

    See Also
    --------
    loss : the same as a function; its Returns section describes the output.

    Examples
    --------
    >>> import torch
    >>> from seglab.torch import Loss
    >>> criterion = Loss("tversky_loss", alpha=0.3, beta=0.7)
    >>> criterion
    Loss('tversky_loss', alpha=0.3, beta=0.7)
    >>> scores = torch.zeros(1, 1, 4, requires_grad=True)
    >>> criterion(scores, torch.tensor([[1, 1, 0, 0]]))  # 1 - 1 / (1 + 0.3 + 0.7)
    tensor(0.5000, grad_fn=<_NumpyLossBackward>)
    """

    def __init__(self, name, **options):
        super().__init__()
        _check_name(name)
        _check_options(name, options)
        self.name = name
        self.options = dict(options)

    def forward(self, scores, target, **more):
        """The loss of ``scores`` against ``target`` (see :func:`loss`)."""
        return _apply(self.name, scores, target, {**self.options, **more})

    def extra_repr(self):
        return ", ".join([repr(self.name)]
                         + [f"{key}={value!r}" for key, value in self.options.items()])

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def _class_name(name):
    """``soft_dice_loss`` -> ``SoftDiceLoss``; ``cross_entropy`` -> ``CrossEntropyLoss``."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    return camel if camel.endswith("Loss") else camel + "Loss"


_EXAMPLE = """
    Examples
    --------
    >>> import torch
    >>> from seglab import losses
    >>> from seglab.torch import {call}
    >>> scores = torch.tensor([[[0.5, -1.0, 2.0, -0.3]]], dtype=torch.float64,
    ...                       requires_grad=True)
    >>> target = torch.tensor([[1, 0, 1, 1]])
    >>> value = {call_expr}(scores, target{call_kw})
    >>> value.backward()
    >>> ref, grad = losses.{name}(scores.detach().numpy(), target.numpy(), return_grad=True{kw})
    >>> bool(value.item() == ref and torch.equal(scores.grad, torch.from_numpy(grad)))
    True
"""


# Example values of the options some losses require (keyword-only, no default).
_EXAMPLE_OPTIONS = {"metric_value": "0.5"}


def _example(name, call, *, module):
    """The Examples section of an adapted loss, with its required options filled in (given to
    the constructor of a module, to the call of a function)."""
    required = [p.name for p in _OPTIONS[name].parameters.values()
                if p.default is inspect.Parameter.empty]
    kw = "".join(f", {p}={_EXAMPLE_OPTIONS[p]}" for p in required)
    call_expr = f"{call}({kw[2:]})" if module else call
    return _EXAMPLE.format(call=call, call_expr=call_expr, name=name, kw=kw,
                           call_kw="" if module else kw)


def _options_doc(name):
    listed = ", ".join(f"``{p}``" for p in _OPTIONS[name].parameters)
    return (f"Keyword options of :func:`seglab.losses.{name}`, passed through unchanged:\n"
            f"        {listed}.")


def _make_function(name):
    def function(scores, target, **options):
        return _apply(name, scores, target, options)

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    inputs = list(inspect.signature(loss).parameters.values())[1:3]
    options = list(_OPTIONS[name].parameters.values())
    function.__signature__ = inspect.Signature(inputs + options)
    function.__doc__ = f"""PyTorch form of :func:`seglab.losses.{name}`: ``loss({name!r}, ...)``.

    Parameters
    ----------
    scores : torch.Tensor of float, shape (N, C, ...)
        Logits or probabilities (``from_logits=False``); the gradient flows to it.
    target : torch.Tensor or array_like
        Labels, as in :func:`seglab.losses.{name}`; a constant.
    **options
        {_options_doc(name)}

    Returns
    -------
    value : torch.Tensor
        The loss, 0-dimensional, dtype and device of ``scores``; see :func:`loss`.
{_example(name, name, module=False)}"""
    return function


def _make_class(name):
    def __init__(self, **options):
        Loss.__init__(self, name, **options)

    def extra_repr(self):
        return ", ".join(f"{key}={value!r}" for key, value in self.options.items())

    cls_name = _class_name(name)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    options = list(_OPTIONS[name].parameters.values())
    __init__.__signature__ = inspect.Signature([self_param, *options])
    doc = f"""PyTorch module of :func:`seglab.losses.{name}`: ``Loss({name!r}, **options)``.

    Parameters
    ----------
    **options
        {_options_doc(name)}
        ``forward(scores, target, **more)`` takes options for one call.

    See Also
    --------
    Loss, loss : the generic forms; the output is described there.
{_example(name, cls_name, module=True)}"""
    return type(cls_name, (Loss,), {"__init__": __init__, "extra_repr": extra_repr,
                                    "__doc__": doc, "__module__": __name__,
                                    "__qualname__": cls_name})


for _name in LOSSES:
    globals()[_name] = _make_function(_name)
    globals()[_class_name(_name)] = _make_class(_name)
    __all__ += [_name, _class_name(_name)]
del _name
