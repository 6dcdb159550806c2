"""Adam's step and the proximal map sharing one denominator: ``Proximal``'s fast path.

``torch.optim.Adam`` (CPU, single-tensor implementation) computes, for each parameter,

.. math:: m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g, \\quad
          v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g^2, \\quad
          d = \\frac{\\sqrt{v_t}}{\\sqrt{1-\\beta_2^t}} + \\varepsilon, \\quad
          z = w - \\frac{\\text{lr}}{1-\\beta_1^t}\\,\\frac{m_t}{d}

allocating ``d`` afresh and discarding it. The preconditioned proximal map that follows
(:mod:`shrinkage.nn.step_rules`) needs exactly that ``d``: its step is ``D = lr / d``. Done
after ``optimizer.step()`` it must recompute ``d`` from ``exp_avg_sq`` (a square root and
two more passes over the weights). Here the step is taken with the same operations as
torch's, in the same order (so ``z`` is bit-for-bit torch's), with ``d`` kept in a
preallocated buffer and handed to the penalty as the factored step
:class:`~shrinkage.nn.prox.DiagonalStep` ``(d, lr)``. Nothing is recomputed and nothing is
allocated per step.

Only the configurations whose step this replicates take the path (:func:`eligible`):
``Adam`` / ``AdamW`` themselves (not subclasses), ``fused`` off, the single-tensor
implementation or, on the CPU, ``foreach=True`` (whose kernels there take the same steps,
bit for bit), no ``capturable`` / ``differentiable`` / ``maximize``,
number hyperparameters, no step hooks and no patched ``step``. Anything else goes through
``optimizer.step()`` and then the step rule, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim import optimizer as _torch_optimizer

from .penalties import Penalty
from .prox import DiagonalStep
from .selection import PenalizedParameter

__all__ = ["adam_prox_step", "eligible"]

_ADAMS = (torch.optim.Adam, torch.optim.AdamW)
# torch.optim's registries of hooks run by every optimizer's step().
_GLOBAL_PRE = getattr(_torch_optimizer, "_global_optimizer_pre_hooks", {})
_GLOBAL_POST = getattr(_torch_optimizer, "_global_optimizer_post_hooks", {})


def eligible(optimizer: Optimizer) -> bool:
    """Whether :func:`adam_prox_step` takes exactly ``optimizer``'s step.

    Checked before every step (a few microseconds): hooks, a scheduler's patched ``step``
    or a group's flags may change between steps.
    """
    if (
        type(optimizer) not in _ADAMS
        or "step" in vars(optimizer)  # patched on the instance (e.g. by a wrapper)
        or optimizer._optimizer_step_pre_hooks
        or optimizer._optimizer_step_post_hooks
        or _GLOBAL_PRE
        or _GLOBAL_POST
    ):
        return False
    for group in optimizer.param_groups:
        if (
            group.get("fused")
            or group.get("capturable")
            or group.get("differentiable")
            or group.get("maximize")
        ):
            return False
        foreach = group.get("foreach")
        beta1, beta2 = group["betas"]
        if (
            isinstance(group["lr"], Tensor)
            or isinstance(beta1, Tensor)
            or isinstance(beta2, Tensor)
            or isinstance(group["weight_decay"], Tensor)
        ):
            return False
        for p in group["params"]:
            # foreach (asked for, or unset off the CPU: torch's multi-tensor path): on the
            # CPU its kernels do the single-tensor operations, bit for bit (tested);
            # elsewhere keep torch's own numbers.
            if p.is_complex() or (foreach is not False and not p.is_cpu):
                return False
    return True


def _scalar_dtype() -> torch.dtype:
    # torch.optim's type for the step counter (a float64 default dtype gives float64).
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _workspace(cache: dict, p: Tensor) -> Tensor:
    """A scratch buffer shaped like ``p``, for Adam's denominator.

    A view of one flat buffer per dtype and device (the denominator is consumed before the
    next parameter's), the views kept per parameter: a dictionary look-up per step.
    """
    view = cache.get(id(p))
    if (
        view is not None
        and view.shape == p.shape
        and view.dtype == p.dtype
        and view.device == p.device
    ):
        return view
    if not p.is_contiguous():
        return torch.empty_like(p, memory_format=torch.preserve_format)
    key = (p.dtype, p.device)
    flat = cache.get(key)
    if flat is None or flat.numel() < p.numel():
        cache.clear()  # the views of the old buffer go with it
        flat = cache[key] = torch.empty(p.numel(), dtype=p.dtype, device=p.device)
    view = cache[id(p)] = flat[: p.numel()].view_as(p)
    return view


@torch.no_grad()
def adam_prox_step(
    optimizer: Optimizer,
    penalized: dict[int, tuple[Penalty, PenalizedParameter]],
    decoupled: bool,
    cache: dict,
    closure: Callable[[], float] | None = None,
):
    """One ``Adam`` / ``AdamW`` step, each penalized parameter's prox right after its update.

    Parameters
    ----------
    optimizer : torch.optim.Adam or torch.optim.AdamW
        Checked with :func:`eligible` first; its ``state`` is read and written as its own
        ``step()`` would (same keys, same dtypes: state dicts stay interchangeable).
    penalized : dict
        ``id(param) -> (penalty, entry)`` for the penalized parameters.
    decoupled : bool
        The prox step is ``lr`` instead of Adam's ``lr / d``.
    cache : dict
        Where the workspace lives between steps.
    closure : callable, optional
        Re-evaluates the loss, as for ``optimizer.step``.

    Returns
    -------
    The closure's loss, or ``None``.
    """
    loss = None
    if closure is not None:
        with torch.enable_grad():
            loss = closure()
    decoupled_default = isinstance(optimizer, torch.optim.AdamW)
    for group in optimizer.param_groups:
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad = group.get("amsgrad", False)
        decoupled_wd = group.get("decoupled_weight_decay", decoupled_default)
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError(
                    "Adam does not support sparse gradients, please consider SparseAdam instead"
                )
            state = optimizer.state[p]
            if len(state) == 0:  # as torch.optim.Adam._init_group
                state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                if amsgrad:
                    state["max_exp_avg_sq"] = torch.zeros_like(
                        p, memory_format=torch.preserve_format
                    )
            exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            # torch's _single_tensor_adam, operation for operation.
            step_t += 1
            if wd != 0:
                if decoupled_wd:
                    p.mul_(1 - lr * wd)
                else:
                    grad = grad.add(p, alpha=wd)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = step_t.item()
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            second = exp_avg_sq
            if amsgrad:
                second = state["max_exp_avg_sq"]
                torch.maximum(second, exp_avg_sq, out=second)
            denom = _workspace(cache, p)
            torch.sqrt(second, out=denom).div_(bias_correction2_sqrt).add_(eps)
            p.addcdiv_(exp_avg, denom, value=-(lr / bias_correction1))
            owner = penalized.get(id(p))
            if owner is not None:
                penalty, entry = owner
                # D = lr / denom, Adam's own step per coordinate (denom is scratch now).
                penalty.prox_parameter(entry, float(lr) if decoupled else DiagonalStep(denom, lr))
    return loss
