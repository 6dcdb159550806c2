"""shrinkage.nn.Proximal: proximal SGD is ISTA (checked against scikit-learn's Lasso), Adam's
preconditioned prox finds the lasso zeros, exact zeros, schedulers, weight decay named
right, low precision, bad input. Checkpoints, copies and hooks: test_proximal_state.py; the
step rules themselves: test_step_rules.py."""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from sklearn.linear_model import Lasso  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage.nn import L1, L2, ElasticNet, GroupL1, Proximal  # noqa: E402
from shrinkage.penalties import elastic_net_prox  # noqa: E402

from .nets import batches, mlp, regression, train, zero_fraction  # noqa: E402

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
            # momentum 0.9: the step D is lr/(1 - 0.9), the steady step of the momentum
            expected = torch.sign(pa) * torch.clamp(pa.abs() - 0.1 * 0.5 / 0.1, min=0)
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


def test_maximize_is_refused_at_construction():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="maximize=True"):
        Proximal(torch.optim.SGD([w], lr=0.1, maximize=True), L1([w], 0.1))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: torch.optim.Adam(ps, lr=0.1),  # the fast path until maximize is set
    ],
)
def test_maximize_set_later_is_refused_before_anything_moves(make):
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    opt = Proximal(make([w]), L1([w], 0.1))
    w.grad = torch.tensor([0.3, -0.1, 0.2], dtype=torch.float64)
    opt.step()
    weights = w.detach().clone()
    state = {k: v.clone() for k, v in opt.state[w].items()}
    opt.param_groups[0]["maximize"] = True  # after the first step: checked at every step
    with pytest.raises(ValueError, match="maximize=True"):
        opt.step()
    assert torch.equal(w.detach(), weights)  # the inner optimizer did not step either
    for key, value in state.items():
        assert torch.equal(opt.state[w][key], value), key


def test_docstring_examples_run():
    import doctest

    import shrinkage.nn.proximal
    import shrinkage.nn.reports

    for module in (shrinkage.nn.proximal, shrinkage.nn.reports):
        assert doctest.testmod(module).failed == 0


# -- low precision: float16 / bfloat16 weights -------------------------------------------------


def half_adam_setup(dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    w0 = (torch.rand(6, 5, generator=g, dtype=torch.float64) - 0.5) * 400  # |w| up to 200
    grads = [
        torch.where(torch.rand(6, 5, generator=g) < 0.5, -1.0, 1.0).double()
        * (500 + 1500 * torch.rand(6, 5, generator=g, dtype=torch.float64))
        for _ in range(3)
    ]
    return w0.to(dtype), [gr.to(dtype) for gr in grads]


def test_float16_weights_under_proximal_adam_do_not_overflow():
    # The reported case: w = 100, gradient 1000, so w·(sqrt(v̂) + eps) = 1e5 > 65504.
    w = nn.Parameter(torch.full((4,), 100.0, dtype=torch.float16))
    opt = Proximal(torch.optim.Adam([w], lr=0.01), L1([w], 1e-3))
    ref = nn.Parameter(torch.full((4,), 100.0, dtype=torch.float16))
    bare = torch.optim.Adam([ref], lr=0.01)
    for p in (w, ref):
        p.grad = torch.full_like(p, 1000.0)
    opt.step()
    bare.step()
    assert torch.equal(w.detach(), ref.detach())  # threshold 1e-3·1e-5: below half an ulp


@pytest.mark.parametrize("kind", ["l1", "l2", "enet"])
@pytest.mark.parametrize("path", ["fast", "torch-step"])
def test_float16_adam_prox_is_the_closed_form_rounded_once(kind, path):
    # Reference: torch's own float16 Adam, then the elastic-net map of shrinkage.penalties in
    # float64 with D from torch's state, rounded to float16 once.
    # Thresholds α·D of 10 to 100 on weights up to 200 (D ≈ 0.01/|g| ≈ 1e-5).
    alpha, l1_ratio = {"l1": (3e6, 1.0), "l2": (3e5, 0.0), "enet": (6e6, 0.5)}[kind]
    w0, grads = half_adam_setup(torch.float16)
    w = w0.clone().requires_grad_()
    ref = w0.clone().requires_grad_()
    inner = torch.optim.Adam([w], lr=0.01)
    if path == "torch-step":
        inner.register_step_pre_hook(lambda *args: None)  # leaves the fast path
    opt = Proximal(inner, ElasticNet([w], alpha, l1_ratio))
    bare = torch.optim.Adam([ref], lr=0.01)
    for grad in grads:
        step_both(opt, bare, w, ref, grad)
        with torch.no_grad():
            d, z = adam_step_and_point(bare, ref)
            b = elastic_net_prox(z, alpha * l1_ratio * d, alpha * (1 - l1_ratio) * d)
            ref.copy_(torch.from_numpy(b))  # rounded to float16 once
        assert torch.isfinite(w).all()
        # Equal up to the float16 rounding of Adam's denominator (torch's, in float16): a
        # relative 1e-3 of thresholds up to 100.
        torch.testing.assert_close(w.detach(), ref.detach(), rtol=2e-3, atol=0.1)
    assert torch.equal(w == 0, ref == 0) and (kind == "l2" or bool((w == 0).any()))


def step_both(opt, bare, w, ref, grad):
    """One step of ``opt`` on ``w`` and of the bare optimizer ``bare`` on ``ref``, both
    with the gradient ``grad``."""
    w.grad, ref.grad = grad.clone(), grad.clone()
    opt.step()
    bare.step()


def adam_step_and_point(bare, ref):
    """Adam's per-coordinate step ``lr/(sqrt(v̂) + eps)`` (lr 0.01) after ``bare``'s last
    step of ``ref``, and ``ref`` itself, in float64."""
    state = bare.state[ref]
    v = state["exp_avg_sq"].double().numpy()
    d = 0.01 / (np.sqrt(v / (1 - 0.999 ** state["step"].item())) + 1e-8)
    return d, ref.double().numpy()


def group_prox_reference(z, d, tau):
    """argmin_b Σ (b − z)²/(2d) + τ‖b‖₂, in float64 with SciPy's root finder."""
    from scipy.optimize import brentq

    if np.linalg.norm(z / d) <= tau:
        return np.zeros_like(z)
    # b = z·r/(r + τd) with r = ‖b‖, the root of ‖z/(r + τd)‖ = 1 in (0, ‖z‖).
    r = brentq(lambda r: np.linalg.norm(z / (r + tau * d)) - 1, 0, np.linalg.norm(z), xtol=1e-14)
    return z * r / (r + tau * d)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_group_l1_under_adam_is_the_argmin_rounded(dtype):
    alpha = 5e6  # rows with ‖z/d‖ from 2e7 to 4.4e7, τ = α·sqrt(5): zero after 3 steps or not
    w0, grads = half_adam_setup(dtype, seed=1)
    w0[:, 0] *= 1.5  # |w| up to 300: w² overflows float16
    w = w0.clone().requires_grad_()
    ref = w0.clone().requires_grad_()
    opt = Proximal(torch.optim.Adam([w], lr=0.01), GroupL1([w], alpha, groups="output"))
    bare = torch.optim.Adam([ref], lr=0.01)
    tau = alpha * np.sqrt(5)
    for grad in grads:
        step_both(opt, bare, w, ref, grad)
        with torch.no_grad():
            d, z = adam_step_and_point(bare, ref)
            b = np.stack([group_prox_reference(z[i], d[i], tau) for i in range(6)])
            ref.copy_(torch.from_numpy(b))
        assert torch.isfinite(w).all()
        ulp = 2e-3 if dtype == torch.float16 else 1.6e-2
        torch.testing.assert_close(w.detach(), ref.detach(), rtol=ulp, atol=ulp * 100)
    assert (w == 0).all(dim=1).any() and not (w == 0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.Adam(ps, lr=1e-4),
        lambda ps: torch.optim.RMSprop(ps, lr=1e-4),
        lambda ps: torch.optim.SGD(ps, lr=1e-4, momentum=0.9),
    ],
    ids=["adam", "rmsprop", "sgd"],
)
@pytest.mark.parametrize("penalty", [L1, L2, ElasticNet, GroupL1])
def test_alpha_zero_leaves_low_precision_weights_as_the_bare_optimizer(dtype, make, penalty):
    # w·denom/denom rounded twice per step made bfloat16 weights drift by a unit per step.
    g = torch.Generator().manual_seed(0)
    w0 = (0.01 * torch.randn(4, 6, generator=g)).to(dtype)  # small: a step of 1e-4 shows
    w, ref = w0.clone().requires_grad_(), w0.clone().requires_grad_()
    opt, bare = Proximal(make([w]), penalty([w], 0.0)), make([ref])
    for _ in range(200):
        grad = torch.randn(4, 6, generator=g).to(dtype)
        step_both(opt, bare, w, ref, grad)
    assert not torch.equal(ref.detach(), w0)  # the optimizer did move
    assert torch.equal(w.detach(), ref.detach())


# -- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("penalty", "match"),
    [
        (None, "got None"),
        (0.1, "got 0.1"),
        (L1, "L1 is the class, not a penalty"),
        ([L1], "L1 is the class, not a penalty"),
        ("l1", "got 'l1'"),
        ([], "non-empty"),
    ],
)
def test_not_a_penalty(penalty, match):
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=f"penalty must be.*{match}"):
        Proximal(torch.optim.SGD([w], lr=0.1), penalty)


def test_bad_decoupled_and_step_size():
    w = torch.ones(2, requires_grad=True)
    opt, penalty = torch.optim.SGD([w], lr=0.1), L1([w], 0.1)
    with pytest.raises(TypeError, match="decoupled must be True or False, got 'no'"):
        Proximal(opt, penalty, decoupled="no")
    with pytest.raises(TypeError, match="step_size must be a callable.*got 0.1.*lambda"):
        Proximal(opt, penalty, step_size=0.1)


@pytest.mark.parametrize(
    ("rule", "error", "match"),
    [
        (lambda o, g, p: -0.1, ValueError, "finite number >= 0.*got -0.1"),
        (lambda o, g, p: float("nan"), ValueError, "finite number >= 0"),
        (lambda o, g, p: torch.full((2,), -1.0), ValueError, "negative or NaN"),
        (lambda o, g, p: torch.ones(3), ValueError, r"shaped like the parameter \(2,\)"),
        (lambda o, g, p: "0.1", TypeError, "got '0.1'"),
    ],
)
def test_a_step_size_rule_returning_a_bad_step_is_named_at_the_step(rule, error, match):
    w = torch.ones(2, requires_grad=True)
    opt = Proximal(torch.optim.SGD([w], lr=0.1), L1([w], 0.1), step_size=rule)
    w.grad = torch.zeros(2)
    with pytest.raises(error, match=rf"step_size\(optimizer, param_group, param\).*{match}"):
        opt.step()
