"""``neurosim export``, ``neurosim import`` and ``simulate --trace`` from the command line,
and corrupted foreign files (hypothesis): exit 0 with a valid SNN, or exit 2 with one line."""

from __future__ import annotations

import csv
import json
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_interop_sanafe import RUNNER, SANAFE_PYTHON, TUTORIAL

from neurosim.ann.layers import Activation, Dense, Input
from neurosim.ann.model import Model
from neurosim.cli import main
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.datasets import load_dataset
from neurosim.engine import COUNT_KINDS
from neurosim.snn.convert import convert
from neurosim.snn.io import load_snn, save_snn


def _tiny(tmp_path: Path, code: str = "rate") -> str:
    rng = np.random.default_rng(0)
    model = Model("tiny-mlp", (
        Input("in", (64,)),
        Dense("d1", ("in",), rng.normal(size=(16, 64)) / 4, np.full(16, 0.05)),
        Activation("a1", ("d1",), "relu"),
        Dense("out", ("a1",), rng.normal(size=(10, 16)) / 2, np.zeros(10)),
    ), metadata={"dataset": "digits"})
    data = load_dataset("digits")
    spike_code = Rate(T=8) if code == "rate" else FS(K=6)
    snn = convert(model, spike_code, data.x_train[:100].reshape(100, 64))
    return str(save_snn(snn, tmp_path / f"tiny-{code}.npz"))


def test_export_nir_and_import_it_back(tmp_path: Path, capsys) -> None:
    pytest.importorskip("nir")
    snn_path = _tiny(tmp_path)
    assert main(["export", snn_path, "--format", "nir", "--out", str(tmp_path / "t.nir")]) == 0
    assert main(["import", str(tmp_path / "t.nir"), "--out", str(tmp_path / "back.npz")]) == 0
    a, b = load_snn(snn_path), load_snn(tmp_path / "back.npz")
    assert [p.name for p in a.populations] == [p.name for p in b.populations]
    for pa, pb in zip(a.projections, b.projections):
        assert np.array_equal(pa.weight, pb.weight)
    assert "written to" in capsys.readouterr().out


def test_export_refuses_fs_in_one_line(tmp_path: Path, capsys) -> None:
    snn_path = _tiny(tmp_path, "fs")
    for fmt in ("nir", "sanafe"):
        assert main(["export", snn_path, "--format", fmt, "--out", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot express the FS code" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not SANAFE_PYTHON.exists(), reason="SANA-FE's venv is not installed")
def test_export_sanafe_runs_in_sanafe(tmp_path: Path, capsys) -> None:
    snn_path = _tiny(tmp_path)
    out = tmp_path / "t.yaml"
    assert main(["export", snn_path, "--format", "sanafe", "--out", str(out), "--image", "3"]) == 0
    steps = int(capsys.readouterr().out.rsplit("run ", 1)[1].split()[0])
    done = subprocess.run([str(SANAFE_PYTHON), str(RUNNER), str(out), str(steps)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-1000:]
    spikes = json.loads(done.stdout.strip().splitlines()[-1])["spikes"]
    snn = load_snn(snn_path)
    from neurosim.datasets import snn_input
    from neurosim.snn.functional import simulate_stream
    image = np.asarray(snn_input(load_dataset("digits"), snn))[3:4]
    stream = simulate_stream(snn, image)
    names = [(p.name, i) for p in snn.populations for i in range(p.size)]
    ours = {(*names[n], int(t)) for t, n in zip(stream.spike_steps, stream.spike_neurons)}
    assert ours == {(g, n, t) for g, n, t in spikes if not g.startswith("window:")}


def test_simulate_trace_writes_per_step_csv(tmp_path: Path, capsys) -> None:
    snn_path = _tiny(tmp_path)
    for level in ("steps", "cores"):
        out = tmp_path / level
        assert main(["simulate", snn_path, "--images", "3", "--out", str(out),
                     "--trace", level]) == 0
        rows = list(csv.DictReader((out / f"trace_{level}.csv").open()))
        per_core = list(csv.DictReader((out / "per_core.csv").open()))
        for kind in COUNT_KINDS:
            assert sum(int(r[kind]) for r in rows) == sum(int(r[kind]) for r in per_core)
        assert {"step", "step_s", "energy_total_j"} <= set(rows[0])
        assert ("core" in rows[0]) == (level == "cores")
    assert "trace_cores.csv" in capsys.readouterr().out


def _mutate_yaml(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    choice = rng.randrange(5)
    if choice == 0:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    elif choice == 1:
        del lines[i]
    elif choice == 2:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif choice == 3:
        nums = [m for m in __import__("re").finditer(r"-?\d+(\.\d+)?", lines[i])]
        if nums:
            m = rng.choice(nums)
            value = rng.choice(["-1", "1e309", "9" * 30, "0", "0.5", "x", "[]", "{}", "null"])
            lines[i] = lines[i][: m.start()] + value + lines[i][m.end():]
    else:
        data = bytearray("\n".join(lines).encode())
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return data.decode("utf-8", "replace")
    return "\n".join(lines) + "\n"


def _check_outcome(argv: list[str], out: Path, capsys) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), f"exit {code}: {err}"
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("neurosim: error: "), err
        assert not out.exists()
    else:
        load_snn(out)  # what was written reads back as a valid SNN
        out.unlink()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_corrupted_sanafe_files_are_read_or_refused_in_one_line(seed: int, tmp_path_factory,
                                                                 capsys) -> None:
    work = tmp_path_factory.mktemp("fuzz-sanafe")
    rng = random.Random(seed)
    text = TUTORIAL
    for _ in range(rng.randint(1, 3)):
        text = _mutate_yaml(rng, text)
    path = work / "net.yaml"
    path.write_text(text)
    out = work / "x.npz"
    _check_outcome(["import", str(path), "--steps", "4", "--hw", "loihi", "--out", str(out)],
                   out, capsys)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1))
def test_corrupted_nir_files_are_read_or_refused_in_one_line(seed: int, tmp_path_factory,
                                                             capsys) -> None:
    nir = pytest.importorskip("nir")
    work = tmp_path_factory.mktemp("fuzz-nir")
    rng = random.Random(seed)
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([3])}),
        "a": nir.Affine(weight=np.arange(6.0).reshape(2, 3), bias=np.ones(2)),
        "if": nir.IF(r=np.ones(2), v_threshold=np.full(2, 2.0), v_reset=np.zeros(2)),
        "out": nir.Output(output_type={"output": np.array([2])})},
        edges=[("in", "a"), ("a", "if"), ("if", "out")])
    path = work / "g.nir"
    nir.write(str(path), graph)
    data = bytearray(path.read_bytes())
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        data = data[: rng.randrange(len(data))]
    path.write_bytes(bytes(data))
    out = work / "x.npz"
    _check_outcome(["import", str(path), "--steps", "4", "--out", str(out)], out, capsys)
