"""shrinkage.nn.prox: the proximal kernels on their own, against closed forms.

Soft-thresholding is ``S(x, t) = sign(x)·max(|x| − t, 0)``; the L2 prox is ``x / (1 + t)``;
block soft-thresholding is ``x_g·max(0, 1 − t/‖x_g‖₂)``. With a per-coordinate step ``d``
the group map has no closed form: it is checked by its optimality (KKT) conditions,
``(b_i − x_i)/d_i + τ·b_i/‖b‖₂ = 0`` on a nonzero group and ``‖x/d‖₂ <= τ`` on a zero one.
Every form of the step (a number, a tensor, a factored ``DiagonalStep``) is covered, and the
zeros must be exact ``0.0``.
"""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

from shrinkage.nn.prox import (  # noqa: E402
    DiagonalStep,
    group_prox_metric_,
    group_soft_threshold,
    norms_per_group,
    shrink_factor,
    shrink_l2_,
    soft_threshold,
    soft_threshold_,
    softshrink_,
)


def soft_reference(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def data(seed=0, shape=(6, 5)):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    d = rng.uniform(0.2, 2.0, size=shape)  # a per-coordinate step, as Adam's
    return x, d


def test_soft_threshold_closed_form():
    x = torch.tensor([-3.0, -0.5, -0.1, 0.0, 0.1, 0.5, 3.0], dtype=torch.float64)
    expected = np.sign(x.numpy()) * np.maximum(np.abs(x.numpy()) - 0.5, 0)
    np.testing.assert_array_equal(soft_threshold(x, 0.5).numpy(), expected)
    t = torch.full_like(x, 0.5)
    np.testing.assert_array_equal(soft_threshold(x, t).numpy(), expected)
    assert np.all(soft_threshold(x, 0.5).numpy()[1:6] == 0.0)  # exact zeros


def test_group_soft_threshold_closed_form():
    x = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]], dtype=torch.float64)
    out = group_soft_threshold(x, 1.0, dim=1).numpy()
    # Row 1: norm 5 → scaled by 1 - 1/5. Row 2: norm 0.5 ≤ 1 → zero. Row 3 stays 0.
    np.testing.assert_allclose(out, [[3 * 0.8, 4 * 0.8], [0, 0], [0, 0]])
    assert np.all(out[1:] == 0)


def test_softshrink_in_place_closed_form():
    x = np.array([-3.0, -0.7, -0.2, 0.0, 0.2, 0.7, 3.0])
    t = torch.tensor(x)
    softshrink_(t, 0.5)
    np.testing.assert_allclose(t.numpy(), soft_reference(x, 0.5), rtol=1e-15)
    assert np.all(t.numpy()[2:5] == 0.0)  # |x| < t: exactly zero


@pytest.mark.parametrize("form", ["number", "tensor", "diagonal"])
def test_soft_threshold_in_place_every_step_form(form):
    x, d = data(1)
    alpha = 0.6
    step = {
        "number": 0.9,
        "tensor": torch.tensor(d),
        "diagonal": DiagonalStep(torch.tensor(1.5 / d), 1.5),  # D = scale / denom = d
    }[form]
    D = 0.9 if form == "number" else d
    threshold = alpha * D
    expected = soft_reference(x, threshold)
    t = torch.tensor(x)
    soft_threshold_(t, step, alpha)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-12, atol=1e-15)
    inside = np.abs(x) < threshold * (1 - 1e-9)  # clearly under the threshold
    assert inside.any() and (~inside).any()
    assert np.all(t.numpy()[inside] == 0.0)  # exact zeros, not rounding residue
    assert np.all(t.numpy()[~inside] != 0.0)
    if form == "tensor":  # a caller's step tensor is read, never written
        np.testing.assert_array_equal(step.numpy(), d)


@pytest.mark.parametrize("form", ["number", "tensor", "diagonal"])
def test_shrink_l2_in_place_every_step_form(form):
    x, d = data(2)
    alpha = 0.8
    step = {
        "number": 0.3,
        "tensor": torch.tensor(d),
        "diagonal": DiagonalStep(torch.tensor(2.0 / d), 2.0),
    }[form]
    D = 0.3 if form == "number" else d
    t = torch.tensor(x)
    shrink_l2_(t, step, alpha)
    # argmin_b (b − x)²/(2D) + alpha/2·b² = x / (1 + alpha·D)
    np.testing.assert_allclose(t.numpy(), x / (1 + alpha * D), rtol=1e-13)


def test_diagonal_step_tensor_is_scale_over_denominator():
    denom = torch.tensor([0.5, 2.0, 4.0], dtype=torch.float64)
    step = DiagonalStep(denom.clone(), 3.0)
    np.testing.assert_allclose(step.tensor().numpy(), [6.0, 1.5, 0.75], rtol=1e-15)


def test_group_soft_threshold_with_tensor_threshold():
    x, _ = data(3, (4, 3))
    t = np.array([[0.1], [5.0], [0.5], [0.0]])  # one threshold per row (group)
    out = group_soft_threshold(torch.tensor(x), torch.tensor(t), dim=1).numpy()
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(out, x * np.maximum(0, 1 - t / norms), rtol=1e-13)
    assert np.all(out[1] == 0.0)  # norm below 5: the whole group is exactly zero
    np.testing.assert_array_equal(out[3], x[3])  # threshold 0 leaves it


@pytest.mark.parametrize("dim", [(1,), (0,)])
def test_norms_per_group_leading_and_trailing(dim):
    x, _ = data(4, (5, 7))
    got = norms_per_group(torch.tensor(x), dim).numpy()
    np.testing.assert_allclose(got, np.linalg.norm(x, axis=dim, keepdims=True), rtol=1e-14)


def test_shrink_factor_zero_group_stays_zero():
    norms = torch.tensor([[0.0], [0.5], [2.0]], dtype=torch.float64)
    factor = shrink_factor(norms, 1.0).numpy().ravel()
    np.testing.assert_allclose(factor, [0.0, 0.0, 0.5], rtol=1e-15)  # no NaN from 0/0
    assert np.isfinite(factor).all()


def group_prox(x, d, tau, dim):
    """Run the in-place group prox on copies; returns b."""
    b = torch.tensor(x)
    td = torch.tensor(d) * tau  # overwritten by the kernel
    work, work2 = torch.empty_like(b), torch.empty_like(b)
    group_prox_metric_(b, td, dim, work, work2)
    return b.numpy()


@pytest.mark.parametrize("dim", [(1,), (0,)])
def test_group_prox_metric_satisfies_the_optimality_conditions(dim):
    x, d = data(5, (6, 4))
    axis = dim[0]
    np.moveaxis(x, axis, -1)[2] *= 0.05  # group 2 (a row, or a column) small: zeroed
    tau = 0.4
    b = group_prox(x, d, tau, dim)
    zero = np.all(b == 0.0, axis=axis)
    assert zero.any() and (~zero).any()
    for g in range(b.shape[1 - axis]):
        xg, dg, bg = np.take(x, g, 1 - axis), np.take(d, g, 1 - axis), np.take(b, g, 1 - axis)
        if zero[g]:
            # 0 is the minimizer iff 0 ∈ −x/d + τ·∂‖0‖, i.e. ‖x/d‖ <= τ.
            assert np.linalg.norm(xg / dg) <= tau * (1 + 1e-12)
        else:
            assert np.linalg.norm(xg / dg) > tau
            residual = (bg - xg) / dg + tau * bg / np.linalg.norm(bg)
            np.testing.assert_allclose(residual, 0.0, atol=1e-12)


def test_group_prox_metric_with_constant_step_is_block_soft_thresholding():
    x, _ = data(6, (5, 7))
    x[1] *= 0.01
    d = np.full_like(x, 0.6)
    tau = 0.5
    b = group_prox(x, d, tau, (1,))
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(b, x * np.maximum(0, 1 - tau * 0.6 / norms), rtol=1e-12)
    assert np.all(b[1] == 0.0)


def test_torch_prox_kernels_equal_the_library_penalty_math():
    """The PyTorch kernels compute the same prox as ``shrinkage.penalties`` (the one
    NumPy definition): soft-threshold then L2 shrink is the elastic net's prox."""
    import numpy as np
    import torch

    from shrinkage.nn.prox import shrink_l2_, soft_threshold_
    from shrinkage.penalties import elastic_net_prox

    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=500)
    step, alpha, l1_ratio = 0.3, 1.7, 0.6
    x = torch.tensor(z)
    soft_threshold_(x, step, alpha * l1_ratio)
    shrink_l2_(x, step, alpha * (1 - l1_ratio))
    expected = elastic_net_prox(z, step * alpha * l1_ratio, step * alpha * (1 - l1_ratio))
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12, atol=1e-15)
    assert np.array_equal(x.numpy() == 0, expected == 0)  # the same exact zeros


@pytest.mark.parametrize("kernel", [soft_threshold_, shrink_l2_])
def test_alpha_zero_is_the_identity_even_for_infinite_steps(kernel):
    x, _ = data(7)
    t = torch.tensor(x)
    for step in (torch.full_like(t, float("inf")), float("inf"), 0.5):
        kernel(t, step, 0.0)  # 0·inf would be NaN: a zero penalty must not touch w
        np.testing.assert_array_equal(t.numpy(), x)


def test_shrink_l2_with_a_factored_step_forms_no_product():
    # x / (1 + a·c/s), not x·s / (s + a·c): 300·1000 overflows float16 (65504).
    x = torch.tensor([300.0, -200.0, 60000.0], dtype=torch.float16)
    denom = torch.tensor([1000.0, 2000.0, 4.0], dtype=torch.float16)
    shrink_l2_(x, DiagonalStep(denom, 0.01), 50.0)
    expected = np.array([300.0, -200.0, 60000.0]) / (1 + 50.0 * 0.01 / np.array([1e3, 2e3, 4.0]))
    np.testing.assert_allclose(x.double().numpy(), expected, rtol=2e-3)


@pytest.mark.parametrize(
    "threshold", [-0.1, float("nan"), torch.tensor([0.1, -1.0, 0.0]), torch.tensor(float("nan"))]
)
def test_negative_or_nan_thresholds_are_refused(threshold):
    """A negative threshold is no proximal map: S(0, −0.1) would be 0.1."""
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        soft_threshold(torch.ones(3), threshold)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        group_soft_threshold(torch.ones(3, 3), threshold, 1)


def test_a_group_holding_nan_turns_nan_instead_of_pruned_zeros():
    """A diverged step (NaN) must stay visible: the group's finite members must not turn
    into exact zeros that would be counted as pruned. Other groups are unaffected."""
    x = torch.tensor([[float("nan"), 1.0, 1.0], [1.0, 1.0, 1.0], [0.01, 0.0, 0.0]])
    out = group_soft_threshold(x, 0.1, 1)
    assert torch.isnan(out[0]).all()
    torch.testing.assert_close(out[1], torch.full((3,), 1 - 0.1 / 3**0.5))
    assert torch.equal(out[2], torch.zeros(3))  # a small group is still zeroed
    metric = x.clone()
    td = torch.full_like(x, 0.1)
    group_prox_metric_(metric, td, (1,), torch.empty_like(x), torch.empty_like(x))
    assert torch.isnan(metric[0]).all()
    torch.testing.assert_close(metric[1], out[1])  # a constant d: block soft-thresholding
    assert torch.equal(metric[2], torch.zeros(3))
