"""shrinkage.nn.selection: which parameters a penalty acts on (weights of linear and
convolution layers by default; never biases, normalization parameters or embeddings), tied
weights once, and the unit / input groups of each tensor."""

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from shrinkage.nn import L1, L2, default_include, select_parameters  # noqa: E402

from .nets import small_net  # noqa: E402


def test_default_selection_weights_only():
    model = small_net()
    names = L1(model, 1.0).names
    assert names == ["0.weight", "4.weight", "7.weight"]  # conv, linear, linear
    for name, _ in model.named_parameters():
        if "bias" in name or name.startswith(("1.", "5.")):  # biases, BatchNorm, LayerNorm
            assert name not in names, name


def test_embedding_and_frozen_weights_left_out_by_default():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2), nn.Linear(2, 2))
    model[2].weight.requires_grad_(False)
    assert L1(model, 1.0).names == ["1.weight"]
    opt_in = L1(model, 1.0, include=lambda n, p, m: isinstance(m, nn.Embedding))
    assert opt_in.names == ["0.weight"]


def test_include_filter_and_iterables():
    model = small_net()
    first_layer_only = L1(model, 1.0, include=lambda n, p, m: n == "0.weight")
    assert first_layer_only.names == ["0.weight"]
    with_biases = L2(
        model, 1.0, include=lambda n, p, m: default_include(n, p, m) or n.endswith("bias")
    )
    assert "4.bias" in with_biases.names and "1.bias" in with_biases.names
    named = L1(model.named_parameters(), 1.0, include=lambda n, p, m: "weight" in n)
    assert "1.weight" in named.names  # an explicit iterable is taken as given
    plain = L1([model[4].weight, model[4].weight], 1.0)  # duplicates once
    assert len(plain.parameters) == 1


def test_tied_weights_counted_once():
    shared = nn.Linear(3, 3, bias=False)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    penalty = L1(model, 1.0)
    assert penalty.names == ["0.weight"]
    assert penalty().item() == pytest.approx(shared.weight.abs().sum().item())


def test_select_parameters_reports_groups():
    conv = nn.Conv2d(4, 6, 3, groups=2)
    (entry,) = select_parameters(nn.Sequential(conv))
    assert entry.conv_groups == 2 and not entry.transposed
    assert entry.group_size("output") == 2 * 9 and entry.group_size("input") == 3 * 9


def test_parametrized_weights_are_named_in_a_warning():
    # weight_norm / spectral_norm make `weight` a computed tensor, not a parameter: the
    # default selection cannot take it, and says so instead of leaving the layer out quietly.
    from torch.nn.utils.parametrizations import spectral_norm, weight_norm

    torch.manual_seed(0)
    model = nn.Sequential(
        weight_norm(nn.Linear(5, 4)), nn.Tanh(), spectral_norm(nn.Linear(4, 3)), nn.Linear(3, 2)
    )
    with pytest.warns(UserWarning, match="leaves out layers") as record:
        penalty = L1(model, 1.0)
    message = str(record[0].message)
    assert "layer '0'" in message and "'0.parametrizations.weight.original1'" in message
    assert "layer '2'" in message and "'2.parametrizations.weight.original'" in message
    assert "include=" in message
    assert penalty.names == ["3.weight"]
    # An explicit include is a choice: no warning, and the original can be chosen.
    assert L1(model, 1.0, include=default_include).names == ["3.weight"]
    chosen = L1(model, 1.0, include=lambda n, p, m: n.endswith("original1"))
    assert chosen.names == ["0.parametrizations.weight.original1"]


def test_only_parametrized_layers_is_an_error_naming_them():
    from torch.nn.utils.parametrizations import weight_norm

    with pytest.raises(ValueError, match="selected no parameters.*layer '0'.*original1"):
        L1(nn.Sequential(weight_norm(nn.Linear(5, 4))), 1.0)


def test_old_style_weight_norm_is_named_too():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.nn.utils.weight_norm: deprecated
        layer = nn.utils.weight_norm(nn.Linear(3, 2))
    with pytest.warns(UserWarning, match="layer '0' \\(from '0.weight_g', '0.weight_v'\\)"):
        L1(nn.Sequential(layer, nn.Linear(2, 2)), 1.0)


def test_frozen_parametrized_weights_are_left_out_quietly():
    from torch.nn.utils.parametrizations import weight_norm

    layer = weight_norm(nn.Linear(5, 4))
    layer.requires_grad_(False)  # frozen, as a frozen weight parameter is left out
    assert L1(nn.Sequential(layer, nn.Linear(4, 2)), 1.0).names == ["1.weight"]


def test_the_originals_of_a_parametrized_convolution_keep_its_groups():
    from torch.nn.utils.parametrizations import weight_norm

    conv = weight_norm(nn.Conv2d(4, 6, 3, groups=2))
    (entry,) = select_parameters(nn.Sequential(conv), include=lambda n, p, m: "original1" in n)
    assert entry.conv_groups == 2  # the layer's, not the ParametrizationList's (none)
    assert entry.group_size("input") == 3 * 9
