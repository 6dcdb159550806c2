"""shrinkage.nn.penalties: values against the core NumPy penalties, gradients, proximal maps
against closed forms and against numerical minimization, bad input."""

import copy
import math
import pickle

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from torch import nn  # noqa: E402

from shrinkage import penalties as core  # noqa: E402
from shrinkage.nn import L1, L2, ElasticNet, GroupL1  # noqa: E402

from .nets import small_net  # noqa: E402


def flat_weights(model):
    """Every nn.Linear / nn.Conv weight, written out independently of shrinkage.nn."""
    ws = [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    return np.concatenate([w.detach().numpy().ravel() for w in ws])


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.7])
def test_values_equal_core_numpy_penalties(alpha):
    model = small_net()
    w = flat_weights(model)
    assert L1(model, alpha)().item() == pytest.approx(core.L1(alpha).value(w), rel=1e-12)
    assert L2(model, alpha)().item() == pytest.approx(core.L2(alpha).value(w), rel=1e-12)
    for rho in (0.0, 0.3, 1.0):
        ours = ElasticNet(model, alpha, l1_ratio=rho)().item()
        assert ours == pytest.approx(core.ElasticNetPenalty(alpha, rho).value(w), rel=1e-12)


def test_nielsen_scaling_is_alpha_over_n():
    model = small_net()
    w = flat_weights(model)
    lam, n = 5.0, 1000
    # Nielsen: λ/n Σ|w| and λ/(2n) Σw².
    assert L1(model, lam, n_samples=n)().item() == pytest.approx(lam / n * np.abs(w).sum())
    assert L2(model, lam, n_samples=n)().item() == pytest.approx(lam / (2 * n) * (w**2).sum())
    assert L1(model, lam, n_samples=n).strength == lam / n


@pytest.mark.parametrize("groups", ["output", "input"])
def test_group_l1_value_closed_form(groups):
    torch.manual_seed(0)
    lin = nn.Linear(5, 4).double()
    w = lin.weight.detach().numpy()  # (out=4, in=5)
    norms = np.linalg.norm(w, axis=1 if groups == "output" else 0)
    size = w.shape[1] if groups == "output" else w.shape[0]
    penalty = GroupL1(lin, 0.3, groups=groups)
    assert penalty().item() == pytest.approx(0.3 * np.sqrt(size) * norms.sum())
    plain = GroupL1(lin, 0.3, groups=groups, size_weighted=False)
    assert plain().item() == pytest.approx(0.3 * norms.sum())


def test_group_l1_on_convolutions_groups_channels():
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 6, 3, groups=2).double()  # weight (6, 2, 3, 3)
    w = conv.weight.detach().numpy()
    # Output channel o: w[o]. Input channel c (group g = c // 2) is read by the 3 output
    # channels of group g through w[3g:3g+3, c % 2].
    out_norms = [np.linalg.norm(w[o]) for o in range(6)]
    in_norms = [np.linalg.norm(w[3 * (c // 2) : 3 * (c // 2) + 3, c % 2]) for c in range(4)]
    assert GroupL1(conv, 1.0, groups="output", size_weighted=False)().item() == pytest.approx(
        sum(out_norms)
    )
    assert GroupL1(conv, 1.0, groups="input", size_weighted=False)().item() == pytest.approx(
        sum(in_norms)
    )
    assert GroupL1(conv, 1.0, groups="input")().item() == pytest.approx(
        np.sqrt(3 * 9) * sum(in_norms)
    )


def test_group_l1_on_transposed_convolutions():
    torch.manual_seed(0)
    conv = nn.ConvTranspose1d(3, 5, 2).double()  # weight (in=3, out=5, 2)
    w = conv.weight.detach().numpy()
    outs = sum(np.linalg.norm(w[:, o]) for o in range(5))
    ins = sum(np.linalg.norm(w[c]) for c in range(3))
    assert GroupL1(conv, 1.0, size_weighted=False)().item() == pytest.approx(outs)
    assert GroupL1(conv, 1.0, groups="input", size_weighted=False)().item() == pytest.approx(ins)


# -- gradients ------------------------------------------------------------------------------


def _away_from_kinks(shape, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(shape, generator=g, dtype=torch.float64) + 0.2  # |w| >= 0.2
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0).double()
    return (w * sign).requires_grad_()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: L1(ps, 0.7),
        lambda ps: L2(ps, 0.7),
        lambda ps: ElasticNet(ps, 0.7, l1_ratio=0.4),
        lambda ps: GroupL1(ps, 0.7),
        lambda ps: GroupL1(ps, 0.7, groups="input", n_samples=3),
    ],
)
def test_gradcheck_float64(make):
    a, b = _away_from_kinks((4, 3), 0), _away_from_kinks((5,), 1)
    penalty = make([a, b])
    assert torch.autograd.gradcheck(lambda x, y: penalty([x, y]), (a, b))
    assert torch.autograd.gradgradcheck(lambda x, y: penalty([x, y]), (a, b))


# -- proximal maps: closed forms --------------------------------------------------------------


@pytest.mark.parametrize("step", [0.1, 1.0])
def test_penalty_prox_matches_core_prox(step):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    for make, core_penalty in [
        (lambda m: L1(m, 0.4), core.L1(0.4)),
        (lambda m: L2(m, 0.4), core.L2(0.4)),
        (lambda m: ElasticNet(m, 0.4, 0.3), core.ElasticNetPenalty(0.4, 0.3)),
        (lambda m: L1(m, 4.0, n_samples=10), core.L1(0.4)),
    ]:
        trial = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)).double()
        trial.load_state_dict(model.state_dict())
        before = [trial[0].weight.detach().clone(), trial[2].weight.detach().clone()]
        bias = trial[0].bias.detach().clone()
        make(trial).prox(step)
        for w0, w in zip(before, [trial[0].weight, trial[2].weight], strict=True):
            expected = core_penalty.prox(w0.numpy().ravel(), step).reshape(w0.shape)
            np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-13, atol=1e-15)
        assert torch.equal(trial[0].bias, bias)  # biases untouched


def test_group_prox_closed_form_scalar_step():
    torch.manual_seed(0)
    lin = nn.Linear(4, 3).double()
    w = lin.weight.detach().numpy().copy()
    GroupL1(lin, 0.2, groups="input").prox(0.5)
    tau = 0.5 * 0.2 * np.sqrt(3)
    norms = np.linalg.norm(w, axis=0)
    expected = w * np.maximum(0, 1 - tau / norms)
    np.testing.assert_allclose(lin.weight.detach().numpy(), expected, rtol=1e-13)


# -- proximal maps: the argmin --------------------------------------------------------------


def _prox_objective(z, d, g):
    return lambda b: np.sum((b - z) ** 2 / (2 * d)) + g(b)


def _check_is_minimizer(objective, candidate, rng, n_dirs=200, scale=1e-3):
    """Convex objective: the candidate beats random nearby points and a numerical solve."""
    f0 = objective(candidate)
    for _ in range(n_dirs):
        assert f0 <= objective(candidate + scale * rng.normal(size=candidate.shape)) + 1e-12
    best = minimize(
        objective,
        candidate + 0.05,
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40000},
    )
    assert f0 <= best.fun + 1e-10


@pytest.mark.parametrize("kind", ["l1", "l2", "enet"])
def test_prox_is_the_argmin_with_per_coordinate_steps(kind):
    rng = np.random.default_rng(1)
    z = rng.normal(size=6)
    d = rng.uniform(0.05, 2.0, size=6)  # a per-coordinate step, as Adam's
    alpha = 0.8
    w = torch.tensor(z, requires_grad=True)
    make = {
        "l1": lambda p: L1(p, alpha),
        "l2": lambda p: L2(p, alpha),
        "enet": lambda p: ElasticNet(p, alpha, 0.6),
    }[kind]
    penalty = make([w])
    g = {
        "l1": lambda b: alpha * np.abs(b).sum(),
        "l2": lambda b: alpha / 2 * (b**2).sum(),
        "enet": lambda b: alpha * (0.6 * np.abs(b).sum() + 0.2 * (b**2).sum()),
    }[kind]
    penalty.prox(torch.tensor(d))
    candidate = w.detach().numpy()
    _check_is_minimizer(_prox_objective(z, d, g), candidate, rng)


@pytest.mark.parametrize("per_coordinate", [False, True])
def test_group_prox_is_the_argmin(per_coordinate):
    rng = np.random.default_rng(2)
    z = 3 * rng.normal(size=(3, 4))
    z[1] *= 0.02  # a row that the prox zeroes
    d = rng.uniform(0.1, 3.0, size=z.shape) if per_coordinate else np.full(z.shape, 0.7)
    alpha = 0.3
    w = torch.tensor(z, requires_grad=True)
    GroupL1([w], alpha, groups="output").prox(torch.tensor(d) if per_coordinate else 0.7)
    out = w.detach().numpy()

    def g(b):
        return alpha * 2.0 * np.linalg.norm(b.reshape(3, 4), axis=1).sum()  # sqrt(4) = 2

    objective = _prox_objective(z.ravel(), d.ravel(), g)
    _check_is_minimizer(objective, out.ravel(), rng)
    assert np.all(out[1] == 0)  # an exact zero group
    assert np.all(out[[0, 2]] != 0)


def test_group_prox_metric_with_constant_step_is_block_soft_threshold():
    torch.manual_seed(3)
    a = torch.randn(5, 7, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_()
    GroupL1([a], 0.4).prox(torch.full((5, 7), 0.6, dtype=torch.float64))
    GroupL1([b], 0.4).prox(0.6)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def test_group_prox_zero_step_leaves_weights():
    w = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    before = w.detach().clone()
    GroupL1([w], 5.0).prox(torch.zeros(3, 4, dtype=torch.float64))
    assert torch.equal(w.detach(), before)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [-1.0, float("nan"), float("inf")])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        L1(nn.Linear(2, 2), alpha)


def test_alpha_setter_validates():
    penalty = L1(nn.Linear(2, 2), 1.0)
    penalty.alpha = 0.5
    assert penalty.strength == 0.5
    with pytest.raises(ValueError):
        penalty.alpha = -0.1


def test_no_parameters_selected_names_the_fix():
    model = nn.Sequential(nn.BatchNorm1d(3), nn.ReLU())
    with pytest.raises(ValueError, match="selected no parameters.*include="):
        L1(model, 1.0)
    with pytest.raises(ValueError, match="selected no parameters"):
        L2([], 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 0}, ValueError, "n_samples must be a positive integer.*got 0"),
        ({"n_samples": 2.5}, ValueError, "n_samples must be a positive integer.*got 2.5"),
        ({"n_samples": True}, ValueError, "n_samples must be a positive integer.*got True"),
        ({"n_samples": "100"}, ValueError, "n_samples must be a positive integer.*got '100'"),
        ({"n_samples": np.float64(-3.0)}, ValueError, "n_samples must be a positive integer"),
        ({"include": "weight"}, TypeError, "include must be a callable.*got 'weight'.*lambda"),
        ({"alpha": "0.1"}, TypeError, "alpha must be a real number, got '0.1'"),
        ({"alpha": True}, TypeError, "alpha must be a real number, got True"),
        ({"alpha": None}, TypeError, "alpha must be a real number, got None"),
    ],
)
def test_bad_keyword_arguments(kwargs, error, match):
    kwargs = {"alpha": 1.0, **kwargs}
    with pytest.raises(error, match=match):
        L1(nn.Linear(2, 2), **kwargs)


@pytest.mark.parametrize(
    "n", [100, np.int64(100), np.int32(100), torch.tensor(100), 100.0, np.float32(100.0)]
)
def test_n_samples_accepts_integers_of_any_kind(n):
    penalty = L1(nn.Linear(2, 2), 5.0, n_samples=n)
    assert penalty.n_samples == 100 and type(penalty.n_samples) is int
    assert penalty.strength == 0.05


def test_alpha_accepts_numbers_of_any_kind():
    for alpha in (np.float32(0.5), np.int64(2), torch.tensor(0.5, dtype=torch.float64), 1):
        assert L1(nn.Linear(2, 2), alpha).alpha == float(alpha)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"l1_ratio": "a"}, TypeError, "l1_ratio must be a real number, got 'a'"),
        ({"l1_ratio": None}, TypeError, "l1_ratio must be a real number, got None"),
        ({"l1_ratio": float("nan")}, ValueError, "l1_ratio must lie in"),
    ],
)
def test_bad_l1_ratio(kwargs, error, match):
    with pytest.raises(error, match=match):
        ElasticNet(nn.Linear(2, 2), 1.0, **kwargs)


def test_settings_are_checked_when_set_later():
    penalty = GroupL1(nn.Linear(2, 2), 1.0)
    with pytest.raises(ValueError, match="n_samples"):
        penalty.n_samples = 0
    with pytest.raises(ValueError, match="groups must be"):
        penalty.groups = "rows"
    with pytest.raises(TypeError, match="size_weighted must be True or False, got 'no'"):
        GroupL1(nn.Linear(2, 2), 1.0, size_weighted="no")
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(nn.Linear(2, 2), 1.0).l1_ratio = 2.0


def test_group_setting_changed_later_changes_the_value():
    torch.manual_seed(0)
    lin = nn.Linear(5, 4).double()
    w = lin.weight.detach().numpy()
    penalty = GroupL1(lin, 0.3)
    penalty.groups, penalty.size_weighted = "input", False
    assert penalty().item() == pytest.approx(0.3 * np.linalg.norm(w, axis=0).sum())


def test_bad_l1_ratio_groups_and_items():
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(nn.Linear(2, 2), 1.0, l1_ratio=1.5)
    with pytest.raises(ValueError, match="groups must be"):
        GroupL1(nn.Linear(2, 2), 1.0, groups="rows")
    with pytest.raises(TypeError, match="iterable of tensors"):
        L1([1.0, 2.0], 1.0)
    for bad in (None, 3.0, "weights"):
        with pytest.raises(TypeError, match=f"parameters must be an nn.Module.*got {bad!r}"):
            L1(bad, 1.0)
    with pytest.raises(TypeError, match="dtype"):
        L1([torch.ones(3, dtype=torch.int64)], 1.0)
    with pytest.raises(ValueError, match="lazy module"):
        L1(nn.Sequential(nn.LazyLinear(3)), 1.0)


def test_bad_steps():
    penalty = L1(nn.Linear(2, 2), 1.0)
    with pytest.raises(ValueError, match="step"):
        penalty.prox(-1.0)
    with pytest.raises(ValueError, match="step"):
        penalty.prox(torch.full((2, 2), -1.0))
    with pytest.raises(ValueError, match="expected 1 tensors"):
        penalty([torch.zeros(2, 2), torch.zeros(2)])
    with pytest.raises(TypeError, match="step must be a number.*got 'a'"):
        penalty.prox("a")
    with pytest.raises(TypeError, match="must be a number or a tensor.*got None"):
        penalty.prox([None])
    with pytest.raises(ValueError, match=r"shaped like the parameter \(2, 2\).*shape \(5,\)"):
        penalty.prox(torch.ones(5))
    with pytest.raises(ValueError, match="expected 1 steps"):
        penalty.prox([0.1, 0.2])


def test_values_of_other_tensors_must_match_the_shapes():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 4))
    penalty = L1(model, 1.0)
    with pytest.raises(ValueError, match=r"'0.weight' must have its shape \(2, 3\), got \(3,\)"):
        penalty([torch.randn(3), torch.randn(4)])
    with pytest.raises(ValueError, match=r"'2.weight' must have its shape \(4, 2\), got \(2, 4\)"):
        penalty([torch.randn(2, 3), torch.randn(2, 4)])
    with pytest.raises(TypeError, match="sequence of tensors.*got a Tensor"):
        penalty(torch.randn(2, 3))
    a, b = torch.randn(2, 3), torch.randn(4, 2)
    assert penalty(t for t in (a, b)).item() == pytest.approx(
        (a.abs().sum() + b.abs().sum()).item()
    )


# -- copies ------------------------------------------------------------------------------------


def _copies(penalty, tmp_path):
    path = tmp_path / "penalty.pt"
    torch.save(penalty, path)
    return [
        copy.deepcopy(penalty),
        pickle.loads(pickle.dumps(penalty)),
        torch.load(path, weights_only=False),
    ]


@pytest.mark.parametrize("groups", ["output", "input"])
def test_copies_of_a_group_l1_evaluate_and_prox_as_the_original(groups, tmp_path):
    torch.manual_seed(0)
    lin = nn.Linear(4, 3).double()
    w = lin.weight.detach().numpy().copy()
    axis = 1 if groups == "output" else 0
    size = w.shape[axis]
    norms = np.linalg.norm(w, axis=axis, keepdims=True)
    penalty = GroupL1(lin, 0.2, groups=groups, n_samples=2)
    for copied in _copies(penalty, tmp_path):
        assert copied().item() == pytest.approx(0.1 * np.sqrt(size) * norms.sum(), rel=1e-12)
        copied.prox(0.5)  # block soft-thresholding, on the copy's own tensors
        expected = w * np.maximum(0, 1 - 0.5 * 0.1 * np.sqrt(size) / norms)
        np.testing.assert_allclose(copied.parameters[0].detach().numpy(), expected, rtol=1e-13)
        copied.prox(torch.full((3, 4), 0.5, dtype=torch.float64))  # the per-coordinate path
    np.testing.assert_array_equal(lin.weight.detach().numpy(), w)  # the original untouched


def test_repr_and_config():
    penalty = GroupL1(nn.Linear(2, 2), 0.5, groups="input", n_samples=10)
    assert "GroupL1(alpha=0.5" in repr(penalty) and "n_samples=10" in repr(penalty)
    assert penalty.config()["groups"] == "input"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize(
    "make", [lambda m: L1(m, 1e-4), lambda m: GroupL1(m, 1e-4, groups="output")]
)
def test_low_precision_values_are_summed_in_float32(dtype, make):
    """2·10⁶ float16 weights of |w| ≈ 0.05: the float16 sum is inf (past 65504); the value
    is the float64 sum of the same float16 weights, to float32 rounding."""
    layer = nn.Linear(2000, 1000, bias=False)
    with torch.no_grad():
        layer.weight.uniform_(-0.1, 0.1)
    layer = layer.to(dtype)
    penalty = make(layer)
    value = penalty()
    assert value.dtype == torch.float32
    w = layer.weight.detach().double()
    if isinstance(penalty, L1):
        expected = 1e-4 * w.abs().sum()
    else:
        expected = 1e-4 * math.sqrt(2000) * w.norm(dim=1).sum()  # rows: output units
    assert float(value.detach()) == pytest.approx(float(expected), rel=1e-5)
    value.backward()  # the gradient reaches the low-precision parameter in its dtype
    assert layer.weight.grad.dtype == dtype
