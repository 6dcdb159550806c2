"""The command line: help on every command, the path job on bundled data."""

import os
import subprocess
import sys

import pytest

from shrinkage.cli import main


def test_path_command_on_bundled_data(capsys):
    assert main(["path", "--n-alphas", "12", "--rows", "4"]) == 0
    out = capsys.readouterr().out
    assert "lasso non-zero" in out and "ridge non-zero" in out
    assert "L1 keeps 0..10 of 10 weights" in out  # the path starts at alpha_max: all zero
    assert "L2 keeps 10..10" in out  # ridge never sets a weight exactly to zero


def test_path_command_classification(capsys):
    assert main(["path", "--data", "breast_cancer", "--n-alphas", "8"]) == 0
    assert "loss=logistic" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["path", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "usage: shrinkage" in capsys.readouterr().out


def test_console_script_runs(tmp_path):
    # Its own Numba cache: never read kernels the test process is still writing.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "shrinkage.cli", "path", "--n-alphas", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "non-zero" in done.stdout
