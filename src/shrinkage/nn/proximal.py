"""``Proximal``: any ``torch.optim`` optimizer followed by the proximal map of a penalty.

One step of ``Proximal(optimizer, penalty)`` is

.. math:: w \\leftarrow \\operatorname{prox}^{D}_{g}\\big(\\text{optimizer step}(w)\\big),
          \\qquad \\operatorname{prox}^{D}_{g}(z) = \\operatorname{argmin}_b
          \\tfrac12 \\|b - z\\|^2_{D^{-1}} + g(b)

with ``D`` the step the optimizer really took, per coordinate (the *step rule*):

* ``SGD``: ``D = lr`` -- proximal SGD, ISTA when full batch; with momentum ``μ`` and
  dampening ``d``, ``D = lr·(1 − d)/(1 − μ)``, momentum's step on a steady gradient (so
  that training settles on the lasso at ``alpha``, not at ``alpha·(1 − μ)``).
* ``Adam``, ``AdamW``, ``NAdam`` (and ``amsgrad``): ``D = lr / (sqrt(v_t / (1 - β₂ᵗ)) + eps)``,
  Adam's own preconditioner, read from ``optimizer.state`` (``exp_avg_sq`` or
  ``max_exp_avg_sq``, ``step``). ``RAdam``: ``lr·r_t·sqrt(1 - β₂ᵗ) / (sqrt(v_t) + eps)`` once
  rectified, ``lr`` before. ``Adamax``: ``lr / u_t``. ``Adagrad``:
  ``lr_t / (sqrt(G_t) + eps)``. ``RMSprop``: ``lr / (sqrt(v_t [- m_t²]) + eps)``.
  ``Adadelta``: ``lr·sqrt(Δ_t + eps) / sqrt(v_t + eps)`` (with the accumulator after the
  step, one step late: an approximation).
* any other optimizer: ``D = lr`` of the parameter's group.
* ``decoupled=True``: ``D = lr`` whatever the optimizer -- the penalty acts outside the
  preconditioner, as AdamW's weight decay does.

Why the preconditioned rule: Adam moves every coordinate by about ``lr`` per step whatever
its gradient, so a threshold ``lr·alpha`` is tiny next to the step and almost nothing
reaches zero; the metric in which Adam is a gradient step makes the prox threshold
``alpha·D_i``, which zeroes coordinate ``i`` exactly when ``|gradient| < alpha`` on Adam's
scale -- the lasso optimality condition. (Proximal adaptive methods: Yun, Lozano & Yang,
NeurIPS 2021; Melchior, Fang & Wiskott, 2019.)
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from .adam_prox import adam_prox_step, eligible
from .penalties import Penalty, _check_bool, _check_step
from .selection import PenalizedParameter
from .step_rules import UNSUPPORTED, StepRule, fast_rule, step_size_rule

__all__ = ["Proximal", "step_size_rule"]

_HOOKS = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)
# Per-step caches keyed by object identity: rebuilt after a copy or pickle, never copied.
_CACHES = ("_plan", "_groups_seen", "_penalized", "_penalized_groups", "_scratch", "_workspace")


def _with_step_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """torch's step wrapper (``Optimizer.profile_hook_step``) without the global hooks.

    The wrapper's own step hooks run around the whole step, proximal map included. The
    global ones (``torch.optim.optimizer.register_optimizer_step_pre_hook`` / ``post_hook``)
    are run by the inner optimizer's ``step()``; running them here too would fire them twice
    per step. (The Adam fast path, which skips the inner ``step()``, is never taken while a
    global hook is registered.)
    """

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        with torch.autograd.profiler.record_function(f"Optimizer.step#{type(self).__name__}.step"):
            for hook in self._optimizer_step_pre_hooks.values():
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
            out = step(*args, **kwargs)
            self._optimizer_step_code()
            for hook in self._optimizer_step_post_hooks.values():
                hook(self, args, kwargs)
            return out

    wrapper.hooked = True  # type: ignore[attr-defined]  # torch's _patch_step_function: leave it
    return wrapper


#: Prefixes that wrapping a model adds to its parameter names: ``torch.compile``
#: (``_orig_mod.``), ``DataParallel`` / ``DistributedDataParallel`` (``module.``).
_WRAPPER_PREFIXES = ("_orig_mod.", "module.")


def _unwrapped(name: str) -> str:
    """``name`` without the prefixes of model wrappers: a checkpoint saved before
    ``torch.compile`` (or DataParallel) loads after it, and the other way round."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in _WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name, stripped = name[len(prefix) :], True
    return name


def _as_penalties(penalty: Any) -> list[Penalty]:
    """``penalty`` as a non-empty list of penalties, or a ``TypeError`` naming the fix."""
    if isinstance(penalty, Penalty):
        return [penalty]
    iterable = isinstance(penalty, Iterable) and not isinstance(penalty, (str, bytes))
    items = list(penalty) if iterable else []
    if items and all(isinstance(p, Penalty) for p in items):
        return items
    culprit = next((p for p in items if not isinstance(p, Penalty)), penalty)
    if isinstance(culprit, type) and issubclass(culprit, Penalty):  # L1 rather than L1(...)
        name = culprit.__name__
        hint = f"{name} is the class, not a penalty: build one, e.g. {name}(model, alpha=1e-4)"
    else:
        hint = "e.g. Proximal(optimizer, L1(model, alpha=1e-4))"
    raise TypeError(
        "penalty must be a shrinkage.nn penalty (L1, L2, ElasticNet, GroupL1) or a "
        f"non-empty iterable of them, got {penalty!r}; {hint}."
    )


class Proximal(Optimizer):
    """Wrap an optimizer so that every ``step()`` ends with the penalty's proximal map.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Any optimizer holding the penalized parameters (``LBFGS`` and ``Rprop`` need a
        ``step_size=`` rule: they take no ``lr``-sized gradient steps). ``maximize=True``
        is refused: the proximal map minimizes the penalty.
    penalty : Penalty or iterable of Penalty
        What to apply. Several penalties must act on disjoint parameters (then the prox of
        their sum is each prox on its own parameters), e.g. ``GroupL1`` on the first layer
        and ``L1`` on the others. **Do not also add it to the loss**: the prox applies it.
    decoupled : bool
        Use the group's ``lr`` as the step for every coordinate, ignoring the optimizer's
        preconditioner (the AdamW way). Default ``False``: the step the optimizer took.
    step_size : callable, optional
        ``step_size(optimizer, param_group, param) -> float | Tensor`` overriding the rule;
        it must return a finite number ``>= 0`` or a tensor of them shaped like ``param``
        (checked at every step).

    Notes
    -----
    The step rule is described in the module docstring and in ``docs/nn.md``. Parameters
    without a gradient are skipped, as the optimizer skips them.

    ``Proximal`` *is* an ``Optimizer``: ``param_groups``, ``state`` and ``defaults`` are the
    inner optimizer's, so learning-rate schedulers, gradient scalers and checkpoints work on
    the wrapper directly. ``state_dict()`` is the inner one plus a ``"proximal"`` entry (the
    penalties' kinds, parameters and settings); an inner optimizer's state dict loads into
    the wrapper and vice versa. Hooks registered on the wrapper run as on any optimizer;
    torch's global step hooks run once per step, inside the inner optimizer's step (before
    the proximal map, and given the inner optimizer).

    Examples
    --------
    >>> import torch
    >>> from shrinkage.nn import L1, Proximal
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    >>> opt = Proximal(torch.optim.Adam(model.parameters(), lr=1e-3), L1(model, alpha=1e-3))
    >>> scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=10)  # takes the wrapper
    >>> opt.step_rule
    'preconditioned (Adam)'
    """

    def __init__(
        self,
        optimizer: Optimizer,
        penalty: Penalty | Iterable[Penalty],
        *,
        decoupled: bool = False,
        step_size: StepRule | None = None,
    ) -> None:
        if isinstance(optimizer, Proximal):
            raise TypeError(
                "optimizer is already a Proximal; pass all penalties to one Proximal "
                "(Proximal(optimizer, [penalty_a, penalty_b]))."
            )
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"Proximal wraps a torch.optim.Optimizer, got {type(optimizer).__name__}. "
                "Build one first, e.g. Proximal(torch.optim.SGD(model.parameters(), lr=0.1), "
                "penalty)."
            )
        self.decoupled = _check_bool("decoupled", decoupled)
        if step_size is not None and not callable(step_size):
            raise TypeError(
                "step_size must be a callable step_size(optimizer, param_group, param) -> "
                f"float | Tensor, got {step_size!r}; for a fixed step s pass "
                "step_size=lambda optimizer, group, param: s."
            )
        if step_size is None and isinstance(optimizer, UNSUPPORTED):
            raise ValueError(
                f"{type(optimizer).__name__} does not take gradient steps of size lr, so a "
                "proximal step has no step size: use SGD or Adam, or pass step_size=."
            )
        self._optimizer = optimizer
        self.penalties = _as_penalties(penalty)
        self._step_size = step_size
        if step_size is None:
            self.step_rule, self._rule = fast_rule(optimizer, self.decoupled)
        else:
            self.step_rule, self._rule = "custom", None
        # Adam's step and the prox sharing Adam's denominator (adam_prox): the built-in rule
        # only, where its step is torch's own.
        self._fuse = step_size is None and isinstance(optimizer, torch.optim.Adam)
        self._check_parameters()
        self._reset_caches()
        self._refuse_maximize()
        for p in self.penalties:
            p._used_by = "Proximal"
        self._reset_hooks()
        self._patch_step_function()  # the profiler label of zero_grad; step is ours

    def _reset_hooks(self) -> None:
        # What torch.optim.Optimizer.__init__ sets up, minus the parameters (shared).
        for name in _HOOKS:
            setattr(self, name, OrderedDict())

    def _reset_caches(self) -> None:
        self._plan: list[tuple[Penalty, PenalizedParameter, dict]] | None = None
        self._groups_seen: tuple[int, ...] | None = None
        self._penalized: dict[int, tuple[Penalty, PenalizedParameter]] = {}
        self._penalized_groups: list[dict] = []
        # One buffer per penalized parameter for the per-coordinate step (like Adam's own
        # state, it costs one copy of the penalized weights); allocated on first use.
        self._scratch: dict[int, Tensor] = {}
        self._workspace: dict = {}  # adam_prox's: one flat buffer

    # -- the inner optimizer's attributes are the wrapper's ----------------------------------
    @property
    def optimizer(self) -> Optimizer:
        """The wrapped optimizer."""
        return self._optimizer

    @property
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return self._optimizer.param_groups

    @param_groups.setter
    def param_groups(self, value: list[dict[str, Any]]) -> None:
        self._optimizer.param_groups = value

    @property
    def state(self):  # type: ignore[override]
        return self._optimizer.state

    @state.setter
    def state(self, value) -> None:
        self._optimizer.state = value

    @property
    def defaults(self) -> dict[str, Any]:  # type: ignore[override]
        return self._optimizer.defaults

    @defaults.setter
    def defaults(self, value: dict[str, Any]) -> None:
        self._optimizer.defaults = value

    # -- copies and pickles: the caches are rebuilt, the hooks dropped (as torch does) -----------
    def __getstate__(self) -> dict[str, Any]:
        # "step": a scheduler's wrapper patched on the instance; it steps the original.
        dropped = {*_CACHES, *_HOOKS, "step"}
        return {k: v for k, v in self.__dict__.items() if k not in dropped}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_caches()
        self._reset_hooks()
        self._patch_step_function()

    def __repr__(self) -> str:
        inner = "\n".join("    " + line for line in repr(self._optimizer).splitlines())
        penalties = ", ".join(f"{type(p).__name__}(alpha={p.alpha:g})" for p in self.penalties)
        return f"Proximal(\n{inner},\n    penalties=[{penalties}],\n    step={self.step_rule!r}\n)"

    # -- checks and the per-parameter plan ---------------------------------------------------
    def _check_parameters(self) -> None:
        in_optimizer = {id(p) for g in self._optimizer.param_groups for p in g["params"]}
        owner: dict[int, str] = {}
        for penalty in self.penalties:
            for entry in penalty.entries:
                if id(entry.param) in owner:
                    raise ValueError(
                        f"parameter {entry.name!r} is in two penalties ({owner[id(entry.param)]}"
                        f" and {type(penalty).__name__}); the prox of a sum is not the "
                        "composition of proxes. Use ElasticNet, or disjoint include= filters."
                    )
                owner[id(entry.param)] = type(penalty).__name__
                if id(entry.param) not in in_optimizer:
                    raise ValueError(
                        f"penalized parameter {entry.name!r} is not in the optimizer, which "
                        "would never update it. Add it to the optimizer or leave it out of "
                        "the penalty (include=)."
                    )

    def _current_plan(self) -> list[tuple[Penalty, PenalizedParameter, dict]]:
        groups = self._optimizer.param_groups
        # load_state_dict replaces the group dicts and add_param_group appends one.
        seen = (id(groups), *map(id, groups))
        if self._plan is None or seen != self._groups_seen:
            group_of = {id(p): g for g in groups for p in g["params"]}
            plan = []
            for penalty in self.penalties:
                for entry in penalty.entries:
                    group = group_of.get(id(entry.param))
                    if group is None:
                        raise ValueError(
                            f"penalized parameter {entry.name!r} is no longer in the optimizer."
                        )
                    plan.append((penalty, entry, group))
            self._plan, self._groups_seen = plan, seen
            self._penalized = {id(entry.param): (penalty, entry) for penalty, entry, _ in plan}
            self._penalized_groups = list({id(g): g for _, _, g in plan}.values())
        return self._plan

    def _refuse_maximize(self) -> None:
        """Checked before every step (a flag may be set at any time), before any update."""
        self._current_plan()
        for group in self._penalized_groups:
            if group.get("maximize", False):
                raise ValueError(
                    "a parameter group of a penalized parameter has maximize=True; the "
                    "proximal map minimizes the penalty. Set maximize=False and minimize the "
                    "negated objective instead (nothing was updated)."
                )

    # -- the optimizer interface ---------------------------------------------------------------
    @_with_step_hooks
    def step(self, closure: Callable[[], float] | None = None) -> Any:  # type: ignore[override]
        """``optimizer.step(closure)``, then each penalty's proximal map with the step taken.

        Returns the closure's loss, as the inner optimizer does. For ``Adam`` and ``AdamW``
        (single-tensor implementation, no hooks) the step is taken here, operation for
        operation as torch takes it, and each prox reuses Adam's denominator
        (:mod:`shrinkage.nn.adam_prox`): the same numbers, without recomputing it.
        """
        self._refuse_maximize()
        if self._fuse and eligible(self._optimizer):
            return adam_prox_step(
                self._optimizer, self._penalized, self.decoupled, self._workspace, closure
            )
        loss = self._optimizer.step() if closure is None else self._optimizer.step(closure)
        self._apply_prox()
        return loss

    def apply_prox(self) -> None:
        """Apply the proximal maps for the step just taken (``step()`` calls this)."""
        self._refuse_maximize()
        self._apply_prox()

    @torch.no_grad()
    def _apply_prox(self) -> None:
        for penalty, entry, group in self._current_plan():
            if entry.param.grad is None:  # the optimizer skipped it; so do we
                continue
            penalty.prox_parameter(entry, self._step_for(group, entry))

    def _step_for(self, group: dict, entry: PenalizedParameter) -> Any:
        """The step ``D`` the optimizer just took on ``entry``'s parameter."""
        p = entry.param
        if self._step_size is not None:  # a user's rule: checked, its value is not ours
            step = self._step_size(self._optimizer, group, p)
            return _check_step(step, entry, "step_size(optimizer, param_group, param)")
        buffer = self._scratch.get(id(p))
        if buffer is None:
            buffer = self._scratch[id(p)] = torch.empty_like(p, memory_format=torch.preserve_format)
        return self._rule(self._optimizer, group, p, buffer)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._optimizer.zero_grad(set_to_none=set_to_none)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self._optimizer.add_param_group(param_group)
        self._plan = None

    def state_dict(self) -> dict[str, Any]:  # type: ignore[override]
        """The inner optimizer's state dict plus ``"proximal"``: each penalty's settings.

        The wrapper's state-dict hooks run as ``torch.optim.Optimizer.state_dict`` runs
        them (the inner optimizer's run inside its own ``state_dict()``).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        state = self._optimizer.state_dict()
        state["proximal"] = {
            "penalties": [p.config() for p in self.penalties],
            "step_rule": self.step_rule,
        }
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state)
            if result is not None:
                state = result
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Load a state dict from :meth:`state_dict` (or from the bare inner optimizer).

        Restores the inner optimizer's state and every penalty's settings (``alpha``,
        ``n_samples``, ``l1_ratio``, ``groups``, ``size_weighted``) from the state dict, as
        ``torch.optim`` restores ``lr``, ``betas`` or ``weight_decay`` over the values given
        to the constructor. Raises ``ValueError``, before changing anything, if the
        penalties differ in kind or in the parameters they act on (as torch refuses other
        parameter groups), or if a saved setting is invalid.
        """
        state_dict = dict(state_dict)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = dict(result)
        settings = self._saved_settings(state_dict.pop("proximal", None))
        self._optimizer.load_state_dict(state_dict)
        for penalty, saved in zip(self.penalties, settings, strict=True):
            penalty._restore(saved)
        self._plan = None
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def _saved_settings(self, saved: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Each penalty's checked settings from a saved ``"proximal"`` entry."""
        if saved is None:  # a bare optimizer's state dict: the penalties stay as they are
            return [{} for _ in self.penalties]
        configs = saved["penalties"]
        if len(configs) != len(self.penalties) or any(
            c["penalty"] != type(p).__name__
            or [_unwrapped(n) for n in c["names"]] != [_unwrapped(n) for n in p.names]
            for c, p in zip(configs, self.penalties, strict=False)
        ):
            raise ValueError(
                "the saved Proximal state is for other penalties: saved "
                f"{[(c['penalty'], c['names']) for c in configs]}, here "
                f"{[(type(p).__name__, p.names) for p in self.penalties]}. Build the same "
                "penalties on the same parameters before loading."
            )
        return [p._settings_from(c) for c, p in zip(configs, self.penalties, strict=True)]
