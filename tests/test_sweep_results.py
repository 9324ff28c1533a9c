"""sweep.csv (appends, cut lines, growing headers, retried failures), Pareto fronts, plots."""

from __future__ import annotations

import csv

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.cli import main
from neurosim.report.table import flatten
from neurosim.sweep.plots import pareto_front, plot_sweep
from neurosim.sweep.results import ResultsFile, read_rows


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_rows_append_and_survive_a_cut_line(tmp_path) -> None:
    path = tmp_path / "sweep.csv"
    results = ResultsFile(path, ["code"])
    assert not path.exists()  # nothing is written before the first row
    results.record({"hash": "a", "status": "ok", "code": "fs", "latency_s": 1.5e-3})
    results.record({"hash": "b", "status": "error", "error": "too big,\nreally", "code": "rate",
                    "latency_s": None})
    assert _rows(path) == [
        {"hash": "a", "status": "ok", "error": "", "seconds": "", "code": "fs",
         "latency_s": "0.0015"},
        {"hash": "b", "status": "error", "error": "too big, really", "seconds": "", "code": "rate",
         "latency_s": ""}]
    # A kill in the middle of a row leaves a cut line: it is dropped, the rest kept.
    with path.open("a") as fh:
        fh.write("c,ok,,1.0,f")
    again = ResultsFile(path, ["code"])
    assert again.done() == {"a"}
    again.record({"hash": "c", "status": "ok", "code": "ttfs", "latency_s": 2.0})
    assert [r["hash"] for r in _rows(path)] == ["a", "b", "c"]


def test_a_new_column_rewrites_and_a_retried_failure_replaces(tmp_path) -> None:
    path = tmp_path / "sweep.csv"
    results = ResultsFile(path)
    results.record({"hash": "a", "status": "error", "error": "boom"})
    results.record({"hash": "b", "status": "ok", "params.K": 10})
    results.record({"hash": "a", "status": "ok", "params.T": 16})
    header, rows = read_rows(path)
    assert header == ["hash", "status", "error", "seconds", "params.K", "params.T"]
    assert [(r["hash"], r["status"], r["params.K"], r["params.T"]) for r in rows] == [
        ("b", "ok", "10", ""), ("a", "ok", "", "16")]
    assert ResultsFile(path).done() == {"a", "b"}


def test_flatten() -> None:
    block = {"code": "fs", "energy_breakdown_j": {"synapse": 1e-9, "static": 0.0},
             "hardware": {"name": "loihi"}, "hardware_overrides": ["core.neurons=64"]}
    assert flatten(block) == {"code": "fs", "energy_breakdown_j.synapse": 1e-9,
                              "energy_breakdown_j.static": 0.0, "hardware.name": "loihi",
                              "hardware_overrides": '["core.neurons=64"]'}


def test_not_a_sweep_file(tmp_path, capsys) -> None:
    (tmp_path / "sweep.csv").write_text("a,b\n1,2\n")
    assert main(["sweep", "--plot-only", str(tmp_path)]) == 2
    assert "not a sweep result file" in capsys.readouterr().err


def _brute_front(x, y) -> set[tuple[float, float]]:
    points = set(zip(x, y))
    return {p for p in points
            if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points)}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25))
def test_pareto_front_against_brute_force(points) -> None:
    x = [float(p[0]) for p in points]
    y = [float(p[1]) for p in points]
    front = pareto_front(x, y)
    assert {(x[i], y[i]) for i in front} == _brute_front(x, y)
    assert len(front) == len({(x[i], y[i]) for i in front})  # equal points once
    assert np.all(np.diff([x[i] for i in front]) > 0)


def test_pareto_front_by_hand() -> None:
    # (1, 5) and (2, 2) and (4, 1) trade off; (3, 3) is beaten by (2, 2); (5, 5) by all.
    assert pareto_front([3, 1, 5, 2, 4], [3, 5, 5, 2, 1]).tolist() == [1, 3, 4]


def _write_sweep_csv(path, sizes) -> None:
    header = ["hash", "status", "error", "seconds", "code", "placer", "seed", "core.neurons",
              "params.K", "params.T", "snn_accuracy", "energy_per_inference_j", "latency_s",
              "edp_j_s"]
    rng = np.random.default_rng(0)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, (code, size) in enumerate((c, s) for c in ("fs", "rate", "ttfs") for s in sizes):
            e, lat = rng.uniform(1e-6, 1e-4), rng.uniform(1e-4, 1e-2)
            writer.writerow([f"h{i}", "ok", "", "1", code, "optimised", "0", size,
                             10 if code == "fs" else "", "" if code == "fs" else 16,
                             rng.uniform(0.8, 1.0), e, lat, e * lat])
        writer.writerow(["bad", "error", "does not fit", "1", "fs", "optimised", "0", "1"]
                        + [""] * 6)


def test_plots_from_a_csv(tmp_path, capsys) -> None:
    _write_sweep_csv(tmp_path / "sweep.csv", [128, 512, 2048])
    assert main(["sweep", "--plot-only", str(tmp_path)]) == 0
    for name in ("pareto_energy_latency.png", "pareto_energy_accuracy.png",
                 "edp_vs_core_size.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    one_size = tmp_path / "one"
    one_size.mkdir()
    _write_sweep_csv(one_size / "sweep.csv", [1024])
    paths, notes = plot_sweep(one_size / "sweep.csv", one_size)
    assert [p.name for p in paths] == ["pareto_energy_latency.png", "pareto_energy_accuracy.png"]
    assert notes == ["edp_vs_core_size.png not drawn: the sweep does not vary core.neurons"]
