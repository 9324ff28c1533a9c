"""SANA-FE network files in and out.

Truth: a file neurosim exports runs in SANA-FE 2.2.9 itself (its own venv, an external
program; skipped when absent) with exactly the spikes of neurosim's event engine; a
hand-written file maps group by group as SANA-FE's LIF equations say; mappings translate
SANA-FE's column-by-column tile numbers; bad files are refused in one line.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from engine_hw import loihi_like, sequential_mapping
from engine_nets import converted, random_images, random_model

from neurosim import export_network, import_network
from neurosim.cli import main
from neurosim.engine import simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.interop.build import Description, Edge, Layer, if_network
from neurosim.interop.sanafe_net import read_sanafe_network
from neurosim.snn.functional import simulate_stream

SANAFE_PYTHON = Path("/work/venv-sanafe/bin/python")
RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "sanafe_run_net.py"


def _unpadded_conv_snn():
    """(1, 5, 5) → conv 2×3×3, stride 1, no padding → (2, 3, 3) → dense → 3 outputs."""
    rng = np.random.default_rng(4)
    layers = [Layer("in", (1, 5, 5), "input"),
              Layer("c", (2, 3, 3), "hidden", threshold=9, reset=9,
                    bias=np.repeat([2.0, -1.0], 9)),
              Layer("o", (3,), "output", threshold=0, reset=0, bias=np.array([1.0, 0, 0]))]
    edges = [Edge("in", "c", "conv", rng.integers(-3, 5, size=(2, 1, 3, 3)).astype(float)),
             Edge("c", "o", "dense", rng.integers(-4, 5, size=(3, 18)).astype(float))]
    return if_network(Description("hand-conv", layers, edges), 6, "test")


def _networks():
    model = random_model(7, conv=True)
    images = random_images(7, model, n=2)
    yield "padded conv + dense", converted(model, "rate", images), images[0]
    mlp = random_model(8, conv=False)
    mlp_images = random_images(8, mlp, n=2)
    yield "mlp", converted(mlp, "rate", mlp_images), mlp_images[0]
    yield "unpadded conv", _unpadded_conv_snn(), np.random.default_rng(1).uniform(0, 1, (1, 5, 5))


def _engine_spikes(snn, hw, mapping, image) -> set[tuple[str, int, int]]:
    run = simulate_hardware(snn, mapping, hw, image[None], record_spikes=True)
    names = []
    for pop in snn.populations:
        names += [(pop.name, i) for i in range(pop.size)]
    return {(*names[n], int(t)) for t, n in run.streams[0].spikes}


@pytest.mark.skipif(not SANAFE_PYTHON.exists(), reason="SANA-FE's venv is not installed")
@pytest.mark.parametrize("case", [name for name, _, _ in _networks()])
def test_an_exported_file_runs_in_sanafe_with_the_engines_spikes(case: str, tmp_path: Path) -> None:
    snn, image = next((s, i) for name, s, i in _networks() if name == case)
    hw = loihi_like()
    mapping = sequential_mapping(snn, hw, neurons_per_core=20)
    path = export_network(snn, tmp_path / "net.yaml", "sanafe", mapping=mapping, hardware=hw,
                          image=image)
    steps = snn.stream_steps(1) + 1
    done = subprocess.run([str(SANAFE_PYTHON), str(RUNNER), str(path), str(steps)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    theirs = {(g, n, t) for g, n, t in result["spikes"] if not g.startswith("window:")}
    ours = _engine_spikes(snn, hw, mapping, image)
    assert len(ours) > 20  # the network is active
    assert theirs == ours
    # The only other spikes are the window groups' (one bias and one silencing neuron each).
    extra = [s for s in result["spikes"] if s[0].startswith("window:")]
    assert {g for g, _, _ in extra} <= {f"window:{p.name}" for p in snn.populations[1:]}


def test_an_exported_file_reads_back_as_the_same_network(tmp_path: Path) -> None:
    snn = _unpadded_conv_snn()
    hw = load_hardware("loihi")
    mapping = sequential_mapping(snn, hw, neurons_per_core=10)
    image = np.full((1, 5, 5), 0.5)
    path = export_network(snn, tmp_path / "net.yaml", "sanafe", mapping=mapping, hardware=hw,
                          image=image)
    back, back_mapping = import_network(path, hardware=hw)
    assert back.window == snn.window  # from the window groups' silencing spikes
    for a, b in zip(snn.populations[1:], back.populations[1:], strict=True):
        assert (a.name, a.shape, a.offset) == (b.name, b.shape, b.offset)
        assert np.array_equal(a.bias, b.bias)
        if a.role == "hidden":
            assert (a.threshold[0], a.reset[0], b.reset_mode) == (b.threshold[0], b.reset[0], "subtract")
    for a, b in zip(snn.projections, back.projections, strict=True):
        assert (a.kind, a.stride) == (b.kind, b.stride)
        assert np.array_equal(a.weight, b.weight)
    # The mapping comes back onto the same cores (tile numbers translated both ways).
    assert np.array_equal(back_mapping.core_of_neuron(back), mapping.core_of_neuron(snn))


TUTORIAL = """\
network:
  name: tutorial
  groups:
    - name: in
      attributes: [log_spikes: true]
      neurons:
        - 0..1: [spikes: [1, 0, 1]]
    - name: hid
      attributes: [soma: {threshold: 2.0, reset_mode: soft}, leak_decay: 0.75, bias: 0.0]
      neurons:
        - 0: [bias: 1.0]
        - 1..2: []
    - name: out
      attributes: [threshold: 1.0, reset: 0.0]
      neurons:
        - 0..1: []
  edges:
    - in -> hid: [type: dense, weight: [1, 2, 3, 4, 5, 6]]
    - hid.0 -> out.1: [weight: -2]
    - hid.2 -> out.0: [w: 3]
    - hid -> out: [type: sparse, source_target_pairs: [[1, 1], [2, 0]], weight: [7, 1]]
mappings:
  - in: [core: 0.0, soma: "loihi_inputs[0]"]
  - hid.0..1: [core: 5.1]
  - hid.2: [core: 5.2]
  - out: [core: 31.3]
"""


def test_a_hand_written_file_maps_group_by_group(tmp_path: Path) -> None:
    path = tmp_path / "tutorial.yaml"
    path.write_text(TUTORIAL)
    hw = load_hardware("loihi")  # 8 × 4 tiles of 4 cores
    snn, mapping = read_sanafe_network(path, steps=5, hardware=hw)
    inp, hid, out = snn.populations
    assert (inp.role, hid.role, out.role) == ("input", "hidden", "output")
    # v > 2 fires, soft reset subtracts 2: threshold 3, reset 2; decay 0.75 = 1 − 1024/4096.
    assert (hid.threshold[0], hid.reset[0], hid.reset_mode, hid.leak) == (3, 2, "subtract", 1024)
    assert np.array_equal(hid.bias, [1, 0, 0])
    dense, single = snn.incoming("hid")[0], snn.incoming("out")[0]
    # Source-major weights: synapse (source s, target t) is entry s·3 + t.
    assert np.array_equal(dense.weight, [[1, 4], [2, 5], [3, 6]])
    # Single edges and the sparse edge sum into one matrix (target, source).
    assert np.array_equal(single.weight, [[0, 0, 3 + 1], [-2, 7, 0]])
    cores = mapping.core_of_neuron(snn)
    # SANA-FE tile 5 of a mesh 4 tall is (x 1, y 1): neurosim tile 1·8 + 1 = 9.
    assert list(cores[2:5]) == [9 * 4 + 1, 9 * 4 + 1, 9 * 4 + 2]
    # Tile 31 is (x 7, y 3): neurosim tile 3·8 + 7 = 31, core 3.
    assert list(cores[5:]) == [31 * 4 + 3] * 2


@pytest.mark.parametrize("edit,message", [
    (("core: 31.3", "core: 32.0"), "core 32.0 is not on 'loihi'"),
    (("core: 31.3", "core: 31.4"), "core 31.4 is not on 'loihi'"),
    (("weight: [1, 2, 3, 4, 5, 6]", "weight: [1, 2, 3, 4, 5, 600]"),
     "edge 'in->hid' has weights up to ±600, beyond the 9-bit weights"),
    (("reset_mode: soft", "reset_mode: saturate"), "group 'hid'.*reset_mode 'saturate'"),
    (("leak_decay: 0.75", "noise: 1.0"), "group 'hid'.*unsupported attribute\\(s\\) \\['noise'\\]"),
    (("hid.0 -> out.1", "out.0 -> out.1"), "recurrent"),
    (("type: sparse", "type: taps"), "edge type 'taps' is not supported"),
    (("leak_decay: 0.75", "input_decay: 0.5"), "group 'hid'.*input_decay"),
    # A neuron number beyond int64 (found by the corrupted-file fuzz test): refused, not raised.
    (("[[1, 1], [2, 0]]", "[[1, 1], [2, 100000000000000000000000]]"),
     "source_target_pairs is not a list"),
    # Numbers beyond float64 (the same fuzz test): one line, not a TypeError or OverflowError.
    (("- 0: [bias: 1.0]", "- 0: [bias: 1" + "0" * 400 + "]"), "bias 1000.* is not a finite"),
    (("threshold: 1.0, reset: 0.0", "threshold: 1" + "0" * 400 + ", reset: 0.0"),
     "expected a finite number"),
    (("weight: [1, 2, 3, 4, 5, 6]", "weight: [1, 2, 3, 4, 5, 1" + "0" * 400 + "]"),
     "weights are not numbers"),
])
def test_bad_files_are_one_line_naming_the_group_or_edge(edit, message, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    old, new = edit
    assert old in TUTORIAL
    path.write_text(TUTORIAL.replace(old, new, 1))
    code = main(["import", str(path), "--steps", "4", "--hw", "loihi",
                 "--out", str(tmp_path / "x.npz"), "--mapping-out", str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("neurosim: error: ") and str(path) in err
    assert re.search(message, err), err
    assert not (tmp_path / "x.npz").exists()


def test_the_import_command_writes_the_snn_and_the_mapping(tmp_path: Path, capsys) -> None:
    path = tmp_path / "tutorial.yaml"
    path.write_text(TUTORIAL)
    code = main(["import", str(path), "--steps", "5", "--hw", "loihi", "--out",
                 str(tmp_path / "t.npz"), "--mapping-out", str(tmp_path / "t.yaml")])
    assert code == 0, capsys.readouterr().err
    from neurosim.compiler.io import load_mapping
    from neurosim.snn.io import load_snn
    snn = load_snn(tmp_path / "t.npz")
    mapping = load_mapping(tmp_path / "t.yaml", snn, load_hardware("loihi"))
    assert len(mapping.cores_used()) == 4
    stream = simulate_stream(snn, np.ones((1, 2)))
    assert len(stream.spike_steps) > 0


def test_fs_and_ttfs_are_refused_naming_what_sanafe_lacks(tmp_path: Path) -> None:
    model = random_model(1, conv=False)
    snn = converted(model, "ttfs", random_images(1, model, n=2))
    with pytest.raises(NeurosimError, match="SANA-FE cannot express the TTFS code"):
        export_network(snn, tmp_path / "x.yaml", "sanafe", image=np.zeros(36))



def test_integers_too_large_for_int64_do_not_make_an_integer_network() -> None:
    # A corrupted file's weight of 1e300 is "integral" as a float, but cast to int64 it
    # becomes garbage; such a network stays float (and the engine then refuses it).
    from neurosim.interop.build import _integral
    assert _integral([np.array([3.0, -4.0]), np.array([2.0 ** 53])])
    assert not _integral([np.array([1e300])])
    assert not _integral([np.array([2.0 ** 63])])
