"""shrinkage.nn.training: one run (accuracies, sparsity, history), bad input, divergence."""

import pytest

torch = pytest.importorskip("torch")

from shrinkage.nn.data import load_digits_split  # noqa: E402
from shrinkage.nn.training import TrainingDiverged, train  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_train_reports_and_rejects_bad_input():
    data = load_digits_split(200, seed=0)
    run = train(data, "prox-l1", 3.0, hidden=(16,), epochs=3)
    assert 0 <= run.test_accuracy <= 1 and run.sparsity.zero_fraction > 0
    assert run.history["epoch"] == [0, 1, 2, 3] and len(run.history["saturation"]) == 4
    with pytest.raises(ValueError, match="λ must be"):
        train(data, "l2", -1.0)
    with pytest.raises(ValueError, match="method must be"):
        train(data, "dropout", 1.0)
    with pytest.raises(ValueError, match="lr must be"):
        train(data, "l2", 1.0, lr=0.0)


def test_nan_loss_is_a_clear_error():
    data = load_digits_split(100, seed=0)
    with pytest.raises(TrainingDiverged, match="lower the learning rate") as info:
        train(data, "none", hidden=(8,), activation="relu", lr=1e30, epochs=2)
    assert isinstance(info.value, ValueError)
