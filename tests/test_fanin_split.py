"""Fan-in wider than a core's input axons: partial compartments joined at the home core.

Truth: the functional simulator (spikes and outputs, independent of any mapping); a
hand-worked network whose partial-sum packets and their energy are counted by hand; a
reference count of partial-sum packets from the functional spikes and the explicit
synapses; and the invariants (packets sent = received, energy = sum of its breakdown).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from snn_factory import _population, synthetic_snn

from neurosim.cli import main
from neurosim.compiler import compile_network, mapping_usage
from neurosim.compiler.fanin import source_cuts, source_group
from neurosim.compiler.io import load_mapping, save_mapping
from neurosim.energy import energy_breakdown_j, energy_per_inference_j, run_energy, total_j
from neurosim.engine import build_tables, simulate_hardware
from neurosim.engine.kernel import COUNT_KINDS, PARTIAL, PK_IN, PK_OUT, SYN
from neurosim.errors import NeurosimError
from neurosim.hardware.loader import load_hardware
from neurosim.snn.connectivity import synapses
from neurosim.snn.functional import simulate_stream
from neurosim.snn.io import save_snn
from neurosim.snn.network import SNN, Projection


def assert_same_as_functional(snn: SNN, mapping, hw, images: np.ndarray):
    run = simulate_hardware(snn, mapping, hw, images, record_spikes=True)
    _, steps, neurons = run.spike_record()
    ref = simulate_stream(snn, images)
    np.testing.assert_array_equal(steps, ref.spike_steps)
    np.testing.assert_array_equal(neurons, ref.spike_neurons)
    np.testing.assert_array_equal(run.outputs, ref.outputs)
    return run, ref


def expected_partial_packets(snn: SNN, mapping, ref) -> int:
    """Partial-sum packets from the functional spikes: one per (step, group >= 1, neuron)
    whose sum of w·d(k) over that step's spikes from the group is non-zero."""
    sums: dict[tuple[int, int, int], int] = {}
    by_source: dict[int, list[int]] = {}
    for t, n in zip(ref.spike_steps, ref.spike_neurons):
        by_source.setdefault(int(n), []).append(int(t))
    for proj in snn.projections:
        cuts = mapping.fanin_groups.get(proj.target)
        if not cuts:
            continue
        source = snn.population(proj.source)
        first = snn.first_neuron(proj.source)
        src, tgt, w = synapses(proj, source.shape)
        group = source_group(cuts, src + first)
        for s, t_, weight, g in zip(src, tgt, w, group):
            if g == 0:
                continue
            for step in by_source.get(int(s + first), []):
                k = (step - source.offset) % source.window
                key = (step, int(g), int(t_) + snn.first_neuron(proj.target))
                sums[key] = sums.get(key, 0) + int(weight) * int(source.out_weight[k])
    return sum(1 for v in sums.values() if v != 0)


# --- source groups ------------------------------------------------------------------------

def test_source_cuts_by_hand() -> None:
    # 4 sources, 3 axons: 2 groups; group 0 leaves one axon for the partial sum.
    assert source_cuts(np.arange(4), 3).tolist() == [2]
    # 12 sources, 5 axons: 3 groups of 3, 5, 4 (group 0: 5 - 2 partial sums = 3).
    assert source_cuts(np.arange(12), 5).tolist() == [3, 8]
    # Loihi: 6,272 sources, 4,096 axons: two even groups.
    assert source_cuts(np.arange(6272), 4096).tolist() == [3136]
    assert source_cuts(np.arange(5), 5).tolist() == []
    assert source_cuts(np.arange(5), 1) is None
    assert source_cuts(np.arange(10), 3) is None  # 3 axons at home cannot join 4 groups


@given(n=st.integers(1, 400), limit=st.integers(1, 60))
def test_source_cuts_fit(n: int, limit: int) -> None:
    sources = np.sort(np.random.default_rng(n).choice(10 * n, n, replace=False))
    cuts = source_cuts(sources, limit)
    if cuts is None:
        assert n > limit + (limit - 1) * (limit - 1) or limit < 2
        return
    sizes = np.bincount(source_group(cuts, sources))
    groups = len(sizes)
    assert sizes.sum() == n and (sizes > 0).all()
    assert sizes[0] + groups - 1 <= limit  # a neuron's home fits: group 0 plus partial sums
    assert (sizes[1:] <= limit).all()
    # As few groups as possible: one fewer would not fit.
    assert groups == 1 or n > limit + (groups - 2) * (limit - 1)


# --- a hand-worked network -----------------------------------------------------------------

def _hand_snn() -> SNN:
    """4 inputs → 2 output neurons; weights chosen so that the partial sum of neuron 0
    cancels (2 − 2) when inputs 2 and 3 fire together, and that of neuron 1 does not."""
    weight = np.array([[1, 1, 2, -2], [1, 1, 1, 1]])
    pops = (_population("L0", (4,), "input", 0), _population("L1", (2,), "output", 1))
    proj = Projection("L0->L1", "L0", "L1", "dense", weight)
    return SNN(name="hand", code="rate", populations=pops, projections=(proj,))


def test_hand_network_counts_and_energy() -> None:
    snn = _hand_snn()
    hw = load_hardware("loihi", {"core.input_axons": 3})
    mapping = compile_network(snn, hw, placer="baseline")
    # Sources 0, 1 land at home; 2, 3 on one partial block holding both compartments.
    assert mapping.fanin_groups == {"L1": (2,)}
    partial = [b for b in mapping.blocks if b.group]
    assert len(partial) == 1 and partial[0].neurons.tolist() == [0, 1]
    assert mapping.stats["split_neurons"] == 2 and mapping.stats["partial_blocks"] == 1
    # Inputs 2 and 3 get 32 / window 4 = 8 per step: they fire at each of the 4 steps.
    images = np.array([[0.0, 0.0, 32.0, 32.0]])
    run, ref = assert_same_as_functional(snn, mapping, hw, images)
    assert len(ref.spike_steps) == 8
    # Neuron 0's partial sum is 2 - 2 = 0 each step: no packet. Neuron 1's is 2: 4 packets.
    assert run.totals()["partial_sum_packets"] == 4
    assert expected_partial_packets(snn, mapping, ref) == 4
    cores = list(run.cores)
    p_core = cores.index(partial[0].core)
    home1 = cores.index(next(b.core for b in mapping.blocks
                             if b.population == "L1" and not b.group and 1 in b.neurons))
    counts = run.core_counts
    # The partial core: 8 spike packets in, 2 synapses each; 4 partial sums out.
    assert counts[p_core, PK_IN] == 8 and counts[p_core, SYN] == 16
    assert counts[p_core, PK_OUT] == 4 and counts[p_core, PARTIAL] == 4
    # Neuron 1's home: no spike packets (inputs 0 and 1 are silent), 4 partial sums.
    assert counts[home1, PK_IN] == 4 and counts[home1, SYN] == 4
    tables = build_tables(snn, mapping, hw)
    j = int(np.flatnonzero(tables.comp_neuron == snn.first_neuron("L1") + 1)[0])
    ew, ns, ic = tables.comp_hops[j]
    c, noc = hw.chip.costs, hw.chip.noc
    # Energy of the partial core by hand: its synapses, its partial-sum packets and hops.
    by_core = run_energy(run, hw).by_core_j[int(partial[0].core)]
    assert by_core["synapse"] == pytest.approx(16 * c.energy_synop_j)
    assert by_core["neuron"] == 0.0
    assert by_core["spike_packet"] == pytest.approx(4 * c.energy_packet_out_j + 8 * c.energy_packet_in_j)
    assert by_core["network"] == pytest.approx(4 * (ew * noc.energy_hop_ew_j + ns * noc.energy_hop_ns_j
                                                    + ic * hw.board.energy_interchip_hop_j))
    # The same network with 4 axons needs no split: the difference is the partial sums.
    whole_hw = load_hardware("loihi", {"core.input_axons": 4})
    whole = simulate_hardware(snn, compile_network(snn, whole_hw, placer="baseline"), whole_hw, images)
    extra = {k: run.totals()[k] - whole.totals()[k] for k in COUNT_KINDS}
    # Inputs 2 and 3 reach one core either way (the partial core instead of the home).
    assert extra["packets_out"] == extra["packets_in"] == extra["partial_sum_packets"] == 4
    assert extra["synaptic_events"] == 4 and extra["spikes"] == 0


@pytest.mark.parametrize("chip", ["spinnaker", "loihi2"])
def test_hand_network_on_tick_and_multicast_chips(chip: str) -> None:
    """A tick-synchronised chip (SpiNNaker) and a multicast one (Loihi 2): the same four
    partial sums, the same spikes."""
    snn = _hand_snn()
    hw = load_hardware(chip, {"core.input_axons": 3})
    mapping = compile_network(snn, hw)
    run, _ = assert_same_as_functional(snn, mapping, hw, np.array([[0.0, 0.0, 32.0, 32.0]]))
    assert run.totals()["partial_sum_packets"] == 4
    _check_invariants(run, hw, hw.chip.core.multicast)


def test_partial_sums_leave_after_their_inputs_are_served() -> None:
    snn = _hand_snn()
    hw = load_hardware("loihi", {"core.input_axons": 3})
    mapping = compile_network(snn, hw, placer="baseline")
    run = simulate_hardware(snn, mapping, hw, np.array([[0.0, 0.0, 32.0, 32.0]]),
                            record_packets=True)
    trace = run.streams[0].packets
    cores = list(run.cores)
    p_core = cores.index(next(b.core for b in mapping.blocks if b.group))
    home1 = cores.index(next(b.core for b in mapping.blocks
                             if b.population == "L1" and not b.group and 1 in b.neurons))
    for step in np.unique(trace[:, 0]):
        rows = trace[trace[:, 0] == step]
        served = rows[rows[:, 2] == p_core]
        joined = rows[rows[:, 2] == home1]
        assert len(served) == 2 and len(joined) == 1
        assert joined[0, 3] >= served[:, 6].max() + hw.chip.costs.latency_packet_out_s - 1e-15
        assert joined[0, 7] == 1  # one dendritic accumulate
        assert run.streams[0].step_work_s[int(step)] >= joined[0, 6] - joined[0, 3]


# --- random networks, random limits -------------------------------------------------------

def _check_invariants(run, hw, multicast: bool) -> None:
    totals = run.totals()
    if not multicast:
        assert totals["packets_out"] == totals["packets_in"]
    assert run.core_counts[:, PK_IN].sum() == totals["packets_in"]
    assert run.core_counts[:, PK_OUT].sum() == totals["packets_out"]
    assert run.core_counts[:, PARTIAL].sum() == totals["partial_sum_packets"]
    assert run.population_counts[:, PARTIAL].sum() == totals["partial_sum_packets"]
    energy = run_energy(run, hw)
    assert energy.total_j == total_j(energy.breakdown_j)
    assert energy_per_inference_j(run, hw) == total_j(energy_breakdown_j(run, hw))
    by_core = sum(sum(v[k] for k in ("synapse", "neuron", "spike_packet", "network"))
                  for v in energy.by_core_j.values())
    dynamic = energy.total_j - energy.breakdown_j["static"]
    assert math.isclose(by_core, dynamic, rel_tol=1e-9, abs_tol=1e-18)


# Convolutions first (on feature maps), then dense layers (reading them flat).
layers = st.tuples(
    st.lists(st.tuples(st.just("conv"), st.integers(1, 3), st.just(3), st.just(1), st.just(1)),
             max_size=2),
    st.lists(st.tuples(st.just("dense"), st.integers(2, 7)), min_size=1, max_size=2),
).map(lambda parts: parts[0] + parts[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=layers, side=st.integers(3, 5), seed=st.integers(0, 1000),
       axons=st.integers(4, 16), multicast=st.booleans(), density=st.sampled_from([1.0, 0.6]))
def test_random_networks_split(spec, side, seed, axons, multicast, density) -> None:
    snn = synthetic_snn([("input", (1, side, side)), *spec], seed=seed, density=density)
    hw = load_hardware("loihi", {"core.input_axons": axons, "core.multicast": multicast,
                                 "core.neurons": 16})
    try:
        mapping = compile_network(snn, hw, placer="baseline" if seed % 2 else "optimised", effort=0.05)
    except NeurosimError as exc:  # a one-level split does not fit: said in one line
        assert "partial sums per neuron" in str(exc) or "fits no core" in str(exc)
        event("refused: " + ("split too deep" if "partial sums per neuron" in str(exc) else "other limit"))
        return
    event("split" if mapping.fanin_groups else "not split")
    cores, usage = mapping_usage(snn, hw, mapping)
    assert not usage.violations(hw.chip.core)
    # The partitioner's block records and the recount from the synapses agree.
    for i, core in enumerate(cores):
        (block,) = [b for b in mapping.blocks if b.core == core]
        assert block.usage == usage.record(i)
    images = np.random.default_rng(seed).random((3, side * side)) * 40
    run, ref = assert_same_as_functional(snn, mapping, hw, images)
    assert run.totals()["partial_sum_packets"] == expected_partial_packets(snn, mapping, ref)
    _check_invariants(run, hw, multicast)


@pytest.mark.parametrize("code", ["rate", "fs"])
def test_converted_codes_split(code: str) -> None:
    from engine_nets import converted, random_images, random_model

    model = random_model(3, conv=True, channels=4)
    images = random_images(3, model, 4)
    snn = converted(model, code, images)
    hw = load_hardware("loihi", {"core.input_axons": 20, "core.neurons": 64})
    mapping = compile_network(snn, hw)
    assert mapping.stats["split_neurons"] > 0
    run, ref = assert_same_as_functional(snn, mapping, hw, images)
    assert run.totals()["partial_sum_packets"] == expected_partial_packets(snn, mapping, ref) > 0
    _check_invariants(run, hw, False)



def test_partial_sums_packed_by_row() -> None:
    """Each partial-sum row holds its split population only, in slot order: every
    compartment has a place of its own inside its row's part, and the row's population is
    its neurons'. (The engine accumulates a row as it does a ring slot; the counts above
    hold it to the functional spikes.)"""
    from engine_nets import converted, random_images, random_model

    model = random_model(3, conv=True, channels=4)
    snn = converted(model, "rate", random_images(3, model, 4))
    hw = load_hardware("loihi", {"core.input_axons": 20, "core.neurons": 64})
    tables = build_tables(snn, compile_network(snn, hw), hw)
    assert tables.n_rows > 0 and len(tables.row_base) == tables.n_rows + 1
    rows, neurons = tables.comp_row, tables.comp_neuron
    np.testing.assert_array_equal(tables.row_pop[rows], tables.pop_of[neurons])
    sizes = tables.pop_size[tables.row_pop]
    np.testing.assert_array_equal(np.diff(tables.row_base), sizes)
    local = tables.comp_psum - tables.row_base[rows]
    assert (local >= 0).all() and (local < sizes[rows]).all()
    np.testing.assert_array_equal(local, tables.slot_of[neurons]
                                  - tables.pop_first[tables.pop_of[neurons]])
    assert len(np.unique(tables.comp_psum)) == len(tables.comp_psum)
    per_row = np.bincount(rows, minlength=tables.n_rows)
    run = simulate_hardware(snn, compile_network(snn, hw), hw, random_images(3, model, 4),
                            images_per_stream=2)
    # Counted per row and step: the layers and images receive what the cores sent.
    assert per_row.min() > 0
    sent = run.core_counts[:, PARTIAL].sum()
    assert run.image_counts[:, PARTIAL].sum() == sent == run.population_counts[:, PARTIAL].sum()
    assert run.population_counts[:, PK_IN].sum() == run.core_counts[:, PK_IN].sum()


# --- refusal, files and the CLI -----------------------------------------------------------

def test_refused_without_fanin_split() -> None:
    snn = _hand_snn()
    hw = load_hardware("loihi", {"core.input_axons": 3, "core.fanin_split": False})
    with pytest.raises(NeurosimError) as info:
        compile_network(snn, hw)
    text = str(info.value)
    assert "population 'L1'" in text and "needs 4 input axons (its fan-in)" in text
    assert "more than the 3 of one core" in text
    assert "core.fanin_split" in text and "\n" not in text


def test_hardware_without_the_key_does_not_split(tmp_path) -> None:
    """A file written before the key existed keeps working, and refuses as before."""
    text = open(load_hardware("loihi").file).read()
    lines, skip = [], False
    for line in text.splitlines():  # drop the key and its indented value lines
        skip = line.startswith("  fanin_split:") or (skip and line.startswith("    "))
        if not skip:
            lines.append(line)
    path = tmp_path / "old-loihi.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "fanin_split" not in path.read_text()
    hw = load_hardware(str(path), {"core.input_axons": 3})
    assert hw.chip.core.fanin_split is False
    with pytest.raises(NeurosimError, match="does not split fan-in"):
        compile_network(_hand_snn(), hw)


def test_mapping_file_round_trip(tmp_path) -> None:
    snn = _hand_snn()
    hw = load_hardware("loihi", {"core.input_axons": 3})
    mapping = compile_network(snn, hw)
    path = save_mapping(mapping, hw, tmp_path / "m.yaml")
    back = load_mapping(path, snn, hw)
    assert back.fanin_groups == mapping.fanin_groups
    assert [(b.population, b.group, b.core, b.neurons.tolist()) for b in back.blocks] == \
        [(b.population, b.group, b.core, b.neurons.tolist()) for b in mapping.blocks]
    with pytest.raises(NeurosimError, match="does not split fan-in"):
        load_mapping(path, snn, load_hardware("loihi", {"core.input_axons": 3,
                                                        "core.fanin_split": False}))


def test_cli_compile_simulate_and_refusal(tmp_path, capsys) -> None:
    snn_path = str(save_snn(_hand_snn(), tmp_path / "hand.npz"))
    out = tmp_path / "m.yaml"
    assert main(["compile", snn_path, "--hw", "loihi", "--set", "core.input_axons=3",
                 "--out", str(out)]) == 0
    assert "fan-in split: 2 neurons" in capsys.readouterr().out
    code = main(["compile", snn_path, "--hw", "loihi", "--set", "core.input_axons=3",
                 "--set", "core.fanin_split=false", "--out", str(tmp_path / "n.yaml")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "needs 4 input axons (its fan-in)" in err


# --- the MNIST CNN of issue 12 on the shipped loihi ----------------------------------------

@pytest.mark.slow
def test_mnist_cnn_compiles_and_agrees_on_loihi() -> None:
    from fanin_nets import mnist_cnn_model, mnist_like_images

    from neurosim.coding.rate import Rate
    from neurosim.snn.convert import convert

    images = mnist_like_images(4)
    snn = convert(mnist_cnn_model(), Rate(T=8), images)
    dense = snn.population("r3")
    hw = load_hardware("loihi")
    assert max(np.count_nonzero(p.weight, axis=1).max() for p in snn.incoming("r3")) > 4096
    mapping = compile_network(snn, hw)
    assert mapping.stats["split_neurons"] == dense.size
    assert mapping.stats["cores_used"] <= hw.chip.cores
    _, usage = mapping_usage(snn, hw, mapping)
    assert not usage.violations(hw.chip.core)
    run, ref = assert_same_as_functional(snn, mapping, hw, images[:2])
    assert run.totals()["partial_sum_packets"] == expected_partial_packets(snn, mapping, ref) > 0
    _check_invariants(run, hw, False)
    with pytest.raises(NeurosimError, match="alone needs 6,"):
        compile_network(snn, load_hardware("loihi", {"core.fanin_split": False}))


def test_destination_cores_follow_the_compartments() -> None:
    """The compiler's destinations and the engine's agree, partial cores included."""
    from neurosim.compiler import destination_cores

    snn = synthetic_snn([("input", (1, 4, 4)), ("dense", 5), ("dense", 3)], seed=2)
    hw = load_hardware("loihi", {"core.input_axons": 6, "core.neurons": 4})
    mapping = compile_network(snn, hw)
    assert mapping.fanin_groups
    fan = destination_cores(snn, mapping)
    tables = build_tables(snn, mapping, hw)
    np.testing.assert_array_equal(fan.indptr, tables.dest_ptr)
    np.testing.assert_array_equal(fan.units, tables.cores[tables.dest_core])
    np.testing.assert_array_equal(fan.synapses, tables.dest_nsyn)


def test_fanin_near_the_axon_limit_is_split_when_that_packs_it_better() -> None:
    # 4 channels × 3×3 taps = 36 inputs per neuron, 40 axons per core: two neighbouring
    # neurons together read 48 sources, so unsplit every block holds about one neuron.
    snn = synthetic_snn([("input", (4, 6, 6)), ("conv", 4, 3, 1, 1), ("dense", 3)], seed=1)
    hw = load_hardware("loihi", {"core.input_axons": 40, "core.neurons": 64})
    mapping = compile_network(snn, hw, placer="baseline")
    conv = [p.name for p in snn.populations if p.shape == (4, 6, 6)][-1]
    assert conv in mapping.fanin_groups
    assert mapping.stats["blocks_per_population"][conv] < 144 / 4
    cores, usage = mapping_usage(snn, hw, mapping)
    assert not usage.violations(hw.chip.core)
    for i, core in enumerate(cores):
        (block,) = [b for b in mapping.blocks if b.core == core]
        assert block.usage == usage.record(i)
    images = np.random.default_rng(1).random((2, 144)) * 40
    assert_same_as_functional(snn, mapping, hw, images)
