"""Proximal kernels: the in-place maps that the penalties apply after each step.

With a step ``D`` (a number, or one per coordinate for an adaptive optimizer), the
proximal map of a penalty ``g`` is

.. math:: \\operatorname{prox}^{D}_{g}(x) = \\operatorname{argmin}_b
          \\tfrac12 \\|b - x\\|^2_{D^{-1}} + g(b).

=========================== ===============================================================
``g``                       map (``t = alpha·D``)
=========================== ===============================================================
``alpha·|x|``               soft-thresholding ``S(x, t) = sign(x)·max(|x| − t, 0)``:
                            :func:`soft_threshold`, :func:`soft_threshold_`
``alpha/2·x²``              ``x / (1 + t)``: :func:`shrink_l2_`
``alpha·‖x_g‖₂`` per group  block soft-thresholding ``x_g·max(0, 1 − t/‖x_g‖₂)`` for a
                            number ``D`` (:func:`group_soft_threshold`, :func:`shrink_factor`);
                            for a per-coordinate ``D``, a scalar root per group
                            (:func:`group_prox_metric_`)
=========================== ===============================================================

The maps give **exact** zeros: ``|x| <= t`` gives ``0.0``, not a tiny number. The functions
ending in ``_`` work in place (the hot path: no allocation per step); a per-coordinate step
may come factored as a :class:`DiagonalStep`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "DiagonalStep",
    "Step",
    "group_prox_metric_",
    "group_soft_threshold",
    "norms_per_group",
    "shrink_factor",
    "shrink_l2_",
    "soft_threshold",
    "soft_threshold_",
    "softshrink_",
]

#: A step ``D``: a number (gradient descent with that learning rate) or a tensor shaped
#: like the parameter (one step per coordinate).
Step = float | Tensor


def soft_threshold(x: Tensor, threshold: Step) -> Tensor:
    """Soft-thresholding, the proximal map of ``threshold·|x|`` (elementwise).

    .. math:: S(x, t) = \\operatorname{sign}(x)\\max(|x| - t, 0)
                        = x - \\operatorname{clip}(x, -t, t)

    The second form gives an exact ``0.0`` whenever ``|x| <= t`` (``x - x``), in two ops.
    ``threshold`` is a number or a tensor broadcastable to ``x``.

    Parameters
    ----------
    x : Tensor
    threshold : float or Tensor
        ``t >= 0``.

    Returns
    -------
    Tensor
        A new tensor shaped like ``x``.

    Raises
    ------
    ValueError
        If ``threshold`` is negative or NaN anywhere.
    """
    _check_threshold(threshold)
    return x - torch.clamp(x, min=-threshold, max=threshold)


def _check_threshold(threshold: Step) -> None:
    """A negative threshold is no proximal map (it inflates ``x``): refuse it."""
    if isinstance(threshold, Tensor):
        bad = bool(torch.any(~(threshold >= 0)))
    else:
        bad = not float(threshold) >= 0
    if bad:
        got = threshold
        if isinstance(threshold, Tensor):
            got = "a tensor with negative or NaN entries"
        raise ValueError(f"threshold must be >= 0 everywhere (it is step·alpha); got {got}.")


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


# The C binding of softshrink's out= form: a third of the cost of a torch.ops call, which
# counts on small layers (a few microseconds a call, several calls a step).
_softshrink_out = getattr(getattr(torch._C, "_nn", None), "softshrink", None)


def softshrink_(x: Tensor, threshold: float) -> None:
    """``x ← S(x, threshold)`` in one in-place pass (exact zeros where ``|x| <= t``)."""
    try:
        _softshrink_out(x, threshold, out=x)
    except (TypeError, RuntimeError):  # pragma: no cover - older or exotic builds
        x.copy_(torch.nn.functional.softshrink(x, threshold))


def soft_threshold_(x: Tensor, threshold: Step | DiagonalStep, alpha: float) -> None:
    """``x ← S(x, alpha·step)`` in place for a number, tensor or factored step."""
    if alpha == 0:  # the identity; and 0·inf (an infinite step) would make NaN
        return
    if isinstance(threshold, DiagonalStep):
        # S(x, a·c/s) = S(x·s, a·c) / s for s > 0: three in-place passes. x·s can overflow
        # only in float16 (|x|·s > 65504), which the penalties compute in float32 instead.
        x.mul_(threshold.denom)
        softshrink_(x, alpha * threshold.scale)
        x.div_(threshold.denom)
    elif isinstance(threshold, Tensor):
        t = threshold * alpha
        # x - clip(x, -t, t), with minimum/maximum: cheaper than clamp with tensor bounds.
        clipped = torch.minimum(x, t)
        torch.maximum(clipped, t.neg_(), out=clipped)
        x.sub_(clipped)
    else:
        softshrink_(x, threshold * alpha)


def shrink_l2_(x: Tensor, step: Step | DiagonalStep, alpha: float) -> None:
    """``x ← x / (1 + alpha·step)`` in place."""
    if alpha == 0:
        return
    if isinstance(step, DiagonalStep):
        # 1 + a·c/s in denom's memory (scratch): no x·s product to overflow.
        x.div_(step.denom.reciprocal_().mul_(alpha * step.scale).add_(1))
    else:
        x.div_(1 + step * alpha)


def group_soft_threshold(x: Tensor, threshold: Step, dim: int | Sequence[int]) -> Tensor:
    """Block soft-thresholding, the proximal map of ``threshold·‖x_g‖₂`` per group.

    .. math:: x_g \\leftarrow x_g \\max\\Big(0, 1 - \\frac{t}{\\|x_g\\|_2}\\Big)

    Groups are the slices reduced over ``dim``; ``threshold`` is a number or a tensor
    broadcastable to the group norms (``keepdim=True`` shape). A group whose norm is at most
    ``t`` becomes exactly zero.

    Parameters
    ----------
    x : Tensor
    threshold : float or Tensor
        ``t >= 0``.
    dim : int or sequence of int
        The dimensions a group spans (reduced to compute its norm).

    Returns
    -------
    Tensor
        A new tensor shaped like ``x``.

    Raises
    ------
    ValueError
        If ``threshold`` is negative or NaN anywhere.
    """
    _check_threshold(threshold)
    norms = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x * shrink_factor(norms, threshold)


def norms_per_group(x: Tensor, dim: tuple[int, ...]) -> Tensor:
    """``‖x_g‖₂`` over ``dim`` (kept), fast either way, for the no-grad paths.

    ``vector_norm`` is fast over trailing dimensions but ~10x slower over a leading one
    (the columns of a weight matrix: input groups); a sum of squares is fast on both.
    """
    if dim == tuple(range(x.dim() - len(dim), x.dim())):
        return torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return torch.sum(x * x, dim=dim, keepdim=True).sqrt_()


def shrink_factor(norms: Tensor, threshold: Step) -> Tensor:
    """The factor ``max(0, 1 − t/‖x_g‖₂)`` of block soft-thresholding, from the norms.

    A zero group gets factor 0 and stays zero (``0/0`` would give NaN). A NaN norm gives
    a NaN factor: the whole group turns NaN, as a diverged step should show, instead of
    its finite members turning into zeros that would count as pruned.
    """
    nonzero = norms != 0  # True for NaN
    safe = torch.where(nonzero, norms, torch.ones_like(norms))
    return torch.where(nonzero, torch.clamp(1 - threshold / safe, min=0), torch.zeros_like(norms))


def group_prox_metric_(
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
    # NaN (a diverged step) counts as active: the group turns NaN, not into "pruned" zeros.
    active = ~(norms_per_group(torch.div(x, td, out=work), dim) <= 1)
    norm = norms_per_group(x, dim)
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
        converged |= torch.isnan(r_new)
        r = r_new
        if bool(converged.all()):
            break
    r = torch.where(active, r, torch.zeros_like(r))
    # b = x · r / (r + τd), and exactly 0 in the inactive groups (r = 0 there).
    x.mul_(torch.add(td, r, out=work2).reciprocal_().mul_(r))
