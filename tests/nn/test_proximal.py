"""shrinkage.nn.Proximal: proximal SGD is ISTA (checked against scikit-learn's Lasso), Adam's
preconditioned prox finds the lasso zeros, exact zeros, schedulers, checkpoints, weight decay
named right, bad input. The step rules themselves: test_step_rules.py."""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from sklearn.linear_model import Lasso  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import L1, L2, ElasticNet, GroupL1, Proximal  # noqa: E402

from .nets import regression  # noqa: E402

F = nn.functional


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny tensors: one thread is faster, and immune to other processes on a shared machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def lasso_reference(X, y, alpha):
    # scikit-learn: 1/(2n)‖y − Xw‖² + alpha‖w‖₁ — the objective the loop below minimizes.
    model = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000)
    return model.fit(X.numpy(), y.numpy()).coef_


def fit_linear(X, y, make_optimizer, alpha, steps, decoupled=False, scheduler=None):
    torch.manual_seed(0)
    lin = nn.Linear(X.shape[1], 1, bias=False).to(X.dtype)
    opt = Proximal(make_optimizer(lin.parameters()), L1(lin, alpha), decoupled=decoupled)
    sched = scheduler(opt) if scheduler else None
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((lin(X).squeeze(1) - y) ** 2).mean()).backward()
        opt.step()
        if sched:
            sched.step()
    return lin.weight.detach().numpy().ravel()


def test_full_batch_proximal_sgd_is_ista_and_solves_the_lasso():
    X, y = regression()
    alpha = 0.3
    ref = lasso_reference(X, y, alpha)
    lipschitz = torch.linalg.eigvalsh(X.T @ X / len(y)).max().item()
    w = fit_linear(X, y, lambda ps: torch.optim.SGD(ps, lr=1 / lipschitz), alpha, 3000)
    np.testing.assert_allclose(w, ref, atol=1e-10)
    np.testing.assert_array_equal(w == 0, ref == 0)  # the same exact zeros
    assert 0 < np.sum(ref == 0) < len(ref)


def test_adam_preconditioned_prox_finds_the_lasso_zeros_lr_threshold_does_not():
    X, y = regression(seed=1)
    alpha = 0.3
    ref = lasso_reference(X, y, alpha)

    def adam(ps):
        return torch.optim.Adam(ps, lr=0.05)

    def decay(opt):  # the scheduler is given the wrapper itself
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.998)

    w = fit_linear(X, y, adam, alpha, 3000, scheduler=decay)
    np.testing.assert_array_equal(w == 0, ref == 0)  # every lasso zero is an exact zero
    np.testing.assert_allclose(w, ref, atol=1e-8)  # and converges to the lasso solution
    # The same run with a plain lr·alpha threshold (decoupled) zeroes nothing.
    w_lr = fit_linear(X, y, adam, alpha, 3000, decoupled=True, scheduler=decay)
    assert np.sum(w_lr == 0) == 0
    assert np.sum(ref == 0) >= 5


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(10, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3)
    ).double()


def batches(n_steps, seed=0, n=32):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(256, 10, generator=g, dtype=torch.float64)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    for _ in range(n_steps):
        rows = torch.randint(0, 256, (n,), generator=g)
        yield X[rows], y[rows]


def train(model, opt, n_steps, loss_penalty=None, seed=0, scheduler=None):
    for x, y in batches(n_steps, seed):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if loss_penalty is not None:
            loss = loss + loss_penalty()
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


def zero_fraction(model):
    ws = [model[0].weight, model[3].weight]
    return sum(int((w == 0).sum()) for w in ws) / sum(w.numel() for w in ws)


@pytest.mark.parametrize(
    "make", [lambda ps: torch.optim.SGD(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.01)]
)
def test_exact_zeros_with_proximal_none_with_the_loss_term(make):
    prox_model, loss_model = mlp(), mlp()
    prox = Proximal(make(prox_model.parameters()), L1(prox_model, 0.05))
    train(prox_model, prox, 300)
    plain = make(loss_model.parameters())
    train(loss_model, plain, 300, loss_penalty=L1(loss_model, 0.05))
    assert zero_fraction(prox_model) > 0.5
    assert zero_fraction(loss_model) == 0.0  # |w| in the loss: weights hover around 0
    # Biases and BatchNorm parameters are never touched: no exact zeros there.
    for model in (prox_model, loss_model):
        for name, p in model.named_parameters():
            if "bias" in name or name.startswith("1."):
                assert torch.all(p != 0), name


def test_proximal_changes_only_the_penalized_parameters():
    a, b = mlp(), mlp()
    opt_a = torch.optim.SGD(a.parameters(), lr=0.1, momentum=0.9)
    opt_b = Proximal(torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9), L1(b, 0.5))
    ((x, y),) = batches(1)
    for model, opt in ((a, opt_a), (b, opt_b)):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        if name in ("0.weight", "3.weight"):
            assert not torch.equal(pa, pb)
            expected = torch.sign(pa) * torch.clamp(pa.abs() - 0.1 * 0.5, min=0)
            torch.testing.assert_close(pb, expected, rtol=0, atol=1e-15)
        else:  # biases, BatchNorm weight and bias: bit for bit the bare optimizer's step
            assert torch.equal(pa, pb), name


def test_parameters_without_gradient_are_skipped():
    w = torch.ones(3, requires_grad=True)
    v = torch.ones(3, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w, v], lr=0.1), L1([w, v], 1.0))
    w.grad = torch.zeros(3)
    opt.step()
    torch.testing.assert_close(w.detach(), torch.full((3,), 0.9))
    assert torch.equal(v.detach(), torch.ones(3))  # no grad: the optimizer skipped it


def test_scheduler_on_the_wrapper_sets_the_prox_threshold():
    w = torch.ones(1, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w], lr=0.1), L1([w], 1.0))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    path = []
    for _ in range(3):
        w.grad = torch.zeros(1)  # no data term: each step only soft-thresholds by lr·alpha
        opt.step()
        sched.step()
        path.append(w.item())
    np.testing.assert_allclose(path, [0.9, 0.85, 0.825])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)


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


# -- weight decay, named right ------------------------------------------------------------------


def one_step(model, opt, loss_penalty=None):
    ((x, y),) = batches(1, seed=5)
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    if loss_penalty is not None:
        loss = loss + loss_penalty()
    loss.backward()
    opt.step()


def weight_groups(model, weight_decay):
    weights = [model[0].weight, model[3].weight]
    rest = [p for p in model.parameters() if all(p is not w for w in weights)]
    return [
        {"params": weights, "weight_decay": weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]


@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam])
def test_coupled_weight_decay_is_l2_in_the_loss(optimizer):
    # torch's SGD / Adam weight_decay adds wd·w to the gradient: L2(alpha=wd) in the loss.
    a, b = mlp(), mlp()
    opt_a = optimizer(weight_groups(a, 0.3), lr=0.05)
    opt_b = optimizer(b.parameters(), lr=0.05)
    penalty = L2(b, 0.3)
    for _ in range(5):
        one_step(a, opt_a)
        one_step(b, opt_b, loss_penalty=penalty)
    # Equal up to rounding (g + wd·w is summed in another order; Adam divides by |g|).
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-12)


def test_decoupled_updates_written_out():
    lr, wd = 0.1, 0.5
    w0 = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    grad = torch.tensor([0.3, -0.1, 0.2], dtype=torch.float64)
    adam_step = lr * grad / (grad.abs() + 1e-8)  # first Adam step: m̂ = g, sqrt(v̂) = |g|

    def run(make_opt, decoupled=None):
        w = w0.clone().requires_grad_()
        opt = make_opt([w])
        if decoupled is not None:
            opt = Proximal(opt, L2([w], wd), decoupled=decoupled)
        w.grad = grad.clone()
        opt.step()
        return w.detach()

    # AdamW: w ← w(1 − lr·wd) − lr·m̂/(sqrt(v̂)+eps)  (decay outside the preconditioner)
    adamw = run(lambda ps: torch.optim.AdamW(ps, lr=lr, weight_decay=wd))
    torch.testing.assert_close(adamw, w0 * (1 - lr * wd) - adam_step)
    # Proximal(Adam, L2, decoupled): w ← (w − lr·m̂/(sqrt(v̂)+eps)) / (1 + lr·wd)
    prox = run(lambda ps: torch.optim.Adam(ps, lr=lr), decoupled=True)
    torch.testing.assert_close(prox, (w0 - adam_step) / (1 + lr * wd))
    # Proximal(Adam, L2), preconditioned: w_i ← z_i / (1 + D_i·wd), D_i = lr/(sqrt(v̂_i)+eps)
    coupled = run(lambda ps: torch.optim.Adam(ps, lr=lr), decoupled=False)
    d = lr / (grad.abs() + 1e-8)
    torch.testing.assert_close(coupled, (w0 - adam_step) / (1 + d * wd))
    # Coupled (Adam's weight_decay / L2 in the loss): the decay goes through the
    # preconditioner, g ← g + wd·w.
    adam_l2 = run(lambda ps: torch.optim.Adam(ps, lr=lr, weight_decay=wd))
    g2 = grad + wd * w0
    torch.testing.assert_close(adam_l2, w0 - lr * g2 / (g2.abs() + 1e-8))


def test_elastic_net_prox_in_the_wrapper():
    w = torch.tensor([1.0, -0.05, 0.3], dtype=torch.float64, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w], lr=0.5), ElasticNet([w], 0.2, l1_ratio=0.5))
    w.grad = torch.zeros(3, dtype=torch.float64)
    opt.step()
    z = torch.tensor([1.0, -0.05, 0.3], dtype=torch.float64)
    expected = torch.sign(z) * torch.clamp(z.abs() - 0.5 * 0.1, min=0) / (1 + 0.5 * 0.1)
    torch.testing.assert_close(w.detach(), expected)
    assert w[1].item() == 0.0


# -- the optimizer interface ---------------------------------------------------------------


def test_wrapper_is_an_optimizer_sharing_the_inner_state():
    model = mlp()
    inner = torch.optim.SGD(model.parameters(), lr=0.1)
    opt = Proximal(inner, L1(model, 0.01))
    assert isinstance(opt, torch.optim.Optimizer)
    assert opt.param_groups is inner.param_groups and opt.state is inner.state
    assert opt.defaults is inner.defaults and opt.optimizer is inner
    opt.param_groups[0]["lr"] = 0.2
    assert inner.param_groups[0]["lr"] == 0.2
    train(model, opt, 1)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    extra = torch.zeros(2, requires_grad=True)
    opt.add_param_group({"params": [extra], "lr": 0.01})
    assert len(inner.param_groups) == 2
    train(model, opt, 1)  # the plan is rebuilt after add_param_group
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(o))
    train(model, opt, 1)
    assert calls == [opt]
    assert "Proximal(" in repr(opt) and "L1(alpha=0.01)" in repr(opt)


def test_closure_is_passed_through():
    w = torch.ones(2, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w], lr=0.1), L1([w], 1.0))

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(2.0)
    torch.testing.assert_close(w.detach(), torch.full((2,), 0.7))  # 1 − 0.1·2 − 0.1


def test_adding_the_penalty_to_the_loss_as_well_warns():
    model = mlp()
    penalty = L1(model, 0.01)
    Proximal(torch.optim.SGD(model.parameters(), lr=0.1), penalty)
    with torch.no_grad():
        penalty()  # logging it is fine
    with pytest.warns(UserWarning, match="counts it twice"):
        penalty()


# -- bad input -----------------------------------------------------------------------------


def test_not_an_optimizer():
    model = mlp()
    with pytest.raises(TypeError, match="wraps a torch.optim.Optimizer"):
        Proximal(model, L1(model, 0.1))
    opt = Proximal(torch.optim.SGD(model.parameters(), lr=0.1), L1(model, 0.1))
    with pytest.raises(TypeError, match="already a Proximal"):
        Proximal(opt, L1(model, 0.1))
    with pytest.raises(TypeError, match="penalty must be"):
        Proximal(torch.optim.SGD(model.parameters(), lr=0.1), [])


def test_optimizers_without_a_step_size():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="step_size="):
        Proximal(torch.optim.LBFGS([w]), L1([w], 0.1))
    opt = Proximal(torch.optim.LBFGS([w]), L1([w], 0.1), step_size=lambda o, g, p: 0.0)
    assert opt.step_rule == "custom"


def test_penalized_parameter_outside_the_optimizer():
    model = mlp()
    with pytest.raises(ValueError, match="not in the optimizer"):
        Proximal(torch.optim.SGD(model[3].parameters(), lr=0.1), L1(model, 0.1))


def test_overlapping_penalties():
    model = mlp()
    with pytest.raises(ValueError, match="two penalties"):
        Proximal(torch.optim.SGD(model.parameters(), lr=0.1), [L1(model, 0.1), L2(model, 0.1)])


def test_maximize_is_refused():
    w = torch.ones(2, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w], lr=0.1, maximize=True), L1([w], 0.1))
    w.grad = torch.zeros(2)
    with pytest.raises(ValueError, match="maximize"):
        opt.step()


def test_docstring_examples_run():
    import doctest

    import shrinkage.nn.proximal
    import shrinkage.nn.reports

    for module in (shrinkage.nn.proximal, shrinkage.nn.reports):
        assert doctest.testmod(module).failed == 0
