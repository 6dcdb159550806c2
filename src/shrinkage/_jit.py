"""``njit`` for shrinkage's kernels: Numba's, with a cheaper load of cached machine code.

Every kernel is compiled with ``cache=True``, so a new process loads machine code from
Numba's cache instead of compiling. Numba's loader first *refreshes* its compiler
context (``BaseContext.refresh``): it imports and installs every typing and lowering
registry (NumPy, unicode, random, typed containers, …, some 0.1 s of CPU), which only
*compiling* needs. What loading needs is the context itself, the runtime's symbols
(``rtsys.initialize``: ``NRT_*`` for arrays allocated inside a kernel) and the Python
modules of the environments the cached code refers to (imported by the unpickling).

:func:`njit` therefore replaces, on each cached dispatcher it makes, the cache's
``load_overload`` by a :class:`_CacheLoader`: initialize the runtime, load, and
refresh only on a miss (where Numba compiles next, and its compiler refreshes the context
again in any case). A kernel found in the cache is used exactly as Numba would use it;
any other Numba code in the process (a later compilation, the user's own functions)
still gets the full refresh and the extensions. Should Numba's private cache API differ
(another version), the dispatcher keeps Numba's own loader.

Likewise Numba runs the ``numba_extensions`` entry points of installed packages before
typing a dispatcher's first call; only compilation needs them, and the refresh a miss
triggers runs them, so :func:`njit` defers them there.

While cached code loads, Numba's implementation modules (``numba.np.arrayobj``, …) that
its environments name are not imported (:func:`_environments_without_imports`), and
llvmlite's lock is taken once for the whole load instead of once per LLVM call
(:func:`_llvm_lock_held_once`).

A dispatcher's cache itself is made at its first compilation or look-up, not when the
module defines it (:class:`_DeferredCache`): a first ``Lasso`` imports some 80 kernels
and calls a handful; the others are compiled into those it calls.

Importing Numba itself makes some 50,000 objects, enough for the cyclic garbage
collector to run a full (oldest-generation) collection over everything the process
already holds (scikit-learn, SciPy, pandas: ~130,000 objects, 0.06-0.09 s of CPU).
:func:`_import_numba` pauses the collector for that import alone: reference counting
still frees everything as usual, and the full collection comes when the collector's own
thresholds next call for one, as in any long-running process.

Measured (``benchmarks/jit_cost.py``): the first ``Lasso.fit`` in a new process with a
warm cache takes 0.14 s less CPU (0.18 -> 0.04 s on the development VM); without the
implementation imports a further 0.04 s less; the deferred caches and the single lock
hold take a further 0.018 s off shrinkage's modules and first fit (0.073 -> 0.060 s).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys


def _import_numba() -> None:
    """``import numba`` with the cyclic garbage collector paused (restored as it was).

    Numba's import allocates tens of thousands of long-lived objects (types, registries,
    templates). Counted against the generation thresholds, they set off a full collection
    during the import, which walks every object the process holds: the largest single
    cost of a first fit after Numba's own import (benchmarks/JIT_COST.md). Nothing in
    the import is garbage that needs the cycle collector to be freed promptly.
    """
    if "numba" in sys.modules:
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import numba  # noqa: F401
    finally:
        if was_enabled:
            gc.enable()


_import_numba()

from numba import njit as _numba_njit  # noqa: E402

__all__ = ["njit"]


def njit(*args, **options):
    """``numba.njit`` (same arguments); cached dispatchers load without a context refresh,
    and make their cache only when first called."""
    cache = bool(options.pop("cache", False))
    if args and callable(args[0]):  # bare @njit
        return _prepared(_numba_njit(*args, **options), cache)

    decorate = _numba_njit(*args, **options)

    def wrapper(function):
        return _prepared(decorate(function), cache)

    return wrapper


def _prepared(dispatcher, cache):
    if cache and hasattr(dispatcher, "enable_caching"):
        # (NUMBA_DISABLE_JIT: the Python function itself, nothing to cache)
        if hasattr(dispatcher, "_cache"):
            # (what enable_caching would set, made at the first compilation or look-up)
            dispatcher._cache = _DeferredCache(dispatcher.py_func)
        else:
            try:
                dispatcher.enable_caching()
            except RuntimeError as error:  # (as _DeferredCache._made)
                _warn_uncached(error)
    if hasattr(dispatcher, "_compilation_chain_init_hook"):
        # Numba runs the ``numba_extensions`` entry points (reading the metadata of every
        # installed distribution, importing each extension) before typing a first call;
        # they matter to compilation only, which refreshes the context, and the refresh
        # runs them: a cache hit skips them.
        dispatcher._compilation_chain_init_hook = _no_initialization
    return dispatcher


def _fast_cache_load(cache):
    """Numba's ``FunctionCache`` ``cache``, its ``load_overload`` a :class:`_CacheLoader`
    when its private API is as expected."""
    if all(hasattr(cache, name) for name in _CACHE_API):
        cache.load_overload = _CacheLoader(cache)
    return cache


class _DeferredCache:
    """A dispatcher's Numba ``FunctionCache``, made at its first compilation or look-up.

    Making one at import (``njit(cache=True)``) finds the cache directory, checks that
    it is writable by creating a file in it, and hashes the source: ~0.15 ms per kernel,
    for the ~80 kernels a first ``Lasso`` imports, of which it calls a handful (the
    others are callees, compiled into the machine code of those). What the
    source was at import is kept as its ``stat``: if the file changed before the first
    call, the kernel compiles from the imported code without the cache (whose stamp
    would be the new file's, and a later process would load the old code for it)."""

    def __init__(self, py_func):
        self._py_func = py_func
        self._stamp = _file_stamp(py_func)
        self._cache = None

    def _made(self):
        if self._cache is None:
            from numba.core.caching import FunctionCache, NullCache

            if self._stamp is None or _file_stamp(self._py_func) != self._stamp:
                self._cache = NullCache()
            else:
                try:
                    self._cache = _fast_cache_load(FunctionCache(self._py_func))
                except RuntimeError as error:  # no cache directory Numba can write
                    _warn_uncached(error)
                    self._cache = NullCache()
        return self._cache

    def __getattr__(self, name):  # (load_overload, save_overload, flush, cache_path, …)
        if name in ("_py_func", "_stamp", "_cache"):  # (not set: no __init__ ran)
            raise AttributeError(name)
        return getattr(self._made(), name)


_warned_uncached = False


def _warn_uncached(error: RuntimeError) -> None:
    """Warn once per process that the kernels compile without Numba's cache.

    Numba finds no cache directory it can write when the package sits in a read-only
    place and the user has no writable home (a service account, a container's
    ``nobody``): ``numba.njit(cache=True)`` then raises "cannot cache function …: no
    locator available". The kernels still run, compiled anew in each process."""
    global _warned_uncached
    if _warned_uncached:
        return
    _warned_uncached = True
    import warnings

    warnings.warn(
        f"shrinkage: Numba cannot cache compiled kernels here ({error}); they are "
        "compiled anew in every process (seconds to tens of seconds on a first fit). "
        "Set NUMBA_CACHE_DIR to a writable directory to keep them between processes.",
        RuntimeWarning,
        stacklevel=_first_outside_frame(),
    )


def _first_outside_frame() -> int:
    """The ``stacklevel`` (counted from the caller) of the nearest frame outside
    shrinkage and Numba: a warning shows the user's line, not a dispatcher's."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in (
        "shrinkage",
        "numba",
    ):
        level, frame = level + 1, frame.f_back
    return level


def _file_stamp(py_func):
    try:
        st = os.stat(py_func.__code__.co_filename)
    except (OSError, AttributeError):
        return None
    return st.st_mtime_ns, st.st_size


def _no_initialization():
    """The dispatcher's ``_compilation_chain_init_hook``: nothing before a cache look-up
    (a miss refreshes the context, which initializes the extensions)."""


#: What :class:`_CacheLoader` uses of Numba's ``FunctionCache`` (private API).
_CACHE_API = ("load_overload", "_load_overload", "_guard_against_spurious_io_errors")


class _CacheLoader:
    """``FunctionCache.load_overload`` without ``target_context.refresh()`` on a hit."""

    def __init__(self, cache):
        self.cache = cache

    def __call__(self, sig, target_context):
        from numba.core.runtime import rtsys

        rtsys.initialize(target_context)  # idempotent; cached code may call the NRT
        result = None  # stays None when the guard swallows an I/O error (as Numba's)
        with (
            self.cache._guard_against_spurious_io_errors(),
            _environments_without_imports(),
            _llvm_lock_held_once(),
        ):
            result = self.cache._load_overload(sig, target_context)
        if result is None:  # a miss: Numba compiles next; refresh as its loader would
            target_context.refresh()
        return result


@contextlib.contextmanager
def _llvm_lock_held_once():
    """Hold llvmlite's LLVM lock over the whole cache load, its Numba events once.

    Loading a cached library makes ~1300 LLVM C-API calls (parsing its bitcode,
    listing its symbols), each of which takes llvmlite's lock, and Numba's lock
    callbacks broadcast a ``numba:llvm_lock`` start and end event per call: ~5 ms of a
    ~40 ms first small fit (benchmarks/JIT_COST.md). Here the load takes the
    (reentrant) lock once, its callbacks run for that outer hold, and Numba's
    callbacks are set aside inside it. The only listeners are Numba's compile timers
    (``Dispatcher.compile`` installs one around a cache look-up), which count the
    outermost hold of nested events alone, so they record the same duration; with
    any other listener registered, or another llvmlite, nothing changes.
    """
    event = sys.modules.get("numba.core.event")
    llvm = sys.modules.get("llvmlite.binding.ffi")
    lock = getattr(getattr(llvm, "lib", None), "_lock", None)
    callbacks = getattr(lock, "_cblist", None)
    registered = getattr(event, "_registered", None)
    timer = getattr(event, "TimingListener", None)
    if (
        not isinstance(callbacks, list)
        or not hasattr(lock, "__enter__")
        or not isinstance(registered, dict)
        or timer is None
        or not all(isinstance(listener, timer) for listener in registered.get(_LLVM_LOCK, ()))
    ):
        yield
        return
    with lock:
        kept = callbacks[:]
        callbacks[:] = [pair for pair in kept if not _numba_lock_callback(pair[0])]
        try:
            yield
        finally:
            callbacks[:] = kept


_LLVM_LOCK = "numba:llvm_lock"


def _numba_lock_callback(function) -> bool:
    """Whether ``function`` is one of Numba's own LLVM-lock event callbacks."""
    return getattr(function, "__module__", None) == "numba.core.base"


@contextlib.contextmanager
def _environments_without_imports():
    """Unpickle cached code without importing Numba's implementation modules.

    A cached library carries an ``Environment`` (the globals for object-mode code, and
    constants) for every function compiled into it, Numba's own implementations
    included (``np.empty``, ``@``, ``.sum``: ``numba.np.arrayobj``, ``linalg``,
    ``arraymath``), and Numba's unpickler imports each one's module for its globals.
    Importing those modules registers their typing and lowering, which only compiling
    needs (and a compilation's context refresh imports them): 0.04 s of CPU, half of a
    first small fit's cache load (benchmarks/JIT_COST.md). Nopython code never reads
    an environment's globals (only its constants, for exceptions that carry runtime
    values), so while cached code loads, the environment of a ``numba.*`` module not yet
    imported gets a stand-in globals dict instead. Any other environment is rebuilt
    as Numba does; without the expected private API this does nothing.
    """
    environment = sys.modules.get("numba.core.environment")
    rebuild = getattr(environment, "_rebuild_env", None)
    memo = getattr(getattr(environment, "Environment", None), "_memo", None)
    if rebuild is None or memo is None or not hasattr(environment, "lookup_environment"):
        yield
        return

    def rebuild_without_import(modname, consts, env_name):
        if modname in sys.modules or not str(modname).startswith("numba."):
            return rebuild(modname, consts, env_name)
        env = environment.lookup_environment(env_name)
        if env is None:
            env = environment.Environment({"__name__": modname})
            env.consts[:] = consts
            env.env_name = env_name
            memo[env_name] = env
        return env

    environment._rebuild_env = rebuild_without_import  # what the pickles name
    try:
        yield
    finally:
        environment._rebuild_env = rebuild
