"""Shared check of the command line's one-line errors."""


def one_error_line(capsys, code) -> str:
    """The last stderr line of a refused command: exit code 2, ``shrinkage: error:``, no
    traceback."""
    err = capsys.readouterr().err
    assert code == 2, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("shrinkage: error:") and "Traceback" not in err, err
    return line
