"""The report's figures written by forked processes: the same files as one process."""

import os
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from shrinkage.explain import figure_files, figures  # noqa: E402


def _made():
    rng = np.random.default_rng(0)
    lasso = np.where(rng.random(12) < 0.5, 0.0, rng.normal(size=12))
    ridge = rng.normal(size=12)
    return {
        "penalty": figures.penalty_figure(),
        "magnitudes": figures.magnitudes_figure(lasso, ridge),
        "geometry": figures.geometry_figure(
            rng.normal(size=(60, 2)), rng.normal(size=60), ["a", "b"]
        )[0],
    }


def test_shares_cover_every_figure_once_and_balance_the_cost():
    made = _made()
    for workers in (1, 2, 3):
        shares = figure_files._shares(made, workers)
        assert len(shares) == workers
        assert sorted(n for share in shares for n in share) == sorted(made)
    cost = {n: 1 + len(f.axes) for n, f in made.items()}
    a, b = figure_files._shares(made, 2)
    loads = [figure_files.WARM_UP_COST + sum(cost[n] for n in a), sum(cost[n] for n in b)]
    assert abs(loads[0] - loads[1]) <= max(cost.values())


def _png_bytes(folder, names):
    return {n: (folder / f"{n}.png").read_bytes() for n in names}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_parallel_files_equal_serial_files(tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    serial.mkdir()
    parallel.mkdir()
    listed = figure_files.save_all(_made(), serial, n_jobs=1)
    assert figure_files.save_all(_made(), parallel, n_jobs=3) == listed
    assert list(listed) == ["penalty", "magnitudes", "geometry"]
    for name in listed:
        assert (parallel / f"{name}.svg").stat().st_size > 1000
    assert _png_bytes(parallel, listed) == _png_bytes(serial, listed)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_failing_child_leaves_its_figures_to_the_parent(tmp_path, monkeypatch):
    parent = os.getpid()
    real_save = figure_files.save

    def save(figure, folder, name):
        if os.getpid() != parent:
            raise RuntimeError("a child that cannot write")
        return real_save(figure, folder, name)

    monkeypatch.setattr(figure_files, "save", save)
    listed = figure_files.save_all(_made(), tmp_path, n_jobs=2)
    for name in listed:
        assert (tmp_path / f"{name}.png").is_file() and (tmp_path / f"{name}.svg").is_file()
