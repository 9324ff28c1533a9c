"""Neuron models beyond plain IF: leak, reset modes, refractory steps, persistence.

Truth here is independent of neurosim's code: hand-worked Loihi decays, and a scalar
reference written straight from the equations in docs/neuron-models.md / snn.network, run
neuron by neuron; then the engine must fire exactly the functional simulator's spikes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping, sequential_mapping
from engine_nets import converted, random_images, random_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_agreement import assert_same_spikes

from neurosim.dynamics import RESET_NONE, RESET_SUBTRACT, RESET_VALUE, leak_decay, lif_fire
from neurosim.errors import NeurosimError
from neurosim.snn.functional import simulate, simulate_stream
from neurosim.snn.io import load_snn, save_snn
from neurosim.snn.network import SNN


def test_loihi_decay_rounds_the_decayed_value_toward_zero() -> None:
    # 100·(4096−100) = 399 600 = 97·4096 + 2 288: the decayed value 97.56 truncates to 97.
    assert leak_decay(100, 100) == 97
    assert leak_decay(-100, 100) == -97
    assert leak_decay(4095, 1) == 4094        # 4095·4095/4096 = 4094.0002
    assert leak_decay(7, 4096) == 0           # full leak
    assert leak_decay(12345, 0) == 12345      # no leak
    assert leak_decay.py_func(np.array([100, -100]), 100).tolist() == [97, -97]


def test_hand_worked_lif_steps() -> None:
    # v=10 decays to 5 (leak 2048), +6 = 11 ≥ 10: fires; subtract 10 → 1, refractory 2.
    assert lif_fire(10, leak_decay(10, 2048), 0, 6, 10, 10, RESET_SUBTRACT, 0, 2) == (1, 2, True)
    assert lif_fire(10, 5, 0, 6, 10, 10, RESET_VALUE, -3, 0) == (-3, 0, True)
    assert lif_fire(10, 5, 0, 6, 10, 10, RESET_NONE, 0, 1) == (11, 1, True)
    # Refractory: the input is dropped, v held (not decayed), the count goes down.
    assert lif_fire(10, 5, 2, 100, 10, 10, RESET_SUBTRACT, 0, 2) == (10, 1, False)
    assert lif_fire(10, 5, 1, 100, 10, 10, RESET_SUBTRACT, 0, 2) == (10, 0, False)
    # Below threshold: v ← λ(v) + drive.
    assert lif_fire(10, 5, 0, 4, 10, 10, RESET_SUBTRACT, 0, 2) == (9, 0, False)


def _reference_stream(snn: SNN, images: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Every spike (step, neuron) and each image's output, neuron by neuron in plain Python.

    Only for rate-coded networks of dense projections without delays: ``if`` neurons (or a
    current input), read out at the last step of each window.
    """
    encoded = snn.encode(images)
    n_images, window = len(images), snn.window
    state = {p.name: [[0, 0] for _ in range(p.size)] for p in snn.populations}  # (v, r)
    inbox = {p.name: [0] * p.size for p in snn.populations}
    spikes: list[tuple[int, int]] = []
    outputs = np.zeros((n_images, snn.output.size))
    for t in range(snn.stream_steps(n_images) + 1):
        arrived = {name: list(box) for name, box in inbox.items()}
        inbox = {p.name: [0] * p.size for p in snn.populations}
        for pop in snn.populations:
            image, k = divmod(t - pop.offset, window)
            if not 0 <= image < n_images:
                continue
            for i in range(pop.size):
                cell = state[pop.name][i]
                if k == 0 and not pop.persistent:
                    cell[0], cell[1] = 0, 0
                b = int(encoded[image, i]) if pop.role == "input" else int(pop.bias[i])
                v = cell[0]
                if pop.leak:
                    p = v * (4096 - pop.leak)
                    v = (abs(p) // 4096) * (1 if p >= 0 else -1)
                if pop.role == "output":
                    cell[0] = v + arrived[pop.name][i] + b
                    if k == window - 1:
                        outputs[image, i] = cell[0] * pop.unit
                    continue
                if cell[1] > 0:
                    cell[1] -= 1
                    continue
                v += arrived[pop.name][i] + b
                fired = v >= pop.threshold[k]
                if fired:
                    v = {"subtract": v - int(pop.reset[k]), "value": int(pop.reset_value),
                         "none": v}[pop.reset_mode]
                    cell[1] = pop.refractory
                    spikes.append((t, snn.first_neuron(pop.name) + i))
                    for proj in snn.outgoing(pop.name):
                        for j in range(proj.weight.shape[0]):
                            inbox[proj.target][j] += int(proj.weight[j, i] * pop.out_weight[k])
                cell[0] = v
    return sorted(spikes), outputs


def _with_model(snn: SNN, hidden: dict, output: dict | None = None) -> SNN:
    pops = []
    for pop in snn.populations:
        if pop.role == "hidden":
            pop = replace(pop, **hidden)
        elif pop.role == "output" and output:
            pop = replace(pop, **output)
        pops.append(pop)
    return replace(snn, populations=tuple(pops))


MODELS = [
    ({"leak": 0}, None),
    ({"leak": 410}, {"leak": 200}),
    ({"reset_mode": "value", "reset_value": 0}, None),
    ({"reset_mode": "value", "reset_value": -5, "refractory": 2, "leak": 100}, None),
    ({"reset_mode": "none", "refractory": 1}, None),
    ({"refractory": 3}, {"leak": 4096}),
    ({"persistent": True, "leak": 30}, {"persistent": True}),
]


@pytest.mark.parametrize(("hidden", "output"), MODELS)
def test_functional_matches_the_scalar_reference(hidden: dict, output: dict | None) -> None:
    model = random_model(21, conv=False)
    images = random_images(21, model, 3)
    snn = _with_model(converted(model, "rate", images, steps=7), hidden, output)
    spikes, outputs = _reference_stream(snn, images)
    ref = simulate_stream(snn, images)
    assert spikes, "the network must fire for the comparison to mean anything"
    assert sorted(zip(ref.spike_steps.tolist(), ref.spike_neurons.tolist())) == spikes
    np.testing.assert_array_equal(ref.outputs, outputs)


@pytest.mark.parametrize(("hidden", "output"), MODELS)
@pytest.mark.parametrize("shape", ["mlp", "conv", "residual"])
def test_engine_fires_the_functional_spikes(hidden: dict, output: dict | None, shape: str) -> None:
    kw = {"mlp": {"conv": False}, "conv": {"conv": True}, "residual": {"residual": True}}[shape]
    model = random_model(8, **kw)
    images = random_images(8, model, 4)
    snn = _with_model(converted(model, "rate", images, steps=6), hidden, output)
    hw = loihi_like()
    per_stream = 4 if hidden.get("persistent") else 2
    assert_same_spikes(snn, random_mapping(snn, hw, seed=2, neurons_per_core=13), hw, images,
                       images_per_stream=per_stream)
    assert_same_spikes(snn, sequential_mapping(snn, hw, 30), hw, images,
                       images_per_stream=per_stream)


def test_models_change_the_spikes() -> None:
    """Each field does something: the spike trains differ from plain IF's."""
    model = random_model(21, conv=False)
    images = random_images(21, model, 3)
    snn = converted(model, "rate", images, steps=7)
    plain = simulate_stream(snn, images)
    for hidden, output in MODELS[1:]:
        other = simulate_stream(_with_model(snn, hidden, output), images)
        assert (len(other.spike_steps) != len(plain.spike_steps)
                or not np.array_equal(other.spike_neurons, plain.spike_neurons)
                or not np.array_equal(other.outputs, plain.outputs)), hidden


def test_persistent_networks_carry_state_across_images() -> None:
    model = random_model(4, conv=True)
    images = random_images(4, model, 4)
    snn = _with_model(converted(model, "rate", images, steps=5), {"persistent": True},
                      {"persistent": True})
    ref = simulate_stream(snn, images)
    result = simulate(snn, images, record_values=True)
    np.testing.assert_array_equal(result.outputs, ref.outputs)
    assert sum(int(c.sum()) for c in result.spike_counts.values()) == len(ref.spike_steps)
    # The last image alone is not what it is after three others: state crossed images.
    alone = simulate_stream(snn, images[-1:]).outputs[0]
    assert not np.array_equal(alone, ref.outputs[-1])


def test_ideal_networks_leak_exactly() -> None:
    from neurosim.coding.rate import Rate
    from neurosim.snn.convert import convert
    from neurosim.snn.quantise import Precision

    model = random_model(6, conv=False)
    images = random_images(6, model, 3)
    snn = convert(model, Rate(T=6), images, precision=Precision(integer=False))
    assert not snn.integer
    leaky = _with_model(snn, {"leak": 1024}, {"leak": 1024})
    batched = simulate(leaky, images)
    stream = simulate_stream(leaky, images)
    np.testing.assert_allclose(batched.outputs, stream.outputs, rtol=1e-12, atol=1e-12)
    assert not np.allclose(batched.outputs, simulate(snn, images).outputs)


def test_fields_survive_the_snn_file(tmp_path) -> None:
    model = random_model(2, conv=False)
    images = random_images(2, model, 2)
    snn = _with_model(converted(model, "rate", images), MODELS[3][0], {"leak": 7})
    back = load_snn(save_snn(snn, tmp_path / "m.npz"))
    for a, b in zip(snn.populations, back.populations):
        assert (a.leak, a.reset_mode, a.reset_value, a.refractory, a.persistent) == (
            b.leak, b.reset_mode, b.reset_value, b.refractory, b.persistent)
    np.testing.assert_array_equal(simulate_stream(back, images).spike_steps,
                                  simulate_stream(snn, images).spike_steps)


BAD = st.one_of(
    st.fixed_dictionaries({"leak": st.one_of(st.integers(4097, 1 << 40), st.integers(-99, -1),
                                             st.floats(0.5, 9.5), st.just(True))}),
    st.fixed_dictionaries({"reset_mode": st.text(max_size=6).filter(
        lambda s: s not in ("subtract", "value", "none"))}),
    st.fixed_dictionaries({"refractory": st.one_of(st.integers(-9, -1), st.just(1.5))}),
    st.fixed_dictionaries({"reset_value": st.one_of(st.just(0.5), st.integers(1 << 32, 1 << 40))}),
    st.fixed_dictionaries({"persistent": st.one_of(st.just(1), st.just("yes"))}),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=BAD)
def test_bad_fields_in_a_file_are_one_clear_line(tmp_path, bad: dict) -> None:
    import json

    model = random_model(2, conv=False)
    snn = converted(model, "rate", random_images(2, model, 2))
    path = save_snn(snn, tmp_path / "ok.npz")
    arrays = dict(np.load(path))
    header = json.loads(str(arrays["__snn__"]))
    header["populations"][1].update(bad)
    arrays["__snn__"] = np.array(json.dumps(header))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(NeurosimError) as info:
        load_snn(tmp_path / "bad.npz")
    line = str(info.value)
    assert "bad.npz" in line and "population 'ad'" in line and "\n" not in line
    assert next(iter(bad)) in line


@pytest.mark.parametrize(("role", "fields"), [("output", {"refractory": 2}),
                                              ("output", {"reset_mode": "value"})])
def test_fields_where_they_mean_nothing_are_refused(role: str, fields: dict) -> None:
    model = random_model(2, conv=False)
    snn = converted(model, "rate", random_images(2, model, 2))
    pops = [replace(p, **fields) if p.role == role else p for p in snn.populations]
    with pytest.raises(NeurosimError, match=next(iter(fields))):
        replace(snn, populations=tuple(pops))
    fs = converted(model, "ttfs", random_images(2, model, 2))
    with pytest.raises(NeurosimError, match="only 'if'"):
        replace(fs, populations=tuple(replace(p, leak=3) if p.role == "hidden" else p
                                      for p in fs.populations))


neuron_models = st.fixed_dictionaries({
    "leak": st.sampled_from([0, 1, 64, 700, 4096]),
    "reset_mode": st.sampled_from(["subtract", "value", "none"]),
    "reset_value": st.integers(-20, 5),
    "refractory": st.integers(0, 3),
    "persistent": st.booleans(),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), conv=st.booleans(), residual=st.booleans(),
       models=st.lists(neuron_models, min_size=4, max_size=4),
       out_leak=st.sampled_from([0, 100, 4096]), per_core=st.integers(1, 40),
       multicast=st.booleans(), n_images=st.integers(1, 3),
       rule=st.sampled_from(["ge", "gt"]))
def test_hypothesis_leaky_networks_agree(seed: int, conv: bool, residual: bool, models: list,
                                         out_leak: int, per_core: int, multicast: bool,
                                         n_images: int, rule: str) -> None:
    model = random_model(seed, conv=conv, residual=residual)
    images = random_images(seed, model, n_images)
    snn = converted(model, "rate", images, steps=5)
    pops, hidden = [], 0
    for pop in snn.populations:
        if pop.role == "input":  # an IF input integrates the image as its bias
            pop = replace(pop, **models[-1])
        elif pop.role == "hidden":
            pop = replace(pop, **models[hidden % len(models)])
            hidden += 1
        elif pop.role == "output":
            pop = replace(pop, leak=out_leak, persistent=models[0]["persistent"])
        pops.append(pop)
    snn = replace(snn, populations=tuple(pops))
    hw = loihi_like(multicast=multicast)
    hw = loihi_like(multicast=multicast, neurons=max(64, -(-2 * snn.n_neurons // hw.total_cores)),
                    threshold_compare=rule)
    mapping = random_mapping(snn, hw, seed=seed % 97, neurons_per_core=per_core)
    assert_same_spikes(snn, mapping, hw, images, images_per_stream=n_images)
