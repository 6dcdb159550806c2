"""shrinkage.nn.experiment: the plan of runs, the config's checks, and the table as means
and standard deviations over the seeds (recomputed here from the runs)."""

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

from shrinkage.nn import ExperimentConfig, run_experiment  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_plan_runs_none_once_per_seed():
    config = ExperimentConfig(methods=("none", "l2", "prox-l1"), lambdas=(1.0, 3.0), seeds=(0, 5))
    expected = [
        ("none", 0.0, 0),
        ("l2", 1.0, 0),
        ("l2", 3.0, 0),
        ("prox-l1", 1.0, 0),
        ("prox-l1", 3.0, 0),
    ]
    assert config.runs() == expected + [(m, lam, 5) for m, lam, _ in expected]


def test_histogram_lambda_defaults_to_the_middle_of_the_grid():
    assert ExperimentConfig(lambdas=(3.0, 0.1, 1.0, 10.0)).histogram_lam == 1.0
    assert ExperimentConfig(lambdas=(3.0, 0.1), histogram_lambda=3.0).histogram_lam == 3.0
    # The grid's own value, so that the figures find the runs (0.1 * 3 != 0.3 in floats).
    assert ExperimentConfig(lambdas=(0.3, 1.0), histogram_lambda=0.1 * 3).histogram_lam == 0.3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"data": "mnist"}, "data must be"),
        ({"data": "csv", "path": "d.csv"}, "--target COLUMN"),
        ({"data": "fashion-mnist"}, "needs a path"),
        ({"methods": ("dropout",)}, "unknown methods"),
        ({"methods": ()}, "unknown methods"),
        ({"lambdas": ()}, "grid is empty"),
        ({"lambdas": (0.0,)}, "λ=0 is the method 'none'"),
        ({"lambdas": (float("nan"),)}, "finite number > 0"),
        ({"seeds": ()}, "at least one seed"),
        # Outside the grid there are no runs to draw: the figures showed "none" only.
        ({"lambdas": (1.0, 3.0), "histogram_lambda": 2.0}, r"histogram_lambda=2 .*\(1, 3\)"),
        # A repeat is the same run counted twice in the mean ± sd.
        ({"seeds": (0, 1, 0)}, "seed 0 is listed twice"),
        ({"lambdas": (1.0, 1.0)}, "λ = 1 is listed twice"),
        ({"methods": ("none", "l2", "none")}, "method 'none' is listed twice"),
    ],
)
def test_config_refuses_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExperimentConfig(**kwargs)


def test_table_is_the_mean_over_seeds():
    config = ExperimentConfig(
        n_train=80, methods=("none", "prox-l1"), lambdas=(2.0,), hidden=(4,), epochs=1, seeds=(0, 1)
    )
    result = run_experiment(config, progress=False)
    assert len(result.runs) == 4
    rows = {row["method"]: row for row in result.table()}
    assert set(rows) == {"none", "prox-l1"}
    for method, row in rows.items():
        runs = [r for r in result.runs if r.method == method]
        accuracies = [r.test_accuracy for r in runs]
        assert row["n_seeds"] == 2
        assert row["test_accuracy"] == pytest.approx(np.mean(accuracies), abs=1e-15)
        assert row["test_accuracy_std"] == pytest.approx(np.std(accuracies), abs=1e-15)
        zeros = [r.sparsity.zero_fraction for r in runs]
        assert row["zero_fraction"] == pytest.approx(np.mean(zeros), abs=1e-15)
    assert rows["none"]["lambda"] == 0.0 and rows["prox-l1"]["lambda"] == 2.0
    lines = result.to_markdown().splitlines()
    assert len(lines) == 2 + 2 and lines[2].startswith("| none | 0 | ")
