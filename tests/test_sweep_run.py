"""Sweeps that run: a local pool and a real Dask LocalCluster give the same rows; a failing
point is recorded beside the others; an interrupted sweep resumes with only what is missing;
``simulate --executor`` equals the serial run; an unreachable scheduler is one line."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

import neurosim.executors
from neurosim.cli import main
from neurosim.sweep import load_sweep, read_rows, run_sweep

# Four points that fit and one that cannot (one chip of 128 one-neuron cores).
SWEEP = """\
model: digits-mlp
hardware: loihi
codes:
  fs: {K: 8}
  rate: {T: 8}
grid:
  core.neurons: [64, 256]
points:
  - {core.neurons: 1, board.chips_x: 1, board.chips_y: 1, code: fs, K: 8}
images: 4
accuracy_images: 20
"""
TIMING = {"seconds"}


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def local_rows(sweep_file, tmp_path_factory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("local")
    assert main(["sweep", str(sweep_file), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    return {r["hash"]: r for r in read_rows(out / "sweep.csv")[1]}


@pytest.mark.slow
def test_a_failing_point_is_recorded_and_the_others_run(local_rows, sweep_file) -> None:
    sweep = load_sweep(sweep_file)
    assert set(local_rows) == {p.key for p in sweep.points}
    failed = [r for r in local_rows.values() if r["status"] == "error"]
    assert len(failed) == 1 and failed[0]["core.neurons"] == "1"
    assert "the network needs" in failed[0]["error"] and "board" in failed[0]["error"]
    ok = [r for r in local_rows.values() if r["status"] == "ok"]
    assert len(ok) == 4
    for r in ok:
        assert r["error"] == "" and float(r["energy_per_inference_j"]) > 0
        assert json.loads(r["hardware_overrides"]) == [f"core.neurons={r['core.neurons']}"]
        breakdown = sum(float(r[f"energy_breakdown_j.{c}"])
                        for c in ("synapse", "neuron", "spike_packet", "network", "static"))
        assert breakdown == pytest.approx(float(r["energy_per_inference_j"]), rel=1e-12)
        assert r["params.K" if r["code"] == "fs" else "params.T"] == "8"


@pytest.mark.slow
@pytest.mark.dask
def test_dask_local_cluster_gives_the_local_pool_rows(local_rows, sweep_file, tmp_path,
                                                      capsys) -> None:
    pytest.importorskip("distributed")
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path), "--executor", "dask",
                 "--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert "Dask LocalCluster, 2 workers" in captured.err
    assert captured.err.count("/5] ") == 5
    _, rows = read_rows(tmp_path / "sweep.csv")
    dask_rows = {r["hash"]: r for r in rows}
    assert set(dask_rows) == set(local_rows)
    for key, row in dask_rows.items():
        assert {k: v for k, v in row.items() if k not in TIMING} == {
            k: v for k, v in local_rows[key].items() if k not in TIMING}
    for name in ("pareto_energy_latency.png", "pareto_energy_accuracy.png",
                 "edp_vs_core_size.png"):
        assert (tmp_path / name).is_file()


class Interrupt(Exception):
    pass


@pytest.mark.slow
def test_an_interrupted_sweep_resumes_with_what_is_missing(sweep_file, tmp_path) -> None:
    sweep = load_sweep(sweep_file)
    heard: list[str] = []

    def stop_after_the_first_point(line: str) -> None:
        heard.append(line)
        if line.startswith("["):
            raise Interrupt

    with pytest.raises(Interrupt):
        run_sweep(sweep, tmp_path, workers=1, progress=stop_after_the_first_point, plot=False)
    _, rows = read_rows(tmp_path / "sweep.csv")
    assert len(rows) == 1 and rows[0]["hash"] in {p.key for p in sweep.points}
    first = rows[0]["hash"]

    heard.clear()
    outcome = run_sweep(sweep, tmp_path, workers=2, progress=heard.append, plot=False)
    assert (outcome.total, outcome.skipped, outcome.ok + outcome.failed) == (5, 1, 4)
    assert heard[0].startswith("sweep: 5 configurations (1 done already); running 4")
    assert len([line for line in heard if line.startswith("[")]) == 4
    _, rows = read_rows(tmp_path / "sweep.csv")
    assert sorted(r["hash"] for r in rows) == sorted(p.key for p in sweep.points)
    assert rows[0]["hash"] == first  # the finished row was kept, not recomputed

    # Only the failed point is not done: a third run retries it alone.
    heard.clear()
    outcome = run_sweep(sweep, tmp_path, workers=1, progress=heard.append, plot=False)
    assert (outcome.skipped, outcome.failed) == (4, 1)
    assert len(read_rows(tmp_path / "sweep.csv")[1]) == 5


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.dask
def test_an_unreachable_scheduler_is_one_line(sweep_file, tmp_path, capsys,
                                              monkeypatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(neurosim.executors, "SCHEDULER_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_unused_port()}"
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "out"), "--executor", "dask",
                 "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler" in err and address in err
    assert not (tmp_path / "out" / "sweep.csv").exists()


# --------------------------------------------------------------------------- simulate


@pytest.fixture(scope="module")
def poisson_snn(tmp_path_factory) -> Path:
    # Poisson input: each stream must draw the spikes of its images' global numbers.
    path = tmp_path_factory.mktemp("snn") / "rate.npz"
    assert main(["convert", "digits-mlp", "--code", "rate", "--T", "8", "--input", "poisson",
                 "--images", "20", "--out", str(path)]) == 0
    return path


def _simulate(snn: Path, out: Path, *extra: str) -> dict:
    assert main(["simulate", str(snn), "--images", "10", "--images-per-stream", "3",
                 "--out", str(out), *extra]) == 0
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def serial(poisson_snn, tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("serial")
    return _simulate(poisson_snn, out), out


def _same_outputs(a: Path, b: Path) -> None:
    for name in ("summary.json", "per_core.csv", "per_layer.csv", "per_link.csv"):
        assert (a / name).read_text() == (b / name).read_text(), name


def test_simulate_on_a_local_pool_equals_serial(poisson_snn, serial, tmp_path) -> None:
    block = _simulate(poisson_snn, tmp_path, "--executor", "local", "--workers", "2")
    assert block == serial[0] and block["images"] == 10
    _same_outputs(serial[1], tmp_path)


@pytest.mark.slow
@pytest.mark.dask
def test_simulate_on_a_dask_scheduler_equals_serial(poisson_snn, serial, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    root = str(Path(neurosim.executors.__file__).resolve().parent.parent)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  env={"PYTHONPATH": os.pathsep.join(
                                      [root, os.environ.get("PYTHONPATH", "")])}) as cluster:
        block = _simulate(poisson_snn, tmp_path, "--executor", "dask", "--scheduler",
                          cluster.scheduler_address)
    assert block == serial[0]
    _same_outputs(serial[1], tmp_path)


def test_simulate_executor_options(poisson_snn, tmp_path, capsys) -> None:
    assert main(["simulate", str(poisson_snn), "--out", str(tmp_path), "--workers", "2"]) == 2
    assert "need a parallel executor" in capsys.readouterr().err


def test_hardware_pickles_for_workers() -> None:
    import pickle

    from neurosim.hardware import load_hardware
    hw = load_hardware("loihi", {"core.neurons": 512})
    back = pickle.loads(pickle.dumps(hw))
    assert back == hw and back.overrides == hw.overrides and back.file_hash == hw.file_hash
    assert dict(back.sources) == dict(hw.sources) and type(back.sources) is type(hw.sources)


def test_a_worker_reports_errors_and_never_raises(monkeypatch) -> None:
    import neurosim.sweep.runner as runner
    from neurosim.errors import NeurosimError
    from neurosim.pipeline import Configuration

    def fail_with(exc: Exception):
        def run(configuration, workload=None):
            raise exc
        return run

    monkeypatch.setattr(runner, "_workload", lambda model, dataset: None)
    config = Configuration(model="digits-mlp", images=1)
    monkeypatch.setattr(runner, "run_configuration", fail_with(
        NeurosimError("too big", where="hw.yaml", fix="use more chips")))
    outcome = runner.run_point(config)
    assert (outcome["status"], outcome["error"]) == ("error", "hw.yaml: too big. use more chips")
    monkeypatch.setattr(runner, "run_configuration", fail_with(ZeroDivisionError("division")))
    assert runner.run_point(config)["error"] == "ZeroDivisionError: division"
