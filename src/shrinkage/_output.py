"""Writing results without losing anything.

Rules (issue 11):

- Nothing is overwritten unless the caller says ``force``, and ``force`` replaces a
  *folder* only when it is a previous shrinkage output, recognised by the marker file
  :data:`MARKER` that every output folder carries. The marker lists every file and
  folder the run wrote; a folder holding anything else (a file the user added since, or
  the input data) is refused, as is a marker without that list (an older shrinkage).
- Results are written under a temporary name beside the target and moved into place
  only when complete, so an interrupted run leaves the previous results intact.
- One writer per target: an exclusive lock (``flock``) beside the target is held from
  the check to the final rename; a second run fails at once. Without ``force`` the
  final step also refuses to replace what another process put there meanwhile.
- The final swap runs with SIGINT and SIGTERM blocked (and, on Linux, as one atomic
  exchange), so a signal cannot leave the previous output hidden.
- Created files and folders follow the umask (``mkstemp``/``mkdtemp`` make 0600/0700).

:func:`jsonable` turns results (NumPy scalars and arrays, tuples, NaN) into what
:func:`json.dumps` writes as strict JSON.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = ".shrinkage-output"
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


# -- JSON -----------------------------------------------------------------------------------
def jsonable(value: Any, digits: int | None = None) -> Any:
    """``value`` with every part made strict JSON, recursively.

    NumPy arrays and tuples become lists, NumPy integers and booleans Python ones, dict keys
    strings; a non-finite float (NaN, ±inf: not JSON) becomes ``None`` (``null``).

    Parameters
    ----------
    value : any
        Dicts, lists, tuples, arrays, numbers, strings, ``None``, nested.
    digits : int, optional
        Round every float to this many significant digits (``f"{x:.{digits}g}"``), for
        measurements that are not finer; default: keep every digit.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, digits) for v in value]
    if isinstance(value, float):  # also np.float64, a float subclass
        return _float(value, digits)
    np = sys.modules.get("numpy")  # not imported here: ``import shrinkage`` stays NumPy-free
    if np is None:  # then nothing can be a NumPy value
        return value
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), digits)
    if isinstance(value, np.floating):
        return _float(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _float(value: float, digits: int | None) -> float | None:
    if not math.isfinite(value):
        return None
    return float(value) if digits is None else float(f"{value:.{digits}g}")


# -- how the caller names things -----------------------------------------------------------
@dataclass(frozen=True)
class Words:
    """How the messages name the output and the switch that replaces it: the command
    line's flags (``--out report``, ``--force``) or a Python call's keyword arguments
    (``out='report'``, ``force=True``)."""

    out: str  # "--out" or "out="
    force: str  # "--force" or "force=True"
    another: str  # "choose another --out" or "pass another out="

    def target(self, path) -> str:
        """The output as the caller wrote it: ``--out report`` or ``out='report'``."""
        return f"{self.out} {path}" if self.out.startswith("--") else f"{self.out}{str(path)!r}"


CLI = Words("--out", "--force", "choose another --out")
PYTHON = Words("out=", "force=True", "pass another out=")
_WORDS: ContextVar[Words | None] = ContextVar("shrinkage_output_words", default=None)


def words(default: Words = CLI) -> Words:
    """The words of the caller in effect (:func:`spoken_as`), else ``default``."""
    return _WORDS.get() or default


@contextmanager
def spoken_as(chosen: Words):
    """Name the output in the caller's words (:data:`CLI` or :data:`PYTHON`) in every
    message raised inside."""
    token = _WORDS.set(chosen)
    try:
        yield
    finally:
        _WORDS.reset(token)


# -- checks ---------------------------------------------------------------------------------
def check_target(path: Path, force: bool, inputs=(), folder: bool | None = None) -> None:
    """Refuse an output path that would lose something.

    Parameters
    ----------
    path : Path
        The output file or folder.
    force : bool
        Replace a previous output (a file, or a folder carrying :data:`MARKER`).
    inputs : iterable of paths
        The command's input files: never replaced, and never inside a replaced folder.
    folder : bool or None
        The output is a folder (``compare``), a file, or (None) whichever exists.
    """
    path = Path(path)
    w = words()
    out = w.target(path)
    resolved = _resolved(path)
    if resolved == _resolved(Path.cwd()) or resolved in _resolved(Path.cwd()).parents:
        raise ValueError(
            f"{out} is the current folder (or one above it); name a new folder, "
            f"e.g. {w.target('report')}."
        )
    for source in inputs:
        source = _resolved(Path(source))
        if source == resolved or resolved in source.parents:
            raise ValueError(
                f"{out} {'is' if source == resolved else 'holds'} the input "
                f"{source.name}; write the output somewhere else."
            )
    if path.is_symlink() or (path.exists() and not (path.is_dir() or path.is_file())):
        raise ValueError(f"{out} is a link or a special file; {w.another}.")
    if not path.exists():
        _check_parent(path)
        return
    if path.is_dir():
        if folder is False:
            raise ValueError(f"{out} is a folder; give a file name.")
        contents = _listing(path)
        if not contents:
            return  # an empty folder loses nothing
        if MARKER not in contents:
            raise ValueError(
                f"{out} is a folder holding other files ({_few(contents)}), not a "
                f"previous shrinkage output; {w.another} ({w.force} replaces only a "
                "folder shrinkage wrote: it never deletes what it did not write)."
            )
        if not force:
            raise ValueError(
                f"{out} already holds a shrinkage report; {w.another}, or pass "
                f"{w.force} to replace it."
            )
        foreign = _not_written_by_us(path)
        if foreign is None:
            raise ValueError(
                f"{out} was written by an older shrinkage that kept no list of its "
                f"files, so {w.force} cannot tell them from files added since; delete the "
                f"folder yourself, or {w.another}."
            )
        if foreign:
            raise ValueError(
                f"{out} is a previous shrinkage output, but it now also holds "
                f"{_few(foreign)}, which shrinkage did not write; {w.force} never deletes "
                f"those. Move them out, or {w.another}."
            )
        return
    if folder is True:
        # One message with or without force: a folder output never replaces a file
        # (the advice "pass --force" was wrong, and force=True then failed after the work).
        raise ValueError(
            f"{out} is a file, and the output is a folder; {w.another} (a new or empty "
            f"folder). A file is never replaced by a folder, {w.force} or not."
        )
    if not force:
        raise ValueError(
            f"{out} already exists and is a file; {w.another}, or pass {w.force} to replace it."
        )


def _tree(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as sorted relative POSIX paths."""
    found = []
    for root, dirs, files in os.walk(folder):
        relative = Path(root).relative_to(folder)
        found += [(relative / name).as_posix() for name in dirs + files]
    return sorted(found)


def _not_written_by_us(folder: Path) -> list[str] | None:
    """What ``folder`` holds beyond the list its marker keeps; None if the marker keeps
    no list (and the folder holds more than the marker)."""
    try:
        written = json.loads((folder / MARKER).read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        written = None
    present = [name for name in _tree(folder) if name != MARKER]
    if not isinstance(written, list):
        return None if present else []
    written = set(written)
    return [name for name in present if name not in written]


def _check_parent(path: Path) -> None:
    parent = path.parent
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{words().target(path)}: {existing} is not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{words().target(path)}: the folder {existing} is not writable.")


def _listing(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        raise ValueError(f"{words().target(path)} cannot be read ({error.strerror}).") from None


def _few(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(path)).resolve()


# -- the umask ------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _follow_umask(path: Path, directory: bool) -> None:
    """``mkstemp``/``mkdtemp`` create 0600/0700; give the usual 0666/0777 minus umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


# -- one writer per target ------------------------------------------------------------------
@contextmanager
def exclusive(target: Path):
    """Hold an exclusive lock on ``target`` (a lock file beside it) or fail at once."""
    import fcntl

    lock_path = target.parent / f".{target.name}.shrinkage-lock"
    for _ in range(5):
        handle = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o666 & ~_umask())
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise ValueError(
                f"Another shrinkage run is writing {target} right now; wait for it or "
                f"{words().another}."
            ) from None
        try:
            same = os.fstat(handle).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)  # the previous holder removed this lock file: take a fresh one
    else:  # pragma: no cover - five lost races in a row
        raise ValueError(f"Could not lock {target}; try again.")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(handle)


@contextmanager
def _signals_blocked():
    """Defer SIGINT/SIGTERM while the previous output is swapped for the new one."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if the
    system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))


def _discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _install(staging: Path, target: Path, force: bool) -> None:
    """Move ``staging`` to ``target``; replace an existing target only with ``force``."""
    with _signals_blocked():
        if not target.exists() or _is_empty_dir(target):
            if staging.is_dir():
                # rename() onto a non-empty folder fails: the loser of a race learns here.
                try:
                    staging.rename(target)
                except OSError as error:
                    if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
                        raise _taken(target) from None
                    raise
            else:
                try:
                    os.link(staging, target)  # fails if the target appeared meanwhile
                except FileExistsError:
                    raise _taken(target) from None
                staging.unlink()
            return
        if not force:
            raise _taken(target)
        if not staging.is_dir():
            os.replace(staging, target)  # atomic for files
            return
        if _exchange(staging, target):
            _discard(staging)  # now holds the previous output
            return
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        staging.rename(target)
        _discard(old)


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _taken(target: Path) -> ValueError:
    return ValueError(
        f"{target} was created by another process while this run was writing; nothing was "
        f"replaced. {words().another.capitalize()}, or pass {words().force}."
    )


# -- the two entry points ---------------------------------------------------------------------
@contextmanager
def staged_folder(target: Path, force: bool, inputs=()):
    """Yield a temporary folder; on success it replaces ``target`` (see the module)."""
    target = Path(os.path.abspath(target))
    check_target(target, force, inputs, folder=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(target):
        check_target(target, force, inputs, folder=True)  # again, now that we hold the lock
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            _follow_umask(staging, directory=True)
            (staging / MARKER).write_text(
                json.dumps({"written_by": "shrinkage", "kind": "output folder"}) + "\n"
            )
            yield staging
            (staging / MARKER).write_text(
                json.dumps(
                    {
                        "written_by": "shrinkage",
                        "kind": "output folder",
                        "files": [n for n in _tree(staging) if n != MARKER],
                    }
                )
                + "\n"
            )
            _install(staging, target, force)
        finally:
            if staging.exists():
                _discard(staging)


def write_file(target: Path, data: bytes, force: bool, inputs=()) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder."""
    target = Path(os.path.abspath(target))
    check_target(target, force, inputs, folder=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(target):
        check_target(target, force, inputs, folder=False)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
        temporary = Path(temporary)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            _follow_umask(temporary, directory=False)
            _install(temporary, target, force)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
