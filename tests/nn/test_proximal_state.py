"""shrinkage.nn.Proximal as torch.optim's conventions demand of saved and copied state:
state dicts (round trips that continue bit for bit, the bare optimizer's, every penalty
setting, across model wrappers), deepcopy / pickle / torch.save, and the state-dict and
step hooks."""

import copy
import pickle

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import L1, L2, ElasticNet, GroupL1, Proximal  # noqa: E402

from .nets import mlp, train, zero_fraction  # noqa: E402

F = nn.functional


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_state_dict_round_trip_continues_exactly(kind, tmp_path):
    def make(model):
        if kind == "sgd":
            inner = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        else:
            inner = torch.optim.Adam(model.parameters(), lr=0.01)
        opt = Proximal(
            inner,
            [
                GroupL1(model, 0.05, include=lambda n, p, m: n == "0.weight"),
                L1(model, 0.1, include=lambda n, p, m: n == "3.weight"),
            ],
        )
        return opt, torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)

    # Uninterrupted: 40 steps.
    ref = mlp()
    opt, sched = make(ref)
    train(ref, opt, 20, seed=0, scheduler=sched)
    train(ref, opt, 20, seed=1, scheduler=sched)

    # Interrupted after 20 steps, saved to disk, restored into fresh objects.
    first = mlp()
    opt, sched = make(first)
    train(first, opt, 20, seed=0, scheduler=sched)
    path = tmp_path / "checkpoint.pt"
    torch.save(
        {"model": first.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, path
    )
    checkpoint = torch.load(path, weights_only=True)

    resumed = mlp(seed=123)  # different initial weights: all must come from the checkpoint
    opt, sched = make(resumed)
    opt.penalties[1].alpha = 99.0  # restored from the checkpoint
    resumed.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["opt"])
    sched.load_state_dict(checkpoint["sched"])
    assert opt.penalties[1].alpha == 0.1
    train(resumed, opt, 20, seed=1, scheduler=sched)

    for p, q in zip(ref.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)
    assert zero_fraction(resumed) > 0


def test_state_dicts_interoperate_with_the_bare_optimizer():
    model = mlp()
    opt = Proximal(torch.optim.Adam(model.parameters(), lr=0.01), L1(model, 0.01))
    train(model, opt, 5)
    saved = opt.state_dict()
    assert saved["proximal"]["penalties"][0]["alpha"] == 0.01
    bare = torch.optim.Adam(model.parameters(), lr=0.01)
    bare.load_state_dict(saved)  # the extra "proximal" entry is ignored
    fresh = Proximal(torch.optim.Adam(model.parameters(), lr=0.01), L1(model, 0.01))
    fresh.load_state_dict(bare.state_dict())
    assert torch.equal(
        fresh.state[model[0].weight]["exp_avg_sq"], opt.state[model[0].weight]["exp_avg_sq"]
    )


def test_load_state_dict_rejects_other_penalties():
    model = mlp()
    opt = Proximal(torch.optim.SGD(model.parameters(), lr=0.1), L1(model, 0.01))
    other = Proximal(torch.optim.SGD(model.parameters(), lr=0.1), L2(model, 0.01))
    with pytest.raises(ValueError, match="other penalties"):
        other.load_state_dict(opt.state_dict())


# -- copies: deepcopy, pickle, torch.save ------------------------------------------------------


def copy_of(obj, how, tmp_path):
    if how == "deepcopy":
        return copy.deepcopy(obj)
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    path = tmp_path / "objects.pt"
    torch.save(obj, path)
    return torch.load(path, weights_only=False)


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "torch.save"])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_a_copy_of_model_and_optimizer_continues_as_the_original(how, kind, tmp_path):
    # GroupL1 used to find its parameters by object identity, which a copy changes.
    model = mlp()
    inner = (
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        if kind == "sgd"
        else torch.optim.Adam(model.parameters(), lr=0.01)
    )
    opt = Proximal(
        inner,
        [
            GroupL1(model, 0.05, groups="input", include=lambda n, p, m: n == "0.weight"),
            L1(model, 0.1, include=lambda n, p, m: n == "3.weight"),
        ],
    )
    # A scheduler patches opt.step on the instance, with a reference to this optimizer.
    torch.optim.lr_scheduler.StepLR(opt, step_size=100)
    train(model, opt, 5, seed=0)
    copied_model, copied_opt = copy_of((model, opt), how, tmp_path)
    # The copy's optimizer and penalties act on the copied model's parameters.
    assert copied_opt.penalties[0].parameters[0] is copied_model[0].weight
    assert copied_opt.param_groups[0]["params"][0] is copied_model[0].weight
    with torch.no_grad():
        assert copied_opt.penalties[0]().item() == pytest.approx(opt.penalties[0]().item())

    train(copied_model, copied_opt, 5, seed=1)
    assert not torch.equal(copied_model[0].weight, model[0].weight)  # the original stayed
    train(model, opt, 5, seed=1)
    for p, q in zip(model.parameters(), copied_model.parameters(), strict=True):
        assert torch.equal(p, q)
    assert zero_fraction(copied_model) > 0


# -- settings in the state dict ----------------------------------------------------------------


def test_load_state_dict_restores_every_penalty_setting():
    # As torch.optim restores lr or betas from a state dict, the penalties' settings are
    # restored, not only alpha: strength 0.3/10, by input, as saved.
    torch.manual_seed(0)
    lin = nn.Linear(4, 3).double()
    saved = Proximal(
        torch.optim.SGD(lin.parameters(), lr=0.5),
        GroupL1(lin, 0.3, groups="input", n_samples=10),
    ).state_dict()
    opt = Proximal(
        torch.optim.SGD(lin.parameters(), lr=0.5),
        GroupL1(lin, 0.7, groups="output", size_weighted=False, n_samples=1000),
    )
    opt.load_state_dict(saved)
    penalty = opt.penalties[0]
    assert (penalty.alpha, penalty.n_samples, penalty.groups) == (0.3, 10, "input")
    assert penalty.size_weighted is True and penalty.strength == pytest.approx(0.03)
    w0 = lin.weight.detach().numpy().copy()
    for p in lin.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # block soft-thresholding of the columns at lr·0.03·sqrt(3)
    expected = w0 * np.maximum(0, 1 - 0.5 * 0.03 * np.sqrt(3) / np.linalg.norm(w0, axis=0))
    np.testing.assert_allclose(lin.weight.detach().numpy(), expected, rtol=1e-13)


def test_load_state_dict_restores_l1_ratio_and_refuses_a_bad_setting():
    model = mlp()
    saved = Proximal(
        torch.optim.SGD(model.parameters(), lr=0.1), ElasticNet(model, 0.2, l1_ratio=0.9)
    ).state_dict()
    opt = Proximal(torch.optim.SGD(model.parameters(), lr=0.3), ElasticNet(model, 0.2, 0.1))
    opt.load_state_dict(saved)
    assert opt.penalties[0].l1_ratio == 0.9 and opt.param_groups[0]["lr"] == 0.1
    fresh = Proximal(torch.optim.SGD(model.parameters(), lr=0.3), ElasticNet(model, 0.2, 0.1))
    saved["proximal"]["penalties"][0]["l1_ratio"] = 2.0
    with pytest.raises(ValueError, match="l1_ratio must lie in"):
        fresh.load_state_dict(saved)
    # Refused before anything was loaded.
    assert fresh.penalties[0].l1_ratio == 0.1 and fresh.param_groups[0]["lr"] == 0.3


# -- hooks -------------------------------------------------------------------------------------


def hooked_calls(opt):
    """Register one hook of each state-dict kind; run state_dict and load_state_dict."""
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(
        lambda o, sd: (
            calls.append(("load-pre", sd.get("extra")))
            or {k: v for k, v in sd.items() if k != "extra"}
        )
    )
    opt.register_load_state_dict_post_hook(lambda o: calls.append(("load-post", o is opt)))
    saved = opt.state_dict()
    calls.append(("saved", saved.get("extra")))
    opt.load_state_dict(saved)
    return calls


def test_state_dict_hooks_run_as_on_a_torch_optimizer():
    model = mlp()
    bare = torch.optim.SGD(model.parameters(), lr=0.1)
    opt = Proximal(torch.optim.SGD(model.parameters(), lr=0.1), L1(model, 0.1))
    expected = hooked_calls(bare)
    assert expected == ["pre", ("saved", 1), ("load-pre", 1), ("load-post", True)]
    assert hooked_calls(opt) == expected


@pytest.mark.parametrize(
    "make",
    [lambda ps: torch.optim.SGD(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.01)],
    ids=["sgd", "adam"],
)
def test_global_and_own_step_hooks_fire_once_per_step(make):
    from torch.optim.optimizer import (
        register_optimizer_step_post_hook,
        register_optimizer_step_pre_hook,
    )

    model = mlp()
    opt = Proximal(make(model.parameters()), L1(model, 0.5))
    calls = []
    handles = [
        register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global-pre")),
        register_optimizer_step_post_hook(lambda o, a, k: calls.append("global-post")),
    ]
    try:
        # The wrapper's own hooks see the whole step: the post hook the pruned weights.
        opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: calls.append(zero_fraction(model) > 0))
        opt.optimizer.register_step_post_hook(lambda o, a, k: calls.append("inner-post"))
        train(model, opt, 3)
    finally:
        for handle in handles:
            handle.remove()
    for name in ("global-pre", "global-post", "pre", "inner-post"):
        assert calls.count(name) == 3, name
    assert calls.count(True) == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own, on importing dynamo
@pytest.mark.parametrize(
    "wrap", [torch.compile, nn.DataParallel], ids=["torch.compile", "DataParallel"]
)
def test_state_dict_loads_across_model_wrappers(wrap):
    """Wrapping a model renames its parameters (``_orig_mod.``, ``module.``); torch's own
    optimizers match state by position, so the wrapper must load the same checkpoint
    both ways, and still refuse penalties on other parameters."""
    plain = mlp()
    opt = Proximal(torch.optim.Adam(plain.parameters(), lr=0.01), L1(plain, 0.05))
    train(plain, opt, 3)
    saved = opt.state_dict()
    wrapped = wrap(mlp())
    restored = Proximal(torch.optim.Adam(wrapped.parameters(), lr=0.01), L1(wrapped, 0.05))
    restored.load_state_dict(saved)
    for a, b in zip(opt.state.values(), restored.state.values(), strict=True):
        torch.testing.assert_close(a["exp_avg_sq"], b["exp_avg_sq"], rtol=0, atol=0)
    # and back: a checkpoint of the wrapped model loads into the plain one
    opt.load_state_dict(restored.state_dict())
    other = wrap(mlp())
    only_first = L1(other, 0.05, include=lambda n, p, m: n.endswith("0.weight"))
    with pytest.raises(ValueError, match="other penalties"):
        Proximal(torch.optim.Adam(other.parameters(), lr=0.01), only_first).load_state_dict(saved)
