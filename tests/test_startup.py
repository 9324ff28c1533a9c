"""Start-up: the engine's helpers compile once, and a second process reuses the disk cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Runs a tiny network through the engine (plain and split fan-in), then reports, for every
# numba function of the engine, how many signatures it compiled and its cache misses.
SCRIPT = """
import json, sys
sys.path.insert(0, %r)
import numba
from engine_hw import loihi_like, sequential_mapping
from engine_nets import converted, random_images, random_model
from neurosim.engine import kernel, network, simulate_hardware, synapses, tables
model = random_model(0, conv=False)
images = random_images(0, model, n=2)
hw = loihi_like()
snn = converted(model, "fs", images)
simulate_hardware(snn, sequential_mapping(snn, hw, neurons_per_core=8), hw, images,
                  record_packets=True)
out = {}
for module in (kernel, network, tables, synapses):
    for name, f in vars(module).items():
        if isinstance(f, numba.core.registry.CPUDispatcher) and f.__module__ == module.__name__:
            out[module.__name__ + "." + name] = [len(f.signatures), sum(f.stats.cache_misses.values())]
print(json.dumps(out))
"""


def _run(cache: Path) -> dict[str, list[int]]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", SCRIPT % str(TESTS)], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_compiled_once_then_loaded_from_disk(tmp_path: Path) -> None:
    first = _run(tmp_path)
    compiled = {name: n for name, (n, _) in first.items() if n}
    assert "neurosim.engine.kernel.run_stream" in compiled
    # A fresh cache: each helper the stream reached was compiled for one signature only.
    for name in ("kernel._update_segment", "network.injection_bases", "network._merge",
                 "network._send_unicast", "network._serve", "network.network_pass"):
        assert compiled.get(f"neurosim.engine.{name}") == 1, (name, compiled)
    # A second process with the same cache compiles nothing.
    second = _run(tmp_path)
    assert {name: misses for name, (_, misses) in second.items() if misses} == {}
