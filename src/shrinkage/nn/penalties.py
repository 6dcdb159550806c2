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
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import Tensor

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


def _check_alpha(alpha: Any) -> float:
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}.") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"alpha must be a finite number >= 0, got {alpha!r}. Use alpha=0 for no penalty."
        )
    return value


class Penalty:
    """Base class: a penalty ``g(w)`` on a fixed set of tensors.

    Parameters
    ----------
    parameters : nn.Module, Tensor or iterable of tensors / (name, tensor) pairs
        What to penalize; see :func:`select_parameters`. A module selects the weights of its
        linear and convolution layers by default, never biases or normalization parameters.
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
        :meth:`Proximal.state_dict <shrinkage.nn.Proximal.state_dict>`.
    """

    #: ``True`` if the proximal map zeroes coordinates (the non-smooth penalties).
    sparse: bool = False

    def __init__(
        self,
        parameters: Parameters,
        alpha: float,
        *,
        n_samples: int | None = None,
        include: Include | None = None,
    ) -> None:
        self.alpha = alpha
        if n_samples is not None:
            if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
                raise ValueError(
                    f"n_samples must be a positive integer (the number of training examples), "
                    f"got {n_samples!r}."
                )
        self.n_samples = n_samples
        self.entries = select_parameters(parameters, include)
        if not self.entries:
            what = type(parameters).__name__
            raise ValueError(
                f"{type(self).__name__} selected no parameters from this {what}. By default a "
                "module contributes the weights of its nn.Linear / nn.Conv*d / "
                "nn.ConvTranspose*d layers only (never biases or normalization parameters); "
                "pass include=lambda name, param, module: ... or an iterable of tensors to "
                "choose others."
            )
        self._used_by: str | None = None  # set by Proximal: the value must not enter the loss
        self._warned_double_count = False

    # -- hyperparameters -------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        self._alpha = _check_alpha(value)

    @property
    def strength(self) -> float:
        """The coefficient in front of the penalty: ``alpha / n_samples`` or ``alpha``."""
        return self._alpha if self.n_samples is None else self._alpha / self.n_samples

    @property
    def parameters(self) -> list[Tensor]:
        """The penalized tensors, in selection order."""
        return [e.param for e in self.entries]

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def config(self) -> dict[str, Any]:
        """The hyperparameters, as saved in a :class:`~shrinkage.nn.Proximal` state dict."""
        return {
            "penalty": type(self).__name__,
            "alpha": self.alpha,
            "n_samples": self.n_samples,
            "names": self.names,
        }

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._extra_repr().items())
        scale = "" if self.n_samples is None else f", n_samples={self.n_samples}"
        return f"{type(self).__name__}(alpha={self.alpha!r}{extra}{scale}, parameters={self.names})"

    def _extra_repr(self) -> dict[str, Any]:
        return {}

    # -- value -----------------------------------------------------------------------------
    def __call__(self, tensors: Sequence[Tensor] | None = None) -> Tensor:
        """The penalty value ``g(w)``, a differentiable scalar tensor.

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
        elif len(tensors) != len(self.entries):
            raise ValueError(
                f"expected {len(self.entries)} tensors (one per penalized parameter), "
                f"got {len(tensors)}."
            )
        total = sum(self._value(e, t) for e, t in zip(self.entries, tensors, strict=True))
        return self.strength * total

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
        steps = (
            list(step)
            if isinstance(step, Sequence) and not isinstance(step, Tensor)
            else [step] * len(self.entries)
        )
        if len(steps) != len(self.entries):
            raise ValueError(f"expected {len(self.entries)} steps, got {len(steps)}.")
        for entry, s in zip(self.entries, steps, strict=True):
            self._check_step(s)
            self.prox_parameter(entry, s)

    @staticmethod
    def _check_step(step: Step) -> None:
        if isinstance(step, Tensor):
            if not bool(torch.all(step >= 0)):
                raise ValueError("step sizes must be >= 0.")
        elif not (math.isfinite(step) and step >= 0):
            raise ValueError(f"step must be a finite number >= 0, got {step!r}.")

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        """The proximal map on one parameter, in place (no checks: the hot path).

        ``step`` is a number, a tensor shaped like the parameter (not modified), or a
        :class:`DiagonalStep` (whose ``denom`` may be overwritten).
        """
        raise NotImplementedError


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

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        soft_threshold_(entry.param, step, self.strength)


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

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        shrink_l2_(entry.param, step, self.strength)


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

    def __init__(
        self,
        parameters: Parameters,
        alpha: float,
        l1_ratio: float = 0.5,
        *,
        n_samples: int | None = None,
        include: Include | None = None,
    ) -> None:
        if not 0.0 <= float(l1_ratio) <= 1.0:
            raise ValueError(f"l1_ratio must lie in [0, 1] (1 = L1, 0 = L2), got {l1_ratio!r}.")
        self.l1_ratio = float(l1_ratio)
        super().__init__(parameters, alpha, n_samples=n_samples, include=include)
        self.sparse = self.l1_ratio > 0

    def _extra_repr(self) -> dict[str, Any]:
        return {"l1_ratio": self.l1_ratio}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "l1_ratio": self.l1_ratio}

    def _value(self, entry: PenalizedParameter, w: Tensor) -> Tensor:
        return self.l1_ratio * w.abs().sum() + 0.5 * (1 - self.l1_ratio) * (w * w).sum()

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        s = self.strength
        if self.l1_ratio > 0:
            soft_threshold_(entry.param, step, s * self.l1_ratio)
        if self.l1_ratio < 1:
            shrink_l2_(entry.param, step, s * (1 - self.l1_ratio))


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
        if groups not in ("output", "input"):
            raise ValueError(
                f"groups must be 'output' (prune units) or 'input' (select inputs), got {groups!r}."
            )
        self.groups = groups
        self.size_weighted = bool(size_weighted)
        super().__init__(parameters, alpha, n_samples=n_samples, include=include)
        self._position = {id(e): k for k, e in enumerate(self.entries)}
        self._workspace: dict[int, tuple[Tensor, Tensor]] = {}
        self._dims = [e.reduce_dims(groups) for e in self.entries]
        self._weights = [
            math.sqrt(e.group_size(groups)) if self.size_weighted else 1.0 for e in self.entries
        ]

    def _extra_repr(self) -> dict[str, Any]:
        return {"groups": self.groups, "size_weighted": self.size_weighted}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "groups": self.groups, "size_weighted": self.size_weighted}

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

    def prox_parameter(self, entry: PenalizedParameter, step: Step | DiagonalStep) -> None:
        k = self._index(entry)
        tau = self.strength * self._weights[k]
        if tau == 0:
            return
        x = entry.grouped()
        if isinstance(step, DiagonalStep) or (isinstance(step, Tensor) and step.dim() > 0):
            work = self._workspace.get(id(entry))
            if work is None:  # two buffers like the weights, kept: this runs every step
                work = self._workspace[id(entry)] = (
                    torch.empty_like(entry.param),
                    torch.empty_like(entry.param),
                )
            if isinstance(step, DiagonalStep):  # τD = τ·scale/denom, in denom's memory
                td = step.denom.reciprocal_().mul_(tau * step.scale)
            else:  # a caller's tensor: not ours to overwrite
                td = torch.mul(step.expand_as(entry.param), tau)
            group_prox_metric_(
                x, entry.grouped(td), self._dims[k], entry.grouped(work[0]), entry.grouped(work[1])
            )
        else:
            x.mul_(shrink_factor(norms_per_group(x, self._dims[k]), step * tau))
