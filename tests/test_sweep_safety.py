"""Sweeps safe to share: one sweep per directory (the second refuses in one line), workers
that end when the sweep process is killed, and a SIGKILLed sweep that resumes to exactly
one well-formed row per point."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurosim.cli import main
from neurosim.sweep import load_sweep
from neurosim.sweep.lock import sweep_lock

SWEEP = """\
model: digits-mlp
hardware: loihi
codes:
  rate: {T: 8}
grid:
  core.neurons: [64, 128, 256, 512]
images: 2
accuracy_images: 10
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP)
    return path


def _sweep_process(sweep_file: Path, out: Path, workers: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "neurosim", "sweep", str(sweep_file), "--out", str(out),
         "--workers", str(workers), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid``, other than multiprocessing's resource tracker
    (the sweep starts nothing else; forked workers share the parent's command line)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"resource_tracker" not in cmdline:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _rows(out: Path) -> list[list[str]]:
    text = (out / "sweep.csv").read_text()
    assert text.endswith("\n")
    return list(csv.reader(text.splitlines()))


def _assert_one_row_per_point(out: Path, sweep_file: Path) -> None:
    header, *rows = _rows(out)
    assert all(len(r) == len(header) for r in rows), "a malformed (interleaved) line"
    keys = [r[header.index("hash")] for r in rows]
    assert sorted(keys) == sorted(p.key for p in load_sweep(sweep_file).points)
    assert {r[header.index("status")] for r in rows} == {"ok"}


def test_a_second_sweep_into_a_locked_directory_refuses_in_one_line(sweep_file, tmp_path,
                                                                     capsys) -> None:
    out = tmp_path / "out"
    with sweep_lock(out):
        assert main(["sweep", str(sweep_file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another sweep" in err and f"pid {os.getpid()}" in err
    assert not (out / "sweep.csv").exists()


@pytest.mark.slow
def test_two_sweeps_at_once_give_each_point_once(sweep_file, tmp_path) -> None:
    out = tmp_path / "out"
    first, second = _sweep_process(sweep_file, out, 1), _sweep_process(sweep_file, out, 1)
    results = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    assert codes in ([0, 0], [0, 2])  # both 0 only if one finished before the other began
    for process, (_, err) in zip((first, second), results):
        if process.returncode == 2:
            assert err.count("\n") == 1 and "another sweep" in err
    _assert_one_row_per_point(out, sweep_file)


@pytest.mark.slow
def test_killed_sweep_takes_its_workers_along_and_resumes(sweep_file, tmp_path) -> None:
    out = tmp_path / "out"
    sweep = _sweep_process(sweep_file, out, 2)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.2)
        workers |= _children(sweep.pid)
    assert len(workers) == 2, "the sweep never started its two workers"
    sweep.send_signal(signal.SIGKILL)
    sweep.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers), "workers outlived their killed parent"
    # The kernel released the lock with the process: a rerun resumes and completes.
    assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    _assert_one_row_per_point(out, sweep_file)


def test_a_point_without_finite_figures_is_an_error_row(monkeypatch) -> None:
    import neurosim.sweep.runner as runner
    from neurosim.pipeline import Configuration

    class Result:
        def __init__(self, summary):
            self.summary = summary

    monkeypatch.setattr(runner, "_workload", lambda model, dataset: None)
    config = Configuration(model="digits-mlp", images=1)
    for energy, status in ((None, "error"), (float("inf"), "error"), (2.5e-6, "ok")):
        summary = {"energy_per_inference_j": energy, "latency_s": 1e-3}
        monkeypatch.setattr(runner, "run_configuration",
                            lambda configuration, workload=None, s=summary: Result(s))
        outcome = runner.run_point(config)
        assert outcome["status"] == status
        if status == "error":
            assert "energy_per_inference_j" in outcome["error"]


def test_a_plain_script_is_not_run_again_by_the_pool_workers(tmp_path) -> None:
    # A notebook user's script without an ``if __name__ == "__main__":`` guard: spawned
    # workers would re-import it as their main module and print (and run) it again.
    script = tmp_path / "plain_script.py"
    script.write_text(
        "from neurosim.executors import open_executor\n"
        "print('top level ran', flush=True)\n"
        "with open_executor('local', workers=2) as pool:\n"
        "    futures = [pool.executor.submit(pow, 2, n) for n in range(4)]\n"
        "    print(sorted(f.result() for f in futures), flush=True)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["top level ran", "[1, 2, 4, 8]"]


def test_after_numba_openmp_threads_the_pool_spawns_its_workers(tmp_path) -> None:
    # A forked child of a process that ran GNU OpenMP threads (numba's "omp" layer, which
    # the compiler's parallel pair counting starts) is killed by numba on its first
    # parallel kernel ("fork() called from a process already using GNU OpenMP").
    script = tmp_path / "guarded.py"
    script.write_text(
        "import numba\n"
        "from neurosim.executors import open_executor, start_method\n"
        "@numba.njit(parallel=True)\n"
        "def total(n):\n"
        "    s = 0\n"
        "    for i in numba.prange(n):\n"
        "        s += i\n"
        "    return s\n"
        "if __name__ == '__main__':\n"
        "    before = start_method()\n"
        "    total(10)\n"
        "    print(before, numba.threading_layer(), start_method(), flush=True)\n"
        "    with open_executor('local', workers=2) as pool:\n"
        "        print(pool.executor.submit(pow, 2, 5).result(), flush=True)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    before, layer, after = first.split()
    assert before == "fork" and second == "32"
    assert after == ("spawn" if layer == "omp" else "fork")
