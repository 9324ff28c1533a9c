"""A network exported by neurosim, run in SANA-FE: identical spikes, and wall time of both.

neurosim converts a zoo model with the rate code, compiles it for its Loihi model,
writes it with ``neurosim.export_network(..., "sanafe")`` (one test image as input spike
trains) and runs the file in SANA-FE 2.2.9 through ``benchmarks/sanafe_run_net.py`` in
SANA-FE's own venv (GPL; an external program, nothing copied). The two spike sets are
compared (window groups aside), and the wall times of neurosim's engine and of SANA-FE's
``sim`` (detailed timing) are alternated over ``--repeats`` runs, medians reported::

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_sanafe_export.py \\
        --model digits-cnn --T 32 --images 4 --sanafe-python /work/venv-sanafe/bin/python
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neurosim import Rate, export_network, load_hardware, load_workload
from neurosim.compiler import compile_network
from neurosim.engine import build_tables, simulate_hardware
from neurosim.pipeline import placement_traffic, precision_for

RUNNER = Path(__file__).with_name("sanafe_run_net.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="digits-cnn")
    parser.add_argument("--T", type=int, default=32)
    parser.add_argument("--images", type=int, default=4, help="test images, one file each")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sanafe-python", default="/work/venv-sanafe/bin/python")
    args = parser.parse_args()
    hw = load_hardware("loihi")
    workload = load_workload(args.model)
    snn = workload.convert(Rate(T=args.T), precision_for(hw))
    mapping = compile_network(snn, hw, placement_traffic(snn, workload.calibration(100)))
    tables = build_tables(snn, mapping, hw)
    names = [(p.name, i) for p in snn.populations for i in range(p.size)]
    steps = snn.stream_steps(1) + 1
    ours_s, theirs_s, total, same = [], [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.images):
            image = workload.x_test[n]
            path = export_network(snn, Path(tmp) / f"net{n}.yaml", "sanafe", mapping=mapping,
                                  hardware=hw, image=image)
            for _ in range(args.repeats):  # alternate the two simulators
                start = time.perf_counter()
                run = simulate_hardware(snn, mapping, hw, image[None], record_spikes=True,
                                        tables=tables)
                ours_s.append(time.perf_counter() - start)
                done = subprocess.run([args.sanafe_python, str(RUNNER), str(path), str(steps)],
                                      capture_output=True, text=True, check=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                theirs_s.append(float(result["wall_s"]))
            ours = {(*names[i], int(t)) for t, i in run.streams[0].spikes}
            theirs = {(g, i, t) for g, i, t in result["spikes"] if not g.startswith("window:")}
            total += 1
            same += ours == theirs
            print(f"image {n}: neurosim {len(ours):,} spikes, SANA-FE {len(theirs):,}, "
                  f"identical: {ours == theirs}")
    print(f"{args.model}, rate T={args.T}, {snn.n_neurons:,} neurons, {len(mapping.cores_used())} "
          f"cores, {steps} steps per image: identical spikes on {same}/{total} images; wall "
          f"median neurosim engine {statistics.median(ours_s) * 1e3:.2f} ms, SANA-FE sim "
          f"{statistics.median(theirs_s) * 1e3:.2f} ms (over {len(ours_s)} alternated runs)")
    return 0 if same == total else 1


if __name__ == "__main__":
    sys.exit(main())
