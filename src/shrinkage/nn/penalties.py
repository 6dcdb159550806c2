"""Penalties on the parameters of a PyTorch model: L1, L2, elastic net and group L1.

Each penalty is built on a module (its default selection: the weights of linear and
convolution layers) or on an iterable of tensors, and knows two things:

* its **value**, ``penalty()``: a scalar tensor to add to the loss (differentiable);
* its **proximal map**, ``penalty.prox(step)``: applied in place, it solves

  .. math:: w \\leftarrow \\operatorname{argmin}_b \\tfrac12 \\|b - w\\|^2_{D^{-1}}
            + g(b), \\qquad D = \\operatorname{diag}(\\text{step})

  which for L1 sets weights **exactly** to zero. :class:`~shrinkage.nn.Proximal` calls it
  after every optimizer step.

Which tensors are penalized is :mod:`shrinkage.nn.selection`'s job; the proximal maps
themselves are the kernels of :mod:`shrinkage.nn.prox`. All penalties share the core's
conventions (:mod:`shrinkage.penalties`): ``alpha >= 0`` is
the strength; ``ElasticNet`` is ``alpha * sum(l1_ratio*|w| + (1 - l1_ratio)/2 * w**2)``.
``n_samples=n`` divides ``alpha`` by ``n``: Nielsen's ``λ/n Σ|w|`` and ``λ/(2n) Σ w²``.
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from .._docs import inherit_entries
from .prox import (
    DiagonalStep,
    Step,
    group_prox_metric_,
    group_soft_threshold,
    norms_per_group,
    shrink_factor,
    shrink_l2_,
    soft_threshold,
    soft_threshold_,
)
from .selection import (
    Include,
    Parameters,
    PenalizedParameter,
    computed_weights,
    default_include,
    select_parameters,
)

# The selection and the kernels are importable from here too, as before the split.
__all__ = [
    "L1",
    "L2",
    "ElasticNet",
    "GroupL1",
    "Penalty",
    "PenalizedParameter",
    "DiagonalStep",
    "default_include",
    "group_soft_threshold",
    "select_parameters",
    "soft_threshold",
]

# Weights stored in these get their proximal map computed in float32 and rounded once.
_LOW_PRECISION = (torch.float16, torch.bfloat16)


# -- argument checks (shared with Proximal) ------------------------------------------------------
def _scalar(value: Any) -> Any:
    """A one-element tensor or array as its Python number; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.item()
    if isinstance(value, Tensor) and value.numel() == 1:
        return value.item()
    return value


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _check_real(name: str, value: Any, example: str) -> float:
    """``value`` as a float; strings and booleans are refused, not converted."""
    number = _scalar(value)
    if _is_bool(number) or not isinstance(number, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}; pass e.g. {example}.")
    return float(number)


def _check_alpha(alpha: Any) -> float:
    value = _check_real("alpha", alpha, "alpha=1e-4")
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"alpha must be a finite number >= 0, got {alpha!r}. Use alpha=0 for no penalty."
        )
    return value


def _check_n_samples(n_samples: Any) -> int | None:
    """A positive integer: Python's, NumPy's or a one-element integer tensor; or ``None``.

    An integral float (``1e4``) is taken as that integer: ``n_samples`` only divides
    ``alpha``. ``100.5`` or a boolean is refused.
    """
    if n_samples is None:
        return None
    value = _scalar(n_samples)
    if _is_bool(value):
        count = None
    elif isinstance(value, numbers.Integral):
        count = operator.index(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        count = int(value)
    else:
        count = None
    if count is None or count < 1:
        raise ValueError(
            "n_samples must be a positive integer (the number of training examples), got "
            f"{n_samples!r}; pass e.g. n_samples=len(train_set), or leave it out."
        )
    return count


def _check_l1_ratio(l1_ratio: Any) -> float:
    value = _check_real("l1_ratio", l1_ratio, "l1_ratio=0.5")
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"l1_ratio must lie in [0, 1] (1 = L1, 0 = L2), got {l1_ratio!r}.")
    return value


def _check_groups(groups: Any) -> Literal["output", "input"]:
    if groups not in ("output", "input"):
        raise ValueError(
            f"groups must be 'output' (prune units) or 'input' (select inputs), got {groups!r}."
        )
    return groups


def _check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (NumPy's too); a string such as ``"no"`` is refused."""
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _broadcasts_to(shape: torch.Size, target: torch.Size) -> bool:
    try:
        return torch.broadcast_shapes(shape, target) == target
    except RuntimeError:
        return False


def _check_step(step: Any, entry: PenalizedParameter, source: str = "step") -> Step:
    """A step for ``entry``: a finite number >= 0, or a tensor of steps >= 0 that
    broadcasts to the parameter's shape. ``source`` names what produced it."""
    if isinstance(step, Tensor):
        if not step.is_floating_point() or not _broadcasts_to(step.shape, entry.param.shape):
            raise ValueError(
                f"{source} for {entry.name!r} must be a number or a float tensor shaped like "
                f"the parameter {tuple(entry.param.shape)}, got a {step.dtype} tensor of shape "
                f"{tuple(step.shape)}."
            )
        if not bool(torch.all(step >= 0)):  # NaN fails too
            raise ValueError(
                f"{source} for {entry.name!r} has entries that are negative or NaN; a step "
                "(the optimizer's per-coordinate learning rate) must be >= 0."
            )
        return step
    if _is_bool(step) or not isinstance(step, numbers.Real):
        raise TypeError(
            f"{source} for {entry.name!r} must be a number or a tensor shaped like the "
            f"parameter, got {step!r}."
        )
    if not (math.isfinite(step) and step >= 0):
        raise ValueError(
            f"{source} for {entry.name!r} must be a finite number >= 0 (a learning rate), "
            f"got {step!r}."
        )
    return float(step)


def _float32_step(step: Step | DiagonalStep) -> Step:
    """The step for a float32 copy of a low-precision weight, as an explicit ``D``.

    ``D = scale / denom`` directly: the factored form's ``w·denom`` is what overflows
    float16 (100·1000 > 65504).
    """
    if isinstance(step, DiagonalStep):
        return step.denom.float().reciprocal_().mul_(step.scale)
    if isinstance(step, Tensor):
        return step.float()
    return step


class Penalty:
    """Base class: a penalty ``g(w)`` on a fixed set of tensors.

    Parameters
    ----------
    parameters : nn.Module, Tensor or iterable of tensors / (name, tensor) pairs
        What to penalize; see :func:`select_parameters`. A module selects the weights of its
        linear and convolution layers by default, never biases or normalization parameters.
        A layer whose weight is computed (``weight_norm``, ``spectral_norm``) is not selected
        by default; a warning names it and its parameters (choose with ``include=``).
    alpha : float
        Strength ``>= 0``.
    n_samples : int, optional
        Number of training examples ``n``; if given, the strength used is ``alpha / n``
        (Nielsen's ``λ/n`` convention, so ``λ`` keeps its meaning when ``n`` changes).
    include : callable, optional
        ``include(name, param, module) -> bool`` replacing the default selection.

    Attributes
    ----------
    alpha : float
        Can be changed between steps (a penalty warm-up); it is saved by
        :meth:`Proximal.state_dict <shrinkage.nn.Proximal.state_dict>`, with the other
        settings (``n_samples``, ``l1_ratio``, ``groups``, ``size_weighted``).
    """

    #: ``True`` if the proximal map zeroes coordinates (the non-smooth penalties).
    sparse: bool = False
    #: The settings a state dict saves and restores, each with its check.
    _SETTINGS: dict[str, Callable[[Any], Any]] = {
        "alpha": _check_alpha,
        "n_samples": _check_n_samples,
    }
    #: Attributes keyed by object identity: rebuilt after a copy or pickle, never copied.
    _CACHES: tuple[str, ...] = ()

    def __init__(
        self,
        parameters: Parameters,
        alpha: float,
        *,
        n_samples: int | None = None,
        include: Include | None = None,
    ) -> None:
        self.alpha = alpha
        self.n_samples = n_samples
        self.entries = select_parameters(parameters, include)
        computed = (
            computed_weights(parameters)
            if include is None and isinstance(parameters, nn.Module)
            else {}
        )
        if not self.entries:
            what = type(parameters).__name__
            raise ValueError(
                f"{type(self).__name__} selected no parameters from this {what}. By default a "
                "module contributes the weights of its nn.Linear / nn.Conv*d / "
                "nn.ConvTranspose*d layers only (never biases or normalization parameters); "
                "pass include=lambda name, param, module: ... or an iterable of tensors to "
                f"choose others.{_computed_note(computed)}"
            )
        if computed:
            warnings.warn(
                f"{type(self).__name__} leaves out layers whose weight is computed rather than "
                f"stored as a parameter.{_computed_note(computed)} To keep this selection "
                "without the warning, pass include=shrinkage.nn.default_include.",
                UserWarning,
                stacklevel=2 if type(self).__init__ is Penalty.__init__ else 3,  # the caller
            )
        self._used_by: str | None = None  # set by Proximal: the value must not enter the loss
        self._warned_double_count = False
        self._build_caches()

    # -- copies: caches keyed by identity are rebuilt ------------------------------------------
    def _build_caches(self) -> None:
        """(Re)build what :attr:`_CACHES` names from ``entries`` and the settings."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in self._CACHES:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._build_caches()

    # -- hyperparameters -------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        self._alpha = _check_alpha(value)

    @property
    def n_samples(self) -> int | None:
        """The number of training examples ``n`` dividing ``alpha``, or ``None``."""
        return self._n_samples

    @n_samples.setter
    def n_samples(self, value: int | None) -> None:
        self._n_samples = _check_n_samples(value)

    @property
    def strength(self) -> float:
        """The coefficient in front of the penalty: ``alpha / n_samples`` or ``alpha``."""
        return self._alpha if self._n_samples is None else self._alpha / self._n_samples

    @property
    def parameters(self) -> list[Tensor]:
        """The penalized tensors, in selection order."""
        return [e.param for e in self.entries]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def config(self) -> dict[str, Any]:
        """The kind, parameter names and settings, as saved in a
        :class:`~shrinkage.nn.Proximal` state dict."""
        settings = {name: getattr(self, name) for name in self._SETTINGS}
        return {"penalty": type(self).__name__, "names": self.names, **settings}

    def _settings_from(self, config: dict[str, Any]) -> dict[str, Any]:
        """The settings saved in ``config``, checked as the constructor checks them.

        A setting missing from ``config`` (an older state dict) keeps its current value.
        """
        checked = {}
        for name, check in self._SETTINGS.items():
            if name in config:
                try:
                    checked[name] = check(config[name])
                except (TypeError, ValueError) as error:
                    raise ValueError(f"the saved {type(self).__name__}: {error}") from None
        return checked

    def _restore(self, settings: dict[str, Any]) -> None:
        for name, value in settings.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_repr().items())
        scale = "" if self.n_samples is None else f", n_samples={self.n_samples}"
        return f"{type(self).__name__}(alpha={self.alpha!r}{extra}{scale}, parameters={self.names})"

    def _extra_repr(self) -> dict[str, Any]:
        return {}

    # -- value -----------------------------------------------------------------------------
    def __call__(self, tensors: Sequence[Tensor] | None = None) -> Tensor:
        """The penalty value ``g(w)``, a differentiable scalar tensor.

        float16 and bfloat16 parameters are summed in float32, and the value is float32:
        their own sums overflow past 65504 (an ``L1`` of 2·10⁶ weights of 0.05 is inf).

        Parameters
        ----------
        tensors : sequence of Tensor, optional
            Evaluate on these instead of the penalized parameters (same number, same shapes,
            same order): a functional form, e.g. for :func:`torch.autograd.gradcheck`.
        """
        if tensors is None:
            tensors = self.parameters
            if self._used_by and torch.is_grad_enabled() and not self._warned_double_count:
                self._warned_double_count = True
                warnings.warn(
                    f"{type(self).__name__} is applied by {self._used_by} through its proximal "
                    "map after every step; adding penalty() to the loss as well counts it twice. "
                    "Leave it out of the loss (log it under torch.no_grad()).",
                    UserWarning,
                    stacklevel=2,
                )
        else:
            tensors = self._check_tensors(tensors)
        # float16 / bfloat16 sums overflow (65504) or round away: add up in float32.
        total = sum(
            self._value(e, t.float() if t.dtype in _LOW_PRECISION else t)
            for e, t in zip(self.entries, tensors, strict=True)
        )
        return self.strength * total

    def _check_tensors(self, tensors: Any) -> list[Tensor]:
        """One tensor per penalized parameter, each of that parameter's shape."""
        if isinstance(tensors, Tensor) or not isinstance(tensors, Iterable):
            raise TypeError(
                "tensors must be a sequence of tensors, one per penalized parameter "
                f"({self.names}), got a {type(tensors).__name__}; wrap one tensor in a list."
            )
        tensors = list(tensors)
        if len(tensors) != len(self.entries):
            raise ValueError(
                f"expected {len(self.entries)} tensors (one per penalized parameter), "
                f"got {len(tensors)}."
            )
        for entry, t in zip(self.entries, tensors, strict=True):
            if not isinstance(t, Tensor) or t.shape != entry.param.shape:
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(
                    f"the tensor for {entry.name!r} must have its shape "
                    f"{tuple(entry.param.shape)}, got {got}; pass the tensors in the order "
                    f"of penalty.names ({self.names})."
                )
        return tensors

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        raise NotImplementedError

    # -- proximal map ----------------------------------------------------------------------
    @torch.no_grad()
    def prox(self, step: Step | Sequence[Step]) -> None:
        """Apply the proximal map in place: ``w ← argmin_b ½‖b − w‖²_{D⁻¹} + g(b)``.

        Parameters
        ----------
        step : float, Tensor, or a sequence of those (one per penalized parameter)
            The step ``D``: a number (gradient descent with learning rate ``step``) or a
            tensor shaped like the parameter (a per-coordinate step, as an adaptive optimizer
            takes). A number is the classical ``prox_{step·g}``.
        """
        if isinstance(step, (Tensor, numbers.Real)):
            steps = [step] * len(self.entries)
        elif isinstance(step, Sequence) and not isinstance(step, (str, bytes)):
            steps = list(step)
            if len(steps) != len(self.entries):
                raise ValueError(
                    f"expected {len(self.entries)} steps (one per penalized parameter), "
                    f"got {len(steps)}."
                )
        else:
            raise TypeError(
                "step must be a number, a tensor shaped like the parameters, or a list of "
                f"those (one per penalized parameter), got {step!r}."
            )
        for entry, s in zip(self.entries, steps, strict=True):
            self.prox_parameter(entry, _check_step(s, entry))

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        """The proximal map on one parameter, in place (no checks: the hot path).

        ``step`` is a number, a tensor shaped like the parameter (not modified), or a
        :class:`DiagonalStep` (whose ``denom`` may be overwritten). A float16 or bfloat16
        parameter is mapped in float32 and rounded once.
        """
        w = entry.param
        if w.dtype in _LOW_PRECISION:
            # In place in float16, w·denom overflows, and every pass rounds again.
            x = w.float()
            self._prox(entry, x, _float32_step(step))
            w.copy_(x)
        else:
            self._prox(entry, w, step)

    def _prox(self, entry: PenalizedParameter, x: Tensor, step: Step | DiagonalStep) -> None:
        """The proximal map of ``entry``'s penalty applied to ``x`` (its weights) in place."""
        raise NotImplementedError


def _computed_note(computed: dict[str, list[str]]) -> str:
    """What a warning or an error says about layers whose weight is computed."""
    if not computed:
        return ""
    layers = "; ".join(
        f"layer {name!r} (from {', '.join(map(repr, params))})" for name, params in computed.items()
    )
    example = next(iter(computed.values()))[-1]
    return (
        f" Not penalized: {layers}, whose weight is computed by a parametrization "
        "(weight_norm, spectral_norm, ...). Remove the parametrization, or choose what to "
        f"penalize with include=, e.g. include=lambda name, param, module: name == {example!r}."
    )


@inherit_entries(Penalty)
class L1(Penalty):
    """Lasso penalty ``g(w) = alpha · Σ|w|`` (``alpha/n · Σ|w|`` with ``n_samples=n``).

    Its proximal map is soft-thresholding, ``w ← sign(w)·max(|w| − step·alpha, 0)``: every
    weight whose magnitude is below the threshold becomes exactly zero. Added to the loss
    instead, ``|w|`` only pushes weights around zero (its gradient is ``±alpha``); exact
    zeros need :class:`~shrinkage.nn.Proximal`.
    """

    sparse = True

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        return w.abs().sum()

    def _prox(self, entry: PenalizedParameter, x: Tensor, step: Step | DiagonalStep) -> None:
        soft_threshold_(x, step, self.strength)


@inherit_entries(Penalty)
class L2(Penalty):
    """Ridge penalty ``g(w) = alpha/2 · Σ w²`` (``alpha/(2n) · Σ w²`` with ``n_samples=n``).

    In the loss its gradient is ``alpha·w``, exactly what ``weight_decay=alpha`` does inside
    ``torch.optim.SGD`` and ``torch.optim.Adam`` (coupled L2). Its proximal map is the
    implicit shrink ``w ← w / (1 + step·alpha)``. Decoupled weight decay (AdamW) is a
    different update: see ``docs/nn.md``.
    """

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        return 0.5 * (w * w).sum()

    def _prox(self, entry: PenalizedParameter, x: Tensor, step: Step | DiagonalStep) -> None:
        shrink_l2_(x, step, self.strength)


@inherit_entries(Penalty)
class ElasticNet(Penalty):
    """Elastic net ``g(w) = alpha · Σ (l1_ratio·|w| + (1 − l1_ratio)/2 · w²)``.

    The core's formula (:class:`shrinkage.penalties.ElasticNetPenalty`). Proximal map:
    ``w ← S(w, step·alpha·l1_ratio) / (1 + step·alpha·(1 − l1_ratio))``.

    Parameters
    ----------
    l1_ratio : float
        Mix in ``[0, 1]``: 1 is :class:`L1`, 0 is :class:`L2`.
    """

    _SETTINGS = {**Penalty._SETTINGS, "l1_ratio": _check_l1_ratio}

    def __init__(
        self,
        parameters: Parameters,
        alpha: float,
        l1_ratio: float = 0.5,
        *,
        n_samples: int | None = None,
        include: Include | None = None,
    ) -> None:
        self.l1_ratio = l1_ratio
        super().__init__(parameters, alpha, n_samples=n_samples, include=include)

    @property
    def l1_ratio(self) -> float:
        """The mix in ``[0, 1]``: 1 is L1, 0 is L2."""
        return self._l1_ratio

    @l1_ratio.setter
    def l1_ratio(self, value: float) -> None:
        self._l1_ratio = _check_l1_ratio(value)

    @property
    def sparse(self) -> bool:  # type: ignore[override]
        """``True`` when the map has an L1 part (``l1_ratio > 0``)."""
        return self._l1_ratio > 0

    def _extra_repr(self) -> dict[str, Any]:
        return {"l1_ratio": self.l1_ratio}

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        return self.l1_ratio * w.abs().sum() + 0.5 * (1 - self.l1_ratio) * (w * w).sum()

    def _prox(self, entry: PenalizedParameter, x: Tensor, step: Step | DiagonalStep) -> None:
        s, ratio = self.strength, self.l1_ratio
        if ratio > 0:
            soft_threshold_(x, step, s * ratio)
        if ratio < 1:
            shrink_l2_(x, step, s * (1 - ratio))


@inherit_entries(Penalty)
class GroupL1(Penalty):
    """Group lasso: ``g(w) = alpha · Σ_g c_g ‖w_g‖₂`` over the units or inputs of each layer.

    .. math:: g(w) = \\alpha \\sum_{\\text{layers}} \\sum_{g} \\sqrt{p_g}\\,\\|w_g\\|_2

    with ``p_g`` the number of weights in group ``g`` (``c_g = sqrt(p_g)``, Yuan & Lin 2006;
    ``size_weighted=False`` sets ``c_g = 1``). The ``sqrt(p_g)`` makes ``alpha`` comparable to
    :class:`L1`'s: on a group of equal-magnitude weights ``sqrt(p_g)·‖w_g‖₂ = Σ|w_g|``, and
    layers with larger groups are not penalized less per weight.

    Parameters
    ----------
    groups : {"output", "input"}
        ``"output"``: one group per output unit / channel (a row of a linear weight, an
        output filter of a convolution) -- zero groups are pruned units. ``"input"``: one
        group per input feature / channel (a column; for a convolution, everything reading
        one input channel) -- on the first layer, zero groups are unused inputs (feature
        selection); on later layers, hidden units whose output nobody reads.
    size_weighted : bool
        Multiply each group's norm by ``sqrt(p_g)`` (default) or not.

    Notes
    -----
    Proximal map, scalar step ``t``: block soft-thresholding
    ``w_g ← w_g · max(0, 1 − t·alpha·c_g / ‖w_g‖₂)``. With a per-coordinate step ``d`` (an
    adaptive optimizer) there is no closed form; the map in the metric ``diag(d)⁻¹`` zeroes a
    group iff ``‖w_g / d_g‖₂ <= alpha·c_g`` and otherwise is found by a safeguarded Newton
    solve of a scalar equation per group (exact to rounding).
    """

    sparse = True
    _SETTINGS = {
        **Penalty._SETTINGS,
        "groups": _check_groups,
        "size_weighted": lambda value: _check_bool("size_weighted", value),
    }
    _CACHES = ("_position", "_workspace", "_dims", "_weights")

    def __init__(
        self,
        parameters: Parameters,
        alpha: float,
        *,
        groups: Literal["output", "input"] = "output",
        size_weighted: bool = True,
        n_samples: int | None = None,
        include: Include | None = None,
    ) -> None:
        self._groups = _check_groups(groups)
        self._size_weighted = _check_bool("size_weighted", size_weighted)
        super().__init__(parameters, alpha, n_samples=n_samples, include=include)

    def _build_caches(self) -> None:
        # Keyed by the entries' identity, which a copy changes: hence rebuilt, not copied.
        self._position = {id(e): k for k, e in enumerate(self.entries)}
        self._workspace: dict[int, tuple[Tensor, Tensor]] = {}
        self._dims = [e.reduce_dims(self._groups) for e in self.entries]
        self._weights = [
            math.sqrt(e.group_size(self._groups)) if self._size_weighted else 1.0
            for e in self.entries
        ]

    @property
    def groups(self) -> Literal["output", "input"]:
        """``"output"`` (one group per unit) or ``"input"`` (one group per input)."""
        return self._groups

    @groups.setter
    def groups(self, value: Literal["output", "input"]) -> None:
        self._groups = _check_groups(value)
        self._build_caches()

    @property
    def size_weighted(self) -> bool:
        """Whether each group's norm is multiplied by ``sqrt(p_g)``."""
        return self._size_weighted

    @size_weighted.setter
    def size_weighted(self, value: bool) -> None:
        self._size_weighted = _check_bool("size_weighted", value)
        self._build_caches()

    def _extra_repr(self) -> dict[str, Any]:
        return {"groups": self.groups, "size_weighted": self.size_weighted}

    def _index(self, entry: PenalizedParameter) -> int:
        try:
            return self._position[id(entry)]
        except KeyError:
            raise ValueError(f"{entry.name!r} is not one of this penalty's parameters.") from None

    def group_norms(self, entry: PenalizedParameter, w: Tensor | None = None) -> Tensor:
        """The ``‖w_g‖₂`` of one parameter, shaped ``(G, A or B, ...)`` with ones kept."""
        return torch.linalg.vector_norm(
            entry.grouped(w), dim=entry.reduce_dims(self.groups), keepdim=True
        )

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        k = self._index(entry)
        # ‖w_g‖ is not differentiable at 0; torch's subgradient there is 0, which is fine.
        return (
            self._weights[k] * torch.linalg.vector_norm(entry.grouped(w), dim=self._dims[k]).sum()
        )

    def _buffers(self, entry: PenalizedParameter, x: Tensor) -> tuple[Tensor, Tensor]:
        """Two scratch tensors like ``x``, kept: the metric prox runs every step."""
        work = self._workspace.get(id(entry))
        if work is None or work[0].dtype != x.dtype or work[0].device != x.device:
            work = self._workspace[id(entry)] = (torch.empty_like(x), torch.empty_like(x))
        return work

    def _prox(self, entry: PenalizedParameter, x: Tensor, step: Step | DiagonalStep) -> None:
        k = self._index(entry)
        tau = self.strength * self._weights[k]
        if tau == 0:
            return
        grouped = entry.grouped(x)
        if isinstance(step, DiagonalStep) or (isinstance(step, Tensor) and step.dim() > 0):
            work = self._buffers(entry, x)
            if isinstance(step, DiagonalStep):  # τD = τ·scale/denom, in denom's memory
                td = step.denom.reciprocal_().mul_(tau * step.scale)
            else:  # a caller's tensor: not ours to overwrite
                td = torch.mul(step.expand_as(x), tau)
            group_prox_metric_(
                grouped,
                entry.grouped(td),
                self._dims[k],
                entry.grouped(work[0]),
                entry.grouped(work[1]),
            )
        else:
            grouped.mul_(shrink_factor(norms_per_group(grouped, self._dims[k]), step * tau))
