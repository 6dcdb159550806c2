"""Penalties on the parameters of a PyTorch model: L1, L2, elastic net and group L1.

Each penalty is built on a module (its default selection: the weights of linear and
convolution layers) or on an iterable of tensors, and knows two things:

* its **value**, ``penalty()``: a scalar tensor to add to the loss (differentiable);
* its **proximal map**, ``penalty.prox(step)``: applied in place, it solves

  .. math:: w \\leftarrow \\operatorname{argmin}_b \\tfrac12 \\|b - w\\|^2_{D^{-1}}
            + g(b), \\qquad D = \\operatorname{diag}(\\text{step})

  which for L1 sets weights **exactly** to zero. :class:`~shrinkage.nn.Proximal` calls it
  after every optimizer step.

All penalties share the core's conventions (:mod:`shrinkage.penalties`): ``alpha >= 0`` is
the strength; ``ElasticNet`` is ``alpha * sum(l1_ratio*|w| + (1 - l1_ratio)/2 * w**2)``.
``n_samples=n`` divides ``alpha`` by ``n``: Nielsen's ``λ/n Σ|w|`` and ``λ/(2n) Σ w²``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

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

Include = Callable[[str, Tensor, "nn.Module | None"], bool]
Step = float | Tensor

# The layers whose ``weight`` is penalized by default. Normalization layers (BatchNorm,
# LayerNorm, GroupNorm, ...) and every bias are left out: shrinking a scale or a shift
# changes what the layer computes without making the model any simpler. Embeddings are left
# out too: each row only gets gradient when its token appears, so a penalty there acts on
# rare tokens far more than on frequent ones (opt in with ``include=``).
_WEIGHT_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
_TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def default_include(name: str, param: Tensor, module: nn.Module | None) -> bool:
    """The default selection: the ``weight`` of ``nn.Linear``, ``nn.Conv*d`` and
    ``nn.ConvTranspose*d`` layers (subclasses included), if it requires grad.

    Never a bias, a normalization scale or shift, or an embedding.
    """
    return (
        isinstance(module, _WEIGHT_LAYERS)
        and param is getattr(module, "weight", None)
        and param.requires_grad
    )


@dataclass(frozen=True, eq=False)
class PenalizedParameter:
    """One penalized tensor and how its weights group into units and inputs.

    The tensor is seen as ``(G, O, I, K...)``: ``G`` convolution groups, ``O`` outputs and
    ``I`` inputs per group, ``K`` kernel positions. An *output group* is everything that
    feeds one output unit or channel (a row of a linear weight); an *input group* is
    everything that reads one input feature or channel (a column).
    """

    name: str
    param: Tensor
    conv_groups: int = 1
    transposed: bool = False

    def grouped(self, tensor: Tensor | None = None) -> Tensor:
        """A view of ``tensor`` (default: the parameter) shaped ``(G, A, B, K...)``.

        ``A, B`` are ``O, I`` (outputs first) except for transposed convolutions, whose
        weights are stored inputs first. In-place changes to the view change the tensor.
        """
        t = self.param if tensor is None else tensor
        if t.dim() == 1:
            # A vector is a column: each entry is an output, the whole vector one input.
            return t.unflatten(0, (1, t.shape[0])).unsqueeze(2)
        g = self.conv_groups
        return t.unflatten(0, (g, t.shape[0] // g))

    def reduce_dims(self, groups: Literal["output", "input"]) -> tuple[int, ...]:
        """Dimensions of :meth:`grouped` summed over within one group."""
        ndim = 3 if self.param.dim() == 1 else self.param.dim() + 1
        kernel = tuple(range(3, ndim))
        out_dim, in_dim = (2, 1) if self.transposed else (1, 2)
        # An output group runs over the inputs (and kernel), an input group over the outputs.
        return (in_dim, *kernel) if groups == "output" else (out_dim, *kernel)

    def group_size(self, groups: Literal["output", "input"]) -> int:
        shape = self.grouped().shape
        return math.prod(shape[d] for d in self.reduce_dims(groups))


def _check_initialized(name: str, param: Tensor) -> None:
    if isinstance(param, nn.parameter.UninitializedParameter):
        raise ValueError(
            f"parameter {name!r} is not initialized yet (a lazy module): run one forward pass "
            "before building the penalty."
        )


def _as_entries(
    parameters: nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]],
    include: Include | None,
) -> list[PenalizedParameter]:
    if isinstance(parameters, nn.Module):
        keep = default_include if include is None else include
        entries, seen = [], set()
        for module_name, module in parameters.named_modules():
            for param_name, param in module.named_parameters(recurse=False):
                if id(param) in seen:  # tied weights are penalized once
                    continue
                name = f"{module_name}.{param_name}" if module_name else param_name
                if keep(name, param, module):
                    _check_initialized(name, param)
                    seen.add(id(param))
                    entries.append(
                        PenalizedParameter(
                            name,
                            param,
                            int(getattr(module, "groups", 1)) if param.dim() > 2 else 1,
                            isinstance(module, _TRANSPOSED),
                        )
                    )
        return entries
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    entries, seen = [], set()
    for k, item in enumerate(parameters):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor):
            name, param = item
        elif isinstance(item, Tensor):
            name, param = f"params[{k}]", item
        else:
            raise TypeError(
                "parameters must be an nn.Module or an iterable of tensors or of "
                f"(name, tensor) pairs; item {k} is a {type(item).__name__}."
            )
        if id(param) in seen or (include is not None and not include(name, param, None)):
            continue
        seen.add(id(param))
        entries.append(PenalizedParameter(str(name), param))
    return entries


def select_parameters(
    parameters: nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]],
    include: Include | None = None,
) -> list[PenalizedParameter]:
    """The tensors a penalty acts on.

    Parameters
    ----------
    parameters : nn.Module, Tensor or iterable
        A module: its parameters are walked layer by layer and kept when
        ``include(name, param, module)`` is true (default :func:`default_include`: the
        weights of linear and convolution layers). An iterable of tensors or of
        ``(name, tensor)`` pairs (``model.named_parameters()``): all are kept unless
        ``include(name, param, None)`` says otherwise.
    include : callable, optional
        ``include(name, param, module) -> bool``.

    Returns
    -------
    list of PenalizedParameter
        Each distinct tensor once (tied weights are not counted twice).
    """
    entries = _as_entries(parameters, include)
    for entry in entries:
        p = entry.param
        _check_initialized(entry.name, p)
        if not p.is_floating_point():
            raise TypeError(f"parameter {entry.name!r} has dtype {p.dtype}; penalties need floats.")
        if p.dim() == 0:
            raise ValueError(f"parameter {entry.name!r} is a scalar; penalize tensors of dim >= 1.")
    return entries


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


def soft_threshold(x: Tensor, threshold: Step) -> Tensor:
    """Soft-thresholding, the proximal map of ``threshold·|x|`` (elementwise).

    .. math:: S(x, t) = \\operatorname{sign}(x)\\max(|x| - t, 0)
                        = x - \\operatorname{clip}(x, -t, t)

    The second form gives an exact ``0.0`` whenever ``|x| <= t`` (``x - x``), in two ops.
    ``threshold`` is a number or a tensor broadcastable to ``x``.
    """
    return x - torch.clamp(x, min=-threshold, max=threshold)


class DiagonalStep:
    """A per-coordinate step ``D = scale / denom``, kept factored.

    Adaptive optimizers step by ``lr / (sqrt(v) + eps)``; keeping the denominator lets the
    proximal maps run in place in a few passes over the weights, e.g. L1 as
    ``w ← S(w·denom, alpha·scale) / denom``, instead of materializing ``D`` first.
    ``denom`` is scratch space: a proximal map may overwrite it.
    """

    __slots__ = ("denom", "scale")

    def __init__(self, denom: Tensor, scale: float) -> None:
        self.denom = denom
        self.scale = float(scale)

    def tensor(self) -> Tensor:
        """``D`` itself (computed in ``denom``'s memory)."""
        return self.denom.reciprocal_().mul_(self.scale)


def _softshrink_(x: Tensor, threshold: float) -> None:
    """``x ← S(x, threshold)`` in one in-place pass (exact zeros where ``|x| <= t``)."""
    try:
        torch.ops.aten.softshrink.out(x, threshold, out=x)
    except (AttributeError, RuntimeError):  # pragma: no cover - older or exotic builds
        x.copy_(torch.nn.functional.softshrink(x, threshold))


def _soft_threshold_(x: Tensor, threshold: Step | DiagonalStep, alpha: float) -> None:
    """``x ← S(x, alpha·step)`` in place for a number, tensor or factored step."""
    if isinstance(threshold, DiagonalStep):
        # S(x, a·c/s) = S(x·s, a·c) / s for s > 0: three in-place passes.
        x.mul_(threshold.denom)
        _softshrink_(x, alpha * threshold.scale)
        x.div_(threshold.denom)
    elif isinstance(threshold, Tensor):
        t = threshold * alpha
        # x - clip(x, -t, t), with minimum/maximum: cheaper than clamp with tensor bounds.
        clipped = torch.minimum(x, t)
        torch.maximum(clipped, t.neg_(), out=clipped)
        x.sub_(clipped)
    else:
        _softshrink_(x, threshold * alpha)


def _shrink_l2_(x: Tensor, step: Step | DiagonalStep, alpha: float) -> None:
    """``x ← x / (1 + alpha·step)`` in place."""
    if isinstance(step, DiagonalStep):
        # x / (1 + a·c/s) = x·s / (s + a·c); denom is scratch.
        x.mul_(step.denom)
        x.div_(step.denom.add_(alpha * step.scale))
    else:
        x.div_(1 + step * alpha)


def group_soft_threshold(x: Tensor, threshold: Step, dim: int | Sequence[int]) -> Tensor:
    """Block soft-thresholding, the proximal map of ``threshold·‖x_g‖₂`` per group.

    .. math:: x_g \\leftarrow x_g \\max\\Big(0, 1 - \\frac{t}{\\|x_g\\|_2}\\Big)

    Groups are the slices reduced over ``dim``; ``threshold`` is a number or a tensor
    broadcastable to the group norms (``keepdim=True`` shape). A group whose norm is at most
    ``t`` becomes exactly zero.
    """
    norms = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x * _shrink_factor(norms, threshold)


def _group_norms(x: Tensor, dim: tuple[int, ...]) -> Tensor:
    """``‖x_g‖₂`` over ``dim`` (kept), fast either way, for the no-grad paths.

    ``vector_norm`` is fast over trailing dimensions but ~10x slower over a leading one
    (the columns of a weight matrix: input groups); a sum of squares is fast on both.
    """
    if dim == tuple(range(x.dim() - len(dim), x.dim())):
        return torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return torch.sum(x * x, dim=dim, keepdim=True).sqrt_()


def _shrink_factor(norms: Tensor, threshold: Step) -> Tensor:
    # 1 - t/‖x‖ clipped at 0; a zero group stays zero (0/0 would give NaN).
    safe = torch.where(norms > 0, norms, torch.ones_like(norms))
    return torch.where(norms > 0, torch.clamp(1 - threshold / safe, min=0), torch.zeros_like(norms))


def _group_prox_metric_(
    x: Tensor, td: Tensor, dim: tuple[int, ...], work: Tensor, work2: Tensor
) -> None:
    """In place: ``x ← argmin_b Σ_i (b_i − x_i)²/(2 d_i) + τ‖b‖₂`` per group.

    Group L1 in the diagonal metric ``diag(d)⁻¹``; ``td = τ·d`` (overwritten), ``work`` and
    ``work2`` are scratch buffers shaped like ``x``. The optimality condition gives ``b = 0``
    iff ``‖x/d‖₂ <= τ``, i.e. ``‖x/(τd)‖₂ <= 1``, and otherwise ``b_i = x_i r / (r + τ d_i)``
    with ``r = ‖b‖₂ > 0`` the root of ``φ(r) = (Σ_i x_i²/(r + τ d_i)²)^(-1/2) − 1``,
    increasing in ``r`` and bracketed by ``[‖x‖ − max τd, ‖x‖ − min τd]``. Safeguarded Newton
    solves it (1–3 iterations in practice); with a constant ``d``, ``φ`` is linear and Newton
    lands on ``r = ‖x‖ − τd`` (block soft-thresholding) at once.
    """
    # A coordinate with d_i = 0 cannot move; a tiny d_i gives b_i = x_i to rounding.
    td.clamp_(min=torch.finfo(td.dtype).tiny)
    active = _group_norms(torch.div(x, td, out=work), dim) > 1
    norm = _group_norms(x, dim)
    lo = torch.clamp(norm - torch.amax(td, dim=dim, keepdim=True), min=0)
    hi = torch.clamp(norm - torch.amin(td, dim=dim, keepdim=True), min=0)
    r = hi
    x2 = torch.mul(x, x, out=work)
    tol = 8 * torch.finfo(x.dtype).eps
    for _ in range(100):
        inv_q = torch.add(td, r, out=work2).reciprocal_()  # 1 / (r + τd)
        term = x2 * inv_q
        term.mul_(inv_q)
        psi = term.sum(dim=dim, keepdim=True)  # Σ x²/q²
        dpsi = -2 * term.mul_(inv_q).sum(dim=dim, keepdim=True)  # −2 Σ x²/q³
        phi = psi.rsqrt() - 1
        dphi = -0.5 * psi.pow(-1.5) * dpsi
        lo = torch.where(phi < 0, r, lo)
        hi = torch.where(phi < 0, hi, r)
        newton = r - phi / dphi
        # Newton inside the bracket, bisection otherwise (a step that leaves it).
        inside = (newton >= lo) & (newton <= hi) & torch.isfinite(newton)
        r_new = torch.where(inside, newton, (lo + hi) / 2)
        converged = (torch.abs(r_new - r) <= tol * r) | (torch.abs(phi) <= tol) | ~active
        r = r_new
        if bool(converged.all()):
            break
    r = torch.where(active, r, torch.zeros_like(r))
    # b = x · r / (r + τd), and exactly 0 in the inactive groups (r = 0 there).
    x.mul_(torch.add(td, r, out=work2).reciprocal_().mul_(r))


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
        parameters: nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]],
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
        _soft_threshold_(entry.param, step, self.strength)


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
        _shrink_l2_(entry.param, step, self.strength)


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
        parameters: nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]],
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
            _soft_threshold_(entry.param, step, s * self.l1_ratio)
        if self.l1_ratio < 1:
            _shrink_l2_(entry.param, step, s * (1 - self.l1_ratio))


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
        parameters: nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]],
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
            _group_prox_metric_(
                x, entry.grouped(td), self._dims[k], entry.grouped(work[0]), entry.grouped(work[1])
            )
        else:
            x.mul_(_shrink_factor(_group_norms(x, self._dims[k]), step * tau))
