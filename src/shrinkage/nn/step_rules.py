"""The step ``D`` an optimizer took, per coordinate: the step rule of ``Proximal``.

The proximal map after an optimizer step must use the step the optimizer really took,
``D`` in ``prox^D_g(z) = argmin_b ½‖b − z‖²_{D⁻¹} + g(b)`` (see
:mod:`shrinkage.nn.proximal`):

* ``SGD``: ``D = lr``; with momentum ``μ`` (and dampening ``d``, Nesterov or not)
  ``D = lr·(1 − d)/(1 − μ)``, the step momentum takes on a steady gradient.
* ``Adam``, ``AdamW``, ``NAdam`` (and ``amsgrad``): ``D = lr / (sqrt(v_t / (1 - β₂ᵗ)) + eps)``.
* ``RAdam``: ``lr·r_t·sqrt(1 - β₂ᵗ) / (sqrt(v_t) + eps)`` once rectified, ``lr`` before.
* ``Adamax``: ``lr / u_t``. ``Adagrad``: ``lr_t / (sqrt(G_t) + eps)``.
* ``RMSprop``: ``lr / (sqrt(v_t [- m_t²]) + eps)``, divided by ``1 − μ`` with momentum.
* ``Adadelta``: ``lr·sqrt(Δ_t + eps) / sqrt(v_t + eps)`` (one step late: an approximation).
* any other optimizer, or ``decoupled=True``: ``D = lr`` of the parameter's group.

Each rule reads the optimizer's own state (``exp_avg_sq``, ``step``, ...) after its step.

Why momentum enters ``D``: heavy-ball momentum sums past gradients, ``b ← μb + (1 − d)g``,
``w ← w − lr·b``, so on a steady gradient it steps ``lr·(1 − d)/(1 − μ)·g``. A proximal map
at ``lr`` would weigh the penalty ``(1 − μ)/(1 − d)`` times less than the data: training
would settle on the lasso for ``alpha·(1 − μ)``, ten times too weak at ``μ = 0.9``, and
lose its zeros. With the steady step, a fixed point of ``w ← prox_D(w − lr·b)`` satisfies
``−∇ ∈ alpha·∂|w|``, the lasso's own condition. (Adam's ``exp_avg`` is an average,
``(1 − β₁)``-weighted: no such factor.)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor
from torch.optim import Optimizer

from .prox import DiagonalStep

__all__ = ["UNSUPPORTED", "FastRule", "StepRule", "fast_rule", "step_size_rule"]

StepRule = Callable[[Optimizer, dict, Tensor], "float | Tensor"]
# Built-in rules also get a scratch buffer shaped like the parameter, and may return the
# step factored (DiagonalStep): no allocation and fewer passes in the hot path.
FastRule = Callable[[Optimizer, dict, Tensor, Tensor], "float | Tensor | DiagonalStep"]


def _lr(group: dict) -> float:
    return float(group["lr"])  # a tensor lr (capturable optimizers) becomes a number


def _rule_lr(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor) -> float:
    return _lr(group)


def _momentum_gain(group: dict) -> float:
    """``(1 − d)/(1 − μ)``: what heavy-ball momentum multiplies a steady gradient by."""
    momentum = float(group.get("momentum", 0.0) or 0.0)
    if momentum <= 0.0 or momentum >= 1.0:  # none, or no steady state to match
        return 1.0
    dampening = 0.0 if group.get("nesterov", False) else float(group.get("dampening", 0.0))
    return (1.0 - dampening) / (1.0 - momentum)


def _rule_sgd(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor) -> float:
    return _lr(group) * _momentum_gain(group)


def _rule_adam(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "exp_avg_sq" not in state:
        return _lr(group)
    v = state["max_exp_avg_sq"] if group.get("amsgrad", False) else state["exp_avg_sq"]
    root_bc2 = math.sqrt(1 - group["betas"][1] ** float(state["step"]))
    # lr / (sqrt(v)/c + eps) = lr·c / (sqrt(v) + eps·c), c = sqrt(1 - β₂ᵗ).
    torch.sqrt(v, out=scratch).add_(group["eps"] * root_bc2)
    return DiagonalStep(scratch, _lr(group) * root_bc2)


def _rule_radam(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "exp_avg_sq" not in state:
        return _lr(group)
    t = float(state["step"])
    beta2 = group["betas"][1]
    bias_correction2 = 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
    if rho_t <= 5.0:  # not rectified yet: RAdam takes a plain momentum step
        return _lr(group)
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    torch.sqrt(state["exp_avg_sq"], out=scratch).add_(group["eps"])
    return DiagonalStep(scratch, _lr(group) * rect * math.sqrt(bias_correction2))


def _rule_adamax(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "exp_inf" not in state:
        return _lr(group)
    return DiagonalStep(scratch.copy_(state["exp_inf"]), _lr(group))


def _rule_adagrad(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "sum" not in state:
        return _lr(group)
    clr = _lr(group) / (1 + (float(state["step"]) - 1) * group["lr_decay"])
    torch.sqrt(state["sum"], out=scratch).add_(group["eps"])
    return DiagonalStep(scratch, clr)


def _rule_rmsprop(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "square_avg" not in state:
        return _lr(group)
    if group.get("centered", False):
        grad_avg = state["grad_avg"]
        torch.addcmul(state["square_avg"], grad_avg, grad_avg, value=-1, out=scratch).sqrt_()
    else:
        torch.sqrt(state["square_avg"], out=scratch)
    return DiagonalStep(scratch.add_(group["eps"]), _lr(group) * _momentum_gain(group))


def _rule_adadelta(optimizer: Optimizer, group: dict, p: Tensor, scratch: Tensor):
    state = optimizer.state[p]
    if "square_avg" not in state:
        return _lr(group)
    eps = group["eps"]
    torch.add(state["square_avg"], eps, out=scratch).sqrt_()
    return scratch.div_(state["acc_delta"].add(eps).sqrt_()).reciprocal_().mul_(_lr(group))


# Checked in order, so subclasses (AdamW < Adam) find their parent's rule.
_RULES: list[tuple[type[Optimizer], str, FastRule]] = [
    (torch.optim.SGD, "lr·(1 − dampening)/(1 − momentum) (SGD)", _rule_sgd),
    (torch.optim.Adam, "preconditioned (Adam)", _rule_adam),
    (torch.optim.NAdam, "preconditioned (NAdam)", _rule_adam),
    (torch.optim.RAdam, "preconditioned (RAdam)", _rule_radam),
    (torch.optim.Adamax, "preconditioned (Adamax)", _rule_adamax),
    (torch.optim.Adagrad, "preconditioned (Adagrad)", _rule_adagrad),
    (torch.optim.RMSprop, "preconditioned (RMSprop)", _rule_rmsprop),
    (torch.optim.Adadelta, "preconditioned (Adadelta, approximate)", _rule_adadelta),
]

# Not gradient steps with a learning rate: a threshold scaled by ``lr`` would mean nothing.
UNSUPPORTED = (torch.optim.LBFGS, torch.optim.Rprop)


def fast_rule(optimizer: Optimizer, decoupled: bool) -> tuple[str, FastRule]:
    """``(description, rule)`` for ``optimizer``: the rule :class:`Proximal` runs per step.

    ``rule(optimizer, group, param, scratch)`` may write into ``scratch`` (shaped like the
    parameter) and return the step factored, as a :class:`DiagonalStep`.
    """
    if decoupled:
        return "lr (decoupled)", _rule_lr
    for cls, name, rule in _RULES:
        if isinstance(optimizer, cls):
            return name, rule
    return f"lr ({type(optimizer).__name__}: no known preconditioner)", _rule_lr


def step_size_rule(optimizer: Optimizer, decoupled: bool = False) -> tuple[str, StepRule]:
    """The rule :class:`Proximal` uses for ``optimizer``: ``(description, rule)``.

    ``rule(optimizer, param_group, param)`` returns the step ``D`` of the last
    ``optimizer.step()`` for that parameter: a number or a tensor shaped like it.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    decoupled : bool, default=False
        The group's ``lr`` whatever the optimizer (AdamW's way).

    Returns
    -------
    description : str
    rule : callable
        ``rule(optimizer, param_group, param) -> float | Tensor``.
    """
    name, fast = fast_rule(optimizer, decoupled)

    def rule(optimizer: Optimizer, group: dict, p: Tensor) -> float | Tensor:
        step = fast(optimizer, group, p, torch.empty_like(p))
        return step.tensor() if isinstance(step, DiagonalStep) else step

    return name, rule
