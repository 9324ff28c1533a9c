"""NIR graphs in and out, through the real ``nir`` package (nir.write / nir.read).

Truth: a rate-coded network written and read back computes the very same spikes and
outputs (functional simulator and event engine); foreign graphs map node by node as the
NIR equations say, checked by hand; what NIR cannot express is refused by name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_hw import loihi_like, sequential_mapping
from engine_nets import converted, random_images, random_model

from neurosim import FS, export_network, import_network
from neurosim.engine import simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.interop.nir import snn_from_graph
from neurosim.snn.connectivity import propagate
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate, simulate_stream

nir = pytest.importorskip("nir")


def _round_trip(snn, tmp_path: Path):
    path = export_network(snn, tmp_path / "net.nir", "nir")
    graph = nir.read(str(path))  # the real package reads what neurosim wrote
    assert {type(n).__name__ for n in graph.nodes.values()} <= {
        "Input", "Output", "IF", "I", "Affine", "Conv2d", "Flatten", "Delay"}
    back, mapping = import_network(path)
    assert mapping is None
    return graph, back


@pytest.mark.parametrize("conv,residual", [(False, False), (True, False), (True, True)])
def test_rate_networks_round_trip_with_identical_spikes(conv: bool, residual: bool,
                                                        tmp_path: Path) -> None:
    model = random_model(5, conv=conv, residual=residual)
    images = random_images(5, model, n=6)
    snn = converted(model, "rate", images)
    graph, back = _round_trip(snn, tmp_path)
    assert back.window == snn.window and back.integer
    assert [(p.name, p.shape, p.offset) for p in back.populations] == [
        (p.name, p.shape, p.offset) for p in snn.populations]
    a, b = simulate(snn, images), simulate(back, images)
    assert np.array_equal(a.outputs, b.outputs)
    for name in a.spike_counts:
        assert np.array_equal(a.spike_counts[name], b.spike_counts[name])
    sa, sb = simulate_stream(snn, images), simulate_stream(back, images)
    assert np.array_equal(sa.spike_steps, sb.spike_steps)
    assert np.array_equal(sa.spike_neurons, sb.spike_neurons)
    # The subtractive reset and the v >= θ rule travel in the metadata.
    hidden = next(p for p in snn.populations if p.role == "hidden")
    meta = graph.nodes[hidden.name].metadata
    assert "subtractive reset" in str(meta["neurosim_rule"])
    assert float(meta["neurosim_threshold"]) == float(hidden.threshold[0])
    # NIR's own v > v_threshold fires on the same integer potentials.
    assert float(np.asarray(graph.nodes[hidden.name].v_threshold).flat[0]) == hidden.threshold[0] - 0.5
    if residual:
        assert any(p.delay for p in back.projections)


def test_the_imported_network_runs_on_the_engine_with_the_same_spikes(tmp_path: Path) -> None:
    model = random_model(2, conv=True)
    images = random_images(2, model, n=3)
    snn = converted(model, "rate", images)
    _, back = _round_trip(snn, tmp_path)
    hw = loihi_like(neurons=32)
    run = simulate_hardware(back, sequential_mapping(back, hw, 32), hw, images, record_spikes=True)
    stream = simulate_stream(back, images)
    spikes = run.streams[0].spikes
    assert np.array_equal(spikes[:, 0], stream.spike_steps)
    assert np.array_equal(spikes[:, 1], stream.spike_neurons)


@pytest.mark.parametrize("code,lacks", [("fs", "FS code"), ("ttfs", "TTFS code")])
def test_fs_and_ttfs_are_refused_naming_what_nir_lacks(code: str, lacks: str, tmp_path: Path) -> None:
    model = random_model(1, conv=False)
    images = random_images(1, model, n=2)
    snn = convert(model, FS(K=4), images) if code == "fs" else converted(model, code, images)
    with pytest.raises(NeurosimError, match=f"NIR cannot express the {lacks}.*threshold"):
        export_network(snn, tmp_path / "x.nir", "nir")
    assert not (tmp_path / "x.nir").exists()


def _write(graph, tmp_path: Path, name: str = "g.nir") -> Path:
    path = tmp_path / name
    nir.write(str(path), graph)
    return path


def test_a_foreign_graph_maps_node_by_node(tmp_path: Path) -> None:
    # Input (1, 4, 4) → Conv2d (2 ch, 3×3, pad 1) → IF → SumPool2d 2×2 → Scale → IF
    # → Flatten → Affine → LIF → Affine → LI → Output, with dt = 1.
    rng = np.random.default_rng(0)
    conv_w = rng.integers(-3, 4, size=(2, 1, 3, 3)).astype(float)
    aff1 = rng.integers(-2, 3, size=(6, 8)).astype(float)
    aff2 = rng.integers(-2, 3, size=(3, 6)).astype(float)
    nodes = {
        "in": nir.Input(input_type={"input": np.array([1, 4, 4])}),
        "conv": nir.Conv2d(input_shape=np.array([4, 4]), weight=conv_w, stride=1, padding=1,
                           dilation=1, groups=1, bias=np.array([1.0, 0.0])),
        "if1": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.full((2, 4, 4), 4.0),
                      v_reset=np.zeros((2, 4, 4))),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                              padding=np.array([0, 0])),
        "scale": nir.Scale(scale=np.full((2, 2, 2), 2.0)),
        "if2": nir.IF(r=np.ones((2, 2, 2)), v_threshold=np.full((2, 2, 2), 3.0),
                      v_reset=np.full((2, 2, 2), -1.0)),
        "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0, end_dim=-1),
        "aff1": nir.Affine(weight=aff1, bias=np.zeros(6)),
        "lif": nir.LIF(tau=np.full(6, 4.0), r=np.full(6, 4.0), v_leak=np.zeros(6),
                       v_threshold=np.full(6, 2.0), v_reset=np.zeros(6)),
        "aff2": nir.Affine(weight=aff2, bias=np.array([0.0, 1.0, 2.0])),
        "li": nir.LI(tau=np.full(3, 2.0), r=np.full(3, 2.0), v_leak=np.zeros(3)),
        "out": nir.Output(output_type={"output": np.array([3])}),
    }
    edges = [("in", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "scale"),
             ("scale", "if2"), ("if2", "flat"), ("flat", "aff1"), ("aff1", "lif"),
             ("lif", "aff2"), ("aff2", "li"), ("li", "out")]
    path = _write(nir.NIRGraph(nodes=nodes, edges=edges), tmp_path)
    snn, _ = import_network(path, steps=8)
    pops = {p.name: p for p in snn.populations}
    assert [p.name for p in snn.populations] == ["in", "if1", "if2", "lif", "li"]
    assert [p.offset for p in snn.populations] == [0, 1, 2, 3, 4]
    assert snn.integer and snn.window == 8
    # IF: v > 4 is v >= 5, reset to v_reset; bias of the conv per channel.
    assert (pops["if1"].threshold[0], pops["if1"].reset_mode, pops["if1"].reset_value) == (5, "value", 0)
    assert np.array_equal(pops["if1"].bias, np.repeat([1, 0], 16))
    assert (pops["if2"].threshold[0], pops["if2"].reset_value) == (4, -1)
    # LIF: β = 1 − dt/τ = 3/4 → leak 1024/4096; input × R·dt/τ = 1.
    assert (pops["lif"].leak, pops["lif"].threshold[0]) == (1024, 3)
    # LI output: leak 2048, input × R·dt/τ = 1; Affine's bias lands on it.
    assert pops["li"].role == "output" and pops["li"].leak == 2048
    assert np.array_equal(pops["li"].bias, [0, 1, 2])
    projs = {p.target: p for p in snn.projections}
    assert projs["if1"].kind == "conv" and projs["if1"].padding == (1, 1)
    assert np.array_equal(projs["if1"].weight, conv_w)
    assert np.array_equal(projs["lif"].weight, aff1)
    # The pool and the Scale: each output is 2 × the sum of its 2×2 block, per channel.
    x = rng.integers(0, 2, size=(3, 32)).astype(float)
    got = propagate(projs["if2"], x, (2, 4, 4))
    want = 2 * x.reshape(3, 2, 2, 2, 2, 2).sum(axis=(3, 5)).reshape(3, -1)
    assert np.array_equal(got, want)


def test_cubalif_maps_when_its_current_lasts_one_step_and_is_refused_otherwise(tmp_path: Path) -> None:
    def graph(tau_syn: float):
        return nir.NIRGraph(nodes={
            "in": nir.Input(input_type={"input": np.array([2])}),
            "lin": nir.Linear(weight=np.array([[1.0, 2.0]])),
            "cuba": nir.CubaLIF(tau_syn=np.array([tau_syn]), tau_mem=np.array([2.0]),
                                r=np.array([2.0]), v_leak=np.array([0.0]),
                                v_threshold=np.array([1.0]), v_reset=np.array([0.0]),
                                w_in=np.array([3.0])),
            "out": nir.Output(output_type={"output": np.array([1])})},
            edges=[("in", "lin"), ("lin", "cuba"), ("cuba", "out")])
    snn, _ = import_network(_write(graph(1.0), tmp_path, "a.nir"), steps=4)
    cuba = snn.population("cuba")
    assert cuba.leak == 2048 and cuba.threshold[0] == 2
    # w_in · R·dt/τ_mem = 3: the weights carry it; the Output counts the spikes.
    assert np.array_equal(snn.incoming("cuba")[0].weight, [[3, 6]])
    assert snn.output.name == "output" and np.array_equal(snn.incoming("output")[0].weight, [[1]])
    with pytest.raises(NeurosimError, match=r"CubaLIF node 'cuba'.*second state"):
        import_network(_write(graph(5.0), tmp_path, "b.nir"), steps=4)


def _chain(tmp_path: Path, middle: dict, edges: list) -> Path:
    nodes = {"in": nir.Input(input_type={"input": np.array([2])}),
             "out": nir.Output(output_type={"output": np.array([2])}), **middle}
    return _write(nir.NIRGraph(nodes=nodes, edges=edges), tmp_path)


@pytest.mark.parametrize("case,message", [
    ("threshold node", "node 't' is a Threshold, which neurosim cannot import"),
    ("uneven threshold", "IF node 'if' : v_threshold differs between neurons".replace(" :", ":")),
    ("two weighted", "node 'b' \\(Linear\\) follows 'a' with no neuron node between"),
    ("no steps", "how many steps"),
    ("fractional delay", "not a whole number of steps"),
])
def test_unsupported_graphs_are_refused_by_node(case: str, message: str, tmp_path: Path) -> None:
    eye = np.eye(2)
    if_node = nir.IF(r=np.ones(2), v_threshold=np.array([1.0, 1.0]), v_reset=np.zeros(2))
    steps = 4
    if case == "threshold node":
        path = _chain(tmp_path, {"t": nir.Threshold(threshold=np.ones(2))},
                      [("in", "t"), ("t", "out")])
    elif case == "uneven threshold":
        bad = nir.IF(r=np.ones(2), v_threshold=np.array([1.0, 2.0]), v_reset=np.zeros(2))
        path = _chain(tmp_path, {"a": nir.Linear(weight=eye), "if": bad},
                      [("in", "a"), ("a", "if"), ("if", "out")])
    elif case == "two weighted":
        path = _chain(tmp_path, {"a": nir.Linear(weight=eye), "b": nir.Linear(weight=eye),
                                 "if": if_node},
                      [("in", "a"), ("a", "b"), ("b", "if"), ("if", "out")])
    elif case == "no steps":
        path = _chain(tmp_path, {"a": nir.Linear(weight=eye), "if": if_node},
                      [("in", "a"), ("a", "if"), ("if", "out")])
        steps = None
    else:
        path = _chain(tmp_path, {"a": nir.Linear(weight=eye), "d": nir.Delay(delay=np.full(2, 0.5)),
                                 "if": if_node},
                      [("in", "a"), ("a", "d"), ("d", "if"), ("if", "out")])
    with pytest.raises(NeurosimError, match=message) as info:
        import_network(path, steps=steps)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def _decay(v: np.ndarray, leak: int) -> np.ndarray:
    """Loihi's integer decay: trunc(v·(4096 − leak)/4096) toward zero."""
    p = v * (4096 - leak)
    return np.sign(p) * (np.abs(p) >> 12)


def test_a_leaky_hard_reset_graph_runs_as_the_nir_equations_say(tmp_path: Path) -> None:
    # Input(3) → Linear → LIF (β = 3/4, v > 5 fires, reset to 0) → Linear → LI (β = 1/2).
    rng = np.random.default_rng(3)
    w1 = rng.integers(-2, 6, size=(4, 3)).astype(float)
    w2 = rng.integers(-3, 4, size=(2, 4)).astype(float)
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([3])}),
        "l1": nir.Linear(weight=w1),
        "lif": nir.LIF(tau=np.full(4, 4.0), r=np.full(4, 4.0), v_leak=np.zeros(4),
                       v_threshold=np.full(4, 5.0), v_reset=np.zeros(4)),
        "l2": nir.Linear(weight=w2),
        "li": nir.LI(tau=np.full(2, 2.0), r=np.full(2, 2.0), v_leak=np.zeros(2)),
        "out": nir.Output(output_type={"output": np.array([2])})},
        edges=[("in", "l1"), ("l1", "lif"), ("lif", "l2"), ("l2", "li"), ("li", "out")])
    snn, _ = import_network(_write(graph, tmp_path), steps=10)
    images = rng.uniform(0, 1, size=(4, 3))
    stream = simulate_stream(snn, images)
    # The engine and the functional simulator agree on the leaky network.
    hw = loihi_like()
    run = simulate_hardware(snn, sequential_mapping(snn, hw), hw, images, record_spikes=True)
    assert np.array_equal(run.streams[0].spikes[:, 0], stream.spike_steps)
    assert np.array_equal(run.streams[0].spikes[:, 1], stream.spike_neurons)
    assert np.array_equal(run.outputs, stream.outputs)
    # Independent truth: step the NIR equations (dt = 1, integer decay) on the input's spikes.
    T, lif_first = 10, snn.first_neuron("lif")
    fired = 0
    for n in range(len(images)):
        s_in = np.zeros((T, 3), np.int64)
        z_lif = np.zeros((T, 4), np.int64)
        base = n * T
        for t, neuron in zip(stream.spike_steps, stream.spike_neurons):
            if neuron < 3 and base <= t < base + T:
                s_in[t - base, neuron] = 1
            if lif_first <= neuron < lif_first + 4 and base + 1 <= t < base + 1 + T:
                z_lif[t - base - 1, neuron - lif_first] = 1
        v = np.zeros(4, np.int64)
        want = np.zeros((T, 4), np.int64)
        for k in range(T):   # LIF's window: one step after the input's
            v = _decay(v, 1024) + (w1.astype(np.int64) @ s_in[k])
            want[k] = v > 5
            v = np.where(want[k] == 1, 0, v)
        assert np.array_equal(z_lif, want)
        fired += int(want.sum())
        u = np.zeros(2, np.int64)
        for k in range(T):
            u = _decay(u, 2048) + (w2.astype(np.int64) @ want[k])
        assert np.array_equal(stream.outputs[n], u)
    assert fired > 5  # the hard reset and the leak were exercised


def test_a_node_off_every_path_is_refused() -> None:
    eye = np.eye(2)
    graph = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([2])}), "a": nir.Linear(weight=eye),
        "if": nir.IF(r=np.ones(2), v_threshold=np.ones(2), v_reset=np.zeros(2)),
        "lost": nir.Linear(weight=eye),
        "out": nir.Output(output_type={"output": np.array([2])})},
        edges=[("in", "a"), ("a", "if"), ("if", "out")], type_check=False)
    with pytest.raises(NeurosimError, match=r"\['lost'\] are not reached from the Input"):
        snn_from_graph(graph, "memory", steps=4)
