"""Where parallel work runs: a local process pool or a Dask cluster.

Both executors are a :class:`concurrent.futures.Executor`, so a sweep
(:mod:`neurosim.sweep`) and a data-parallel simulation
(:func:`neurosim.energy.measure.measure_hardware` with an executor) submit their tasks the same
way whichever runs them::

    >>> with open_executor("dask", workers=2) as pool:                    # doctest: +SKIP
    ...     future = pool.executor.submit(pow, 2, 10)

* ``local`` — a :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes
  (default: the cores this process may use). On Linux its workers are forked
  (:func:`start_method`): a spawned worker re-runs the top level of the user's script (every
  line not under ``if __name__ == "__main__":``), so a plain script would start its work
  again in each worker. Elsewhere, or once this process has run numba's OpenMP threads
  (which a forked child cannot use), they are spawned: there, guard the script.
* ``dask`` — without a scheduler address, a Dask ``LocalCluster`` of ``workers``
  processes with one thread each; with ``scheduler="tcp://HOST:PORT"``, the workers of a
  running Dask scheduler (``dask scheduler`` + ``dask worker``, or a dask-jobqueue
  cluster on SLURM). Remote workers need the same neurosim installed: the pool checks
  that they import it, with the same version, before any work starts.

Tasks are plain functions of picklable arguments; what they return comes back pickled.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba

import neurosim.version
from neurosim.errors import NeurosimError
from neurosim.threads import THREADS_ENV, available_cores

EXECUTORS = ("local", "dask")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SCHEDULER_TIMEOUT_S = 5.0
"""How long to try reaching a Dask scheduler before giving up."""


@dataclass(frozen=True)
class Pool:
    """An executor that is open for tasks, and what to call it in progress messages."""

    executor: cf.Executor
    description: str


def die_with_parent(parent: int) -> None:
    """End this worker process when ``parent`` dies, even by SIGKILL.

    On Linux the kernel sends SIGKILL when the parent goes (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere, and as a second guard, a daemon thread polls the parent pid every second.
    A parent already gone before this runs ends the worker at once.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="neurosim-parent-watch", daemon=True).start()


def _worker_init(parent: int) -> None:
    """Pool initializer: die with the parent, and one thread per worker (BLAS and
    neurosim's own, :mod:`neurosim.threads`), unless ``NEUROSIM_THREADS`` says otherwise."""
    die_with_parent(parent)
    os.environ.setdefault(THREADS_ENV, "1")
    _one_thread_per_worker()


def _one_thread_per_worker() -> None:
    """A worker is one core, so its BLAS must not start more threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


def worker_version() -> str:
    """The neurosim version a worker imports (run on Dask workers before any work)."""
    return neurosim.version.__version__


def check_options(executor: str, workers: int | None, scheduler: str | None) -> None:
    """Reject a bad combination of options before anything starts."""
    if executor not in EXECUTORS:
        raise NeurosimError(f"unknown executor {executor!r}", where="--executor",
                            fix=f"use one of: {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise NeurosimError(f"--workers {workers} is not positive", fix="use 1 or more workers")
    if scheduler is not None and executor != "dask":
        raise NeurosimError("--scheduler names a Dask scheduler", where="--scheduler",
                            fix="add --executor dask")
    if scheduler is not None and workers is not None:
        raise NeurosimError("--workers starts a local cluster; a scheduler has its own workers",
                            where="--workers", fix="leave out --workers or --scheduler")


@contextmanager
def open_executor(executor: str = "local", *, workers: int | None = None,
                  scheduler: str | None = None) -> Iterator[Pool]:
    """An executor of the given kind, shut down (pending tasks cancelled) on exit."""
    check_options(executor, workers, scheduler)
    if executor == "local":
        with _local_pool(workers or available_cores()) as pool:
            yield pool
    else:
        with _dask_pool(workers, scheduler) as pool:
            yield pool


def start_method() -> str:
    """How the local pool starts its workers: ``fork`` on Linux unless this process already
    runs GNU OpenMP threads (numba's ``omp`` layer, used by the compiler's parallel pair
    counting), which a forked child cannot use; ``spawn`` then, and on other platforms.

    Forking is otherwise safe here: numba compiles on the calling thread, the functional
    simulator's thread pool lives only for one call, and torch registers its own fork
    handlers.
    """
    if sys.platform != "linux":
        return "spawn"
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run in this process
        return "fork"
    return "spawn" if layer == "omp" else "fork"


@contextmanager
def _local_pool(workers: int) -> Iterator[Pool]:
    pool = cf.ProcessPoolExecutor(max_workers=workers,
                                  mp_context=multiprocessing.get_context(start_method()),
                                  initializer=_worker_init, initargs=(os.getpid(),))
    try:
        yield Pool(pool, f"local pool, {workers} worker{'s' if workers != 1 else ''}")
    except BaseException:
        # Interrupted: the parent holds every finished result, so stop the workers now
        # rather than let them finish the tasks already queued for them.
        _terminate_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _terminate_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the worker processes (shutdown forgets them)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()


def _import_distributed() -> object:
    try:
        import distributed
    except ImportError:
        raise NeurosimError("the Dask executor needs dask.distributed, which is not installed",
                            where="--executor dask",
                            fix="pip install 'neurosim[dask]', or use --executor local") from None
    return distributed


def _source_root() -> str:
    """The directory holding the neurosim package that this process imported."""
    return str(Path(neurosim.version.__file__).resolve().parent.parent)


@contextmanager
def _dask_pool(workers: int | None, scheduler: str | None) -> Iterator[Pool]:
    distributed = _import_distributed()
    cluster = None
    if scheduler is None:
        n = workers or available_cores()
        # Workers import this very neurosim, from a source tree as well as when installed.
        paths = [_source_root(), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        cluster = distributed.LocalCluster(  # type: ignore[attr-defined]
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,
            # One worker per core, so one simulation thread per worker (neurosim.threads).
            env={"PYTHONPATH": os.pathsep.join(paths),
                 THREADS_ENV: os.environ.get(THREADS_ENV, "1")})
        client = distributed.Client(cluster)  # type: ignore[attr-defined]
        description = f"Dask LocalCluster, {n} worker{'s' if n != 1 else ''}"
    else:
        client = _connect(distributed, scheduler)
        description = f"Dask scheduler {scheduler}"
    try:
        _check_workers(client, scheduler)
        if scheduler is not None:
            n = len(client.scheduler_info().get("workers", {}))
            description += f", {n} worker{'s' if n != 1 else ''} now"
        executor = client.get_executor(pure=False)
        try:
            yield Pool(executor, description)
        finally:
            executor.shutdown(wait=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _connect(distributed: object, address: str) -> object:
    try:
        client = distributed.Client  # type: ignore[attr-defined]
        return client(address, timeout=SCHEDULER_TIMEOUT_S)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise NeurosimError(
            f"cannot reach the Dask scheduler ({reason[:200]})",
            where=f"--scheduler {address}",
            fix="check the address (tcp://HOST:PORT) and that 'dask scheduler' runs there",
        ) from None


def _check_workers(client: object, scheduler: str | None) -> None:
    """Every connected worker must import the same neurosim as this process."""
    try:
        versions = client.run(worker_version)  # type: ignore[attr-defined]
    except Exception as exc:
        raise NeurosimError(f"the Dask workers cannot run neurosim ({type(exc).__name__}: {exc})",
                            where=f"--scheduler {scheduler}" if scheduler else "--executor dask",
                            fix="install the same neurosim on every worker") from None
    wrong = {w: v for w, v in versions.items() if v != neurosim.version.__version__}
    if wrong:
        worker, version = next(iter(wrong.items()))
        raise NeurosimError(
            f"worker {worker} runs neurosim {version}, this process {neurosim.version.__version__}",
            where=f"--scheduler {scheduler}" if scheduler else "--executor dask",
            fix="install the same neurosim version on every worker")
