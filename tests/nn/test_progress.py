"""shrinkage.nn.progress: one line per finished run on stderr without tqdm, nothing when
disabled."""

import sys
from types import SimpleNamespace

from shrinkage.nn.progress import Progress


def finished_run(accuracy, zeros, seconds):
    return SimpleNamespace(
        test_accuracy=accuracy, sparsity=SimpleNamespace(zero_fraction=zeros), seconds=seconds
    )


def test_a_line_per_run_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    bar = Progress(total_epochs=4, n_runs=2, enabled=True)
    for label, run in (("none", finished_run(0.9, 0.0, 1.3)), ("l2", finished_run(0.5, 0.25, 2))):
        bar.start(label)
        bar.epoch(1)
        bar.finished(label, run)
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "[1/2] none: test accuracy 0.900, exact zeros 0.0% (1.3 s)",
        "[2/2] l2: test accuracy 0.500, exact zeros 25.0% (2.0 s)",
    ]


def test_disabled_is_silent(capsys):
    bar = Progress(total_epochs=4, n_runs=1, enabled=False)
    bar.start("none")
    bar.epoch(1)
    bar.finished("none", finished_run(0.9, 0.0, 1.0))
    bar.close()
    assert capsys.readouterr() == ("", "")
