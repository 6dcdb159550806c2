"""shrinkage.nn.step_rules: each rule returns the step ``D`` the optimizer really took, read
off the update ``w ← w − D·g`` of the optimizer itself (no momentum)."""

import pytest

torch = pytest.importorskip("torch")

from shrinkage.nn import L1, Proximal, step_size_rule  # noqa: E402

from .nets import regression  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.SGD(ps, lr=0.1),
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.0, 0.99)),
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.0, 0.99), amsgrad=True),
        lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.0, 0.99), weight_decay=0.0),
        lambda ps: torch.optim.NAdam(ps, lr=0.01, betas=(0.0, 0.99)),
        lambda ps: torch.optim.RAdam(ps, lr=0.01, betas=(0.0, 0.99)),
        lambda ps: torch.optim.Adamax(ps, lr=0.01, betas=(0.0, 0.99)),
        lambda ps: torch.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, centered=True),
    ],
)
def test_step_rule_is_the_step_the_optimizer_took(make):
    # Without momentum (β₁ = 0), every one of these optimizers updates w ← w − D·g, with D
    # the per-coordinate step the rule must return. 12 steps: RAdam is rectified by then.
    X, y = regression(seed=2)
    w = torch.zeros(X.shape[1], dtype=X.dtype, requires_grad=True)
    opt = make([w])
    _, rule = step_size_rule(opt)
    for _ in range(12):
        opt.zero_grad()
        (0.5 * ((X @ w - y) ** 2).mean()).backward()
        before, grad = w.detach().clone(), w.grad.clone()
        opt.step()
    step = rule(opt, opt.param_groups[0], w)
    torch.testing.assert_close(before - w.detach(), step * grad, rtol=1e-9, atol=1e-14)


def test_known_and_fallback_rules():
    p = [torch.zeros(2, requires_grad=True)]
    assert "Adam" in step_size_rule(torch.optim.AdamW(p))[0]
    assert step_size_rule(torch.optim.Adam(p), decoupled=True)[0] == "lr (decoupled)"
    assert "no known preconditioner" in step_size_rule(torch.optim.ASGD(p))[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.02, momentum=0.8, dampening=0.5),
        lambda ps: torch.optim.RMSprop(ps, lr=1e-3, momentum=0.9),
    ],
    ids=["sgd-momentum", "nesterov", "dampening", "rmsprop-momentum"],
)
def test_momentum_settles_on_the_lasso_at_alpha(make):
    """``min ½‖w − c‖² + alpha‖w‖₁`` has the closed form ``S(c, alpha)``. With momentum
    the step D is momentum's steady step, so training lands there (D = lr would land on
    ``S(c, alpha·(1 − μ))``: [0.03, 0.13, 0.28, −0.48, 0.98] at μ = 0.9), zeros included."""
    c = torch.tensor([0.05, 0.15, 0.3, -0.5, 1.0], dtype=torch.float64)
    alpha = 0.2
    w = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    opt = Proximal(make([w]), L1([w], alpha))
    for _ in range(6000):
        opt.zero_grad()
        (0.5 * ((w - c) ** 2).sum()).backward()
        opt.step()
    lasso = torch.sign(c) * torch.clamp(c.abs() - alpha, min=0)
    torch.testing.assert_close(w.detach(), lasso, rtol=0, atol=1e-6)
    assert torch.equal(w.detach()[:2], torch.zeros(2, dtype=torch.float64))
