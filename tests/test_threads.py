"""Threads inside one process (neurosim.threads): how many, in which order, and in pool workers."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurosim.errors import NeurosimError
from neurosim.executors import open_executor
from neurosim.threads import THREADS_ENV, available_cores, map_in_order, threads


def test_threads_default_to_the_available_cores(monkeypatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert threads() == available_cores() >= 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert threads() == 3


def _counts(value: str) -> bool:
    try:
        return int(value) >= 1
    except ValueError:
        return False


# Environment values are strings without NUL (os.environ refuses it) or lone surrogates.
env_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                   max_size=6)


@given(env_text.filter(lambda v: v.strip() != "" and not _counts(v)))
def test_a_bad_thread_count_is_refused_by_name(value: str) -> None:
    saved = os.environ.get(THREADS_ENV)
    try:
        os.environ[THREADS_ENV] = value
        with pytest.raises(NeurosimError, match=THREADS_ENV):
            threads()
    finally:
        if saved is None:
            os.environ.pop(THREADS_ENV, None)
        else:
            os.environ[THREADS_ENV] = saved


@pytest.mark.parametrize("n_threads", [1, 2, 4])
def test_results_and_progress_come_in_item_order(n_threads: int) -> None:
    def work(i: int) -> int:
        time.sleep(0.002 * (7 - i))  # later items finish first
        return i * i

    seen: list[tuple[int, int]] = []
    assert map_in_order(work, range(7), n_threads, lambda i, r: seen.append((i, r))) == [
        i * i for i in range(7)]
    assert seen == [(i, i * i) for i in range(7)]


def test_a_failure_reaches_the_caller() -> None:
    def work(i: int) -> int:
        if i == 2:
            raise ValueError("item 2")
        return i

    with pytest.raises(ValueError, match="item 2"):
        map_in_order(work, range(5), 2)


def _threads_in_worker() -> int:
    return threads()


def test_a_pool_worker_uses_one_thread(monkeypatch) -> None:
    """Each local worker is one core: its simulations must not start a thread per core."""
    monkeypatch.delenv(THREADS_ENV, raising=False)
    with open_executor("local", workers=1) as pool:
        assert pool.executor.submit(_threads_in_worker).result() == 1
    monkeypatch.setenv(THREADS_ENV, "2")  # an explicit choice is inherited and kept
    with open_executor("local", workers=1) as pool:
        assert pool.executor.submit(_threads_in_worker).result() == 2


@pytest.mark.dask
def test_a_dask_local_worker_uses_one_thread(monkeypatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.delenv(THREADS_ENV, raising=False)
    with open_executor("dask", workers=1) as pool:
        assert pool.executor.submit(_threads_in_worker).result() == 1
