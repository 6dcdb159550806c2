"""Writing results without losing anything: a temporary folder moved into place.

An existing output folder (or file) is never overwritten unless the caller says
``force``; results are written under a temporary name beside the target and moved
into place only when complete, so an interrupted run leaves the old results intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def check_target(path: Path, force: bool) -> None:
    if path.exists() and (path.is_file() or any(path.iterdir())) and not force:
        kind = "file" if path.is_file() else "folder"
        raise ValueError(
            f"{path} already exists and is a non-empty {kind}; choose another --out, or pass "
            "--force to replace it."
        )


@contextmanager
def staged_folder(target: Path, force: bool):
    """Yield a temporary folder; on success it replaces ``target`` atomically-ish."""
    target = Path(target)
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()


def write_file(target: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder."""
    target = Path(target)
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
