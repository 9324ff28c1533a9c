"""Shared set-up: one warm-up of the compiled code for the whole session.

The numba functions are cached on disk (``cache=True``), so a warm-up in a fresh process
mostly loads them; in a process that must compile (a changed kernel, a new machine) it
pays the compilation once here instead of inside whichever test runs first, so test
durations (and the ``slow`` marker) measure the tests.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def warm_engine() -> None:
    """Run one tiny network through the engine and both functional simulators, once."""
    from engine_hw import loihi_like, sequential_mapping
    from engine_nets import converted, random_images, random_model

    from neurosim.engine import simulate_hardware
    from neurosim.snn.functional import simulate, simulate_stream

    model = random_model(0, conv=False)
    images = random_images(0, model, n=2)
    hw = loihi_like()
    for code in ("fs", "rate"):
        snn = converted(model, code, images)
        mapping = sequential_mapping(snn, hw, neurons_per_core=8)
        run = simulate_hardware(snn, mapping, hw, images, record_spikes=True, record_packets=True)
        simulate_hardware(snn, mapping, hw, images)
        ref = simulate_stream(snn, images)
        assert run.spike_counts.sum() == len(ref.spike_steps)  # the warm-up ran for real
        simulate(snn, images)
