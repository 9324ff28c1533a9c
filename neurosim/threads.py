"""Threads inside one process: how many a simulation may use, and an ordered map over them.

The functional simulator (over chunks of images) and the event engine (over streams of
images) run numba kernels that release the GIL, so plain Python threads use several cores
without copying the network into other processes. Each thread works on its own images
and its own state, so the results do not depend on the number of threads.

How many: one per core this process may run on; one inside a worker of neurosim's local
process pool, which already gives each worker a core of its own (two threads in each of
two workers on two cores would only fight); ``NEUROSIM_THREADS`` overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from neurosim.errors import NeurosimError

THREADS_ENV = "NEUROSIM_THREADS"
"""Environment variable: the number of threads a simulation may use (a positive integer)."""

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads() -> int:
    """Threads one simulation may use: ``NEUROSIM_THREADS``, else one per available core."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return available_cores()
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise NeurosimError(f"{THREADS_ENV}={value!r} is not a positive integer",
                            where=THREADS_ENV, fix=f"set {THREADS_ENV} to 1 or more, or unset it")
    return count


def map_in_order(work: Callable[[Item], Result], items: Sequence[Item],
                 n_threads: int | None = None,
                 done: Callable[[int, Result], None] | None = None) -> list[Result]:
    """``[work(item) for item in items]`` on up to ``n_threads`` threads (default
    :func:`threads`); results in the order of ``items``. ``done(i, result)`` is called in
    that order as results arrive (for progress). A failure cancels the items not started.
    """
    workers = max(1, min(threads() if n_threads is None else n_threads, len(items)))
    results: list[Result] = []
    if workers == 1:
        for i, item in enumerate(items):
            results.append(work(item))
            if done is not None:
                done(i, results[-1])
        return results
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        for i, result in enumerate(pool.map(work, items)):
            results.append(result)
            if done is not None:
                done(i, result)
    finally:
        pool.shutdown(cancel_futures=True)
    return results
