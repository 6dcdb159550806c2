"""shrinkage.nn.adam_prox, Proximal's fast path for Adam: the step is torch's own, bit for
bit; the prox after it is the closed-form elastic-net map (shrinkage.penalties) in Adam's
metric; every configuration whose step it does not replicate takes torch's step instead."""

import math

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import L1, ElasticNet, GroupL1, Proximal  # noqa: E402
from shrinkage.nn.adam_prox import eligible  # noqa: E402
from shrinkage.penalties import elastic_net_prox  # noqa: E402

F = nn.functional

CONFIGS = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
    "adam-weight-decay": lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "amsgrad": lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.9), amsgrad=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    # foreach on the CPU: torch's multi-tensor kernels, the same steps bit for bit
    "adam-foreach": lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1, foreach=True),
    "adamw-foreach-amsgrad": lambda ps: torch.optim.AdamW(
        ps, lr=0.01, weight_decay=0.1, amsgrad=True, foreach=True
    ),
    "two-groups": lambda ps: torch.optim.Adam(
        [{"params": ps[:2], "lr": 0.03}, {"params": ps[2:]}], lr=0.01, eps=1e-6
    ),
}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def mlp(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


def backward(model, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (16,), generator=g)
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_step_is_torchs_bit_for_bit(config):
    # The penalty's only tensor gets no gradient, so it is skipped: every parameter of the
    # model takes the Adam step alone, which must be torch's to the last bit.
    a, b = mlp(), mlp()
    idle = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    bare = CONFIGS[config](list(a.parameters()))
    opt = Proximal(CONFIGS[config](list(b.parameters()) + [idle]), L1([idle], 0.5))
    assert eligible(opt.optimizer)
    for step in range(12):
        backward(a, step)
        backward(b, step)
        bare.step()
        opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        for key, value in bare.state[p].items():
            assert torch.equal(value, opt.state[q][key]), key
            assert value.dtype == opt.state[q][key].dtype


def adam_metric(optimizer, p):
    """``D = lr / (sqrt(v / (1 - β₂ᵗ)) + eps)`` from torch's state, in NumPy."""
    group = next(g for g in optimizer.param_groups if any(q is p for q in g["params"]))
    state = optimizer.state[p]
    v = state["max_exp_avg_sq"] if group["amsgrad"] else state["exp_avg_sq"]
    bias_correction2 = 1 - group["betas"][1] ** state["step"].item()
    v = v.numpy()
    return group["lr"] / (np.sqrt(v / bias_correction2) + group["eps"])


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_torchs_step_then_the_elastic_net_prox_in_adams_metric(config, l1_ratio):
    # Reference: torch's Adam step, then w ← S(z, α·r·D)/(1 + α(1−r)·D) with the closed-form
    # map of shrinkage.penalties and D computed from torch's state, written out here.
    alpha = 0.05
    ref, model = mlp(), mlp()
    bare = CONFIGS[config](list(ref.parameters()))
    opt = Proximal(CONFIGS[config](list(model.parameters())), ElasticNet(model, alpha, l1_ratio))
    weights = [ref[0].weight, ref[2].weight]
    for step in range(15):
        backward(ref, step)
        backward(model, step)
        bare.step()
        opt.step()
        with torch.no_grad():
            for w in weights:
                d = adam_metric(bare, w)
                l1, l2 = alpha * l1_ratio * d, alpha * (1 - l1_ratio) * d
                w.copy_(torch.from_numpy(elastic_net_prox(w.numpy(), l1, l2)))
    for p, q in zip(ref.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-12, atol=1e-15)
    for w, v in zip(weights, [model[0].weight, model[2].weight], strict=True):
        assert torch.equal(w == 0, v == 0)  # the same exact zeros
    if l1_ratio > 0:
        assert (model[0].weight == 0).any()


def test_group_l1_takes_the_same_step_on_either_path():
    # The group prox has no closed form: compare the fast path with torch's step followed by
    # the step rule (the path taken when a hook is registered), to rounding.
    fast, slow = mlp(), mlp()
    opt_fast = Proximal(torch.optim.Adam(fast.parameters(), lr=0.02), GroupL1(fast, 0.05))
    inner = torch.optim.Adam(slow.parameters(), lr=0.02)
    calls = []
    inner.register_step_pre_hook(lambda *args: calls.append(1))
    opt_slow = Proximal(inner, GroupL1(slow, 0.05))
    assert eligible(opt_fast.optimizer) and not eligible(inner)
    for step in range(15):
        backward(fast, step)
        backward(slow, step)
        opt_fast.step()
        opt_slow.step()
    assert len(calls) == 15  # the hook ran: torch's own step was taken
    for p, q in zip(fast.parameters(), slow.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-14)
    assert torch.equal(fast[0].weight == 0, slow[0].weight == 0)
    assert (fast[0].weight == 0).any()


class MyAdam(torch.optim.Adam):
    pass


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.Adam(ps, fused=True),
        lambda ps: torch.optim.Adam(ps, capturable=True),
        lambda ps: torch.optim.Adam(ps, differentiable=True),
        lambda ps: torch.optim.Adam(ps, lr=torch.tensor(0.01)),
        lambda ps: torch.optim.NAdam(ps),
        lambda ps: torch.optim.SGD(ps, lr=0.1),
        lambda ps: MyAdam(ps),
    ],
)
def test_configurations_it_does_not_replicate_take_torchs_step(make):
    try:
        optimizer = make(list(mlp().parameters()))
    except (RuntimeError, ValueError) as error:  # e.g. fused=True on CPU in older torch
        pytest.skip(f"this torch does not build it: {error}")
    assert not eligible(optimizer)


def test_hooks_and_patched_steps_take_torchs_step():
    opt = torch.optim.Adam(mlp().parameters())
    assert eligible(opt)
    from torch.optim.optimizer import register_optimizer_step_post_hook

    handle = register_optimizer_step_post_hook(lambda *args: None)
    try:
        assert not eligible(opt)
    finally:
        handle.remove()
    assert eligible(opt)
    handle = opt.register_step_post_hook(lambda *args: None)
    assert not eligible(opt)
    handle.remove()
    opt.step = opt.step  # an instance attribute: someone wraps the step
    assert not eligible(opt)


def test_scheduler_on_the_inner_optimizer_sees_its_step():
    # A scheduler built on the inner optimizer wraps its step to check the call order; the
    # wrapper must call that step (filterwarnings=error turns torch's warning into a failure).
    model = mlp()
    inner = torch.optim.Adam(model.parameters(), lr=0.01)
    opt = Proximal(inner, L1(model, 0.01))
    scheduler = torch.optim.lr_scheduler.StepLR(inner, step_size=2, gamma=0.5)
    for step in range(4):
        backward(model, step)
        opt.step()
        scheduler.step()
    assert math.isclose(inner.param_groups[0]["lr"], 0.0025)


def test_workspace_follows_a_parameter_group_added_later():
    model = mlp()
    extra = nn.Linear(20, 30).to(torch.float64)  # larger than any parameter so far
    opt = Proximal(torch.optim.Adam(model.parameters(), lr=0.01), L1(model, 0.01))
    ref_model, ref_extra = mlp(), nn.Linear(20, 30).to(torch.float64)
    ref_extra.load_state_dict(extra.state_dict())
    ref = Proximal(torch.optim.Adam(ref_model.parameters(), lr=0.01), L1(ref_model, 0.01))
    ref.optimizer.register_step_pre_hook(lambda *args: None)  # torch's step, then the rule
    for step in range(6):
        if step == 2:
            opt.add_param_group({"params": extra.parameters()})
            ref.add_param_group({"params": ref_extra.parameters()})
        for m, e in ((model, extra), (ref_model, ref_extra)):
            backward(m, step)
            e.weight.grad = torch.full_like(e.weight, 0.1 * step)
            e.bias.grad = torch.ones_like(e.bias)
        opt.step()
        ref.step()
    for p, q in zip(
        [*model.parameters(), *extra.parameters()],
        [*ref_model.parameters(), *ref_extra.parameters()],
        strict=True,
    ):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-14)
