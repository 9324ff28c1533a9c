"""Scale benchmark: convert, functional simulation, compile and engine from 10 k to 10 M neurons.

    PYTHONPATH=. python benchmarks/bench_scale.py point NAME --json OUT.json [--images N]
        [--engine-images M] [--code fs|rate] [--hw FILE] [--placer-time S] [--skip STAGE ...]
    PYTHONPATH=. python benchmarks/bench_scale.py series --out DIR [--names A B ...]
    PYTHONPATH=. python benchmarks/bench_scale.py fit DIR        # table + growth exponents

A *point* is one network, run in a fresh process, stage by stage: generate the synthetic
ResNet (the zoo's seeded weights and BatchNorm calibration, :mod:`neurosim.ann.zoo.synthetic`),
convert it (FS K=10 by default, on the data set's calibration images), run the functional
simulator on ``--images`` synthetic test images (images/s), compile onto the Pohoiki
Springs board (``hw_models/loihi-pohoiki-springs.yaml``, 768 Loihi chips; uniform spike
estimate, optimising placer with its default time budget) and run the event engine on
``--engine-images`` images. After each stage the process's peak resident memory so far
(``getrusage``) is recorded; ``series`` runs each point under ``/usr/bin/time -v`` (its
maximum resident set is the point's peak) and, for points above 1 M neurons, under
``flock /tmp/bigmem.lock`` as the project's rules ask.

``fit`` fits ``log(y) = a + b·log(x)`` by least squares over the points, with ``x`` the
neurons (and, for compile, also the synapses), and prints the exponent ``b`` of each
measure. The numba functions are compiled (or loaded from the on-disk cache) by a warm-up
before any timing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine  # noqa: E402

POHOIKI = ROOT / "hw_models" / "loihi-pohoiki-springs.yaml"
BIG = 1_000_000  # neurons above which a point runs under the shared memory lock
ENGINE_MAX = 1_000_000  # neurons above which series skips the engine unless --engine-all

# Synthetic sizes between the zoo models: (builder, arguments) of neurosim.ann.zoo.synthetic.
EXTRA = {
    "resnet8-w4-cifar": ("resnet_cifar", {"blocks": 1, "width": 4}),
    "resnet14-w8-cifar": ("resnet_cifar", {"blocks": 2, "width": 8}),
    "resnet18-112": ("resnet_imagenet", {"blocks": (2, 2, 2, 2), "bottleneck": False,
                                         "image": 112}),
    "resnet50-160": ("resnet_imagenet", {"blocks": (3, 4, 6, 3), "bottleneck": True,
                                         "image": 160}),
}
SERIES = ["resnet8-w4-cifar", "resnet14-w8-cifar", "resnet20-synthetic", "resnet18-112",
          "resnet18-synthetic", "resnet50-160", "resnet50-synthetic"]
CALIBRATION_IMAGES = {"small": 64, "large": 8}


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def _network(name: str):
    """(model, calibration images, test images) of a zoo name or an EXTRA size."""
    from neurosim.ann.model import Model, fold_batchnorm
    from neurosim.ann.zoo import synthetic
    from neurosim.datasets import load_dataset

    if name in synthetic.SPECS:
        data = load_dataset(f"synthetic:{name}")
        model = synthetic.load_synthetic_model(name)
        return model, data.x_train, data.x_test
    builder, kwargs = EXTRA[name]
    graph = getattr(synthetic, builder)(**kwargs)
    shape = graph.layers[0].shape
    n_cal = CALIBRATION_IMAGES["small" if shape[1] <= 64 else "large"]
    images = synthetic.synthetic_images(shape, n_cal, seed=11)
    model = fold_batchnorm(Model(name, tuple(synthetic.calibrate(graph, images, seed=0))))
    return model, images, synthetic.synthetic_images(shape, 64, seed=12)


def _warm_up() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from hw_factory import make_hardware
    from snn_factory import synthetic_snn

    from neurosim.compiler import compile_network
    from neurosim.engine import simulate_hardware
    from neurosim.snn.functional import simulate

    snn = synthetic_snn([("input", (1, 6, 6)), ("conv", 2, 3, 1, 1), ("dense", 3)])
    hw = make_hardware(**{"core.neurons": 8})
    mapping = compile_network(snn, hw)
    x = np.random.default_rng(0).random((2, 36)) * 40
    simulate(snn, x)
    simulate_hardware(snn, mapping, hw, x)


def run_point(args: argparse.Namespace) -> dict:
    from neurosim.coding.fs import FS
    from neurosim.coding.rate import Rate
    from neurosim.compiler import compile_network
    from neurosim.engine import simulate_hardware
    from neurosim.hardware import load_hardware
    from neurosim.snn.convert import convert
    from neurosim.snn.functional import simulate

    _warm_up()
    out: dict = {"name": args.name, "code": args.code, "machine": machine(),
                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "load_average": list(np.round(np.array(_loadavg()), 2))}

    def save() -> None:
        Path(args.json).write_text(json.dumps(out, indent=1))

    t = time.perf_counter()
    model, calibration, test = _network(args.name)
    out["generate_s"] = time.perf_counter() - t
    code = FS(K=10) if args.code == "fs" else Rate(T=32)
    t = time.perf_counter()
    snn = convert(model, code, calibration)
    out.update(convert_s=time.perf_counter() - t, neurons=int(snn.n_neurons),
               synapses=int(snn.synapse_count()), peak_gb_after_convert=_peak_gb())
    del calibration
    save()
    if "functional" not in args.skip:
        x = test[:args.images]
        t = time.perf_counter()
        result = simulate(snn, x)
        elapsed = time.perf_counter() - t
        out.update(functional_images=len(x), functional_s=elapsed,
                   functional_images_per_s=len(x) / elapsed,
                   spikes_per_neuron=result.spikes_per_neuron(),
                   peak_gb_after_functional=_peak_gb())
        save()
    hw = load_hardware(args.hw)
    mapping = None
    if "compile" not in args.skip:
        t, cpu = time.perf_counter(), time.process_time()
        mapping = compile_network(snn, hw, None, placer_time_s=args.placer_time)
        st = mapping.stats
        # CPU time of all the process's threads: less sensitive to a shared machine's load.
        out.update(compile_s=time.perf_counter() - t, compile_cpu_s=time.process_time() - cpu,
                   blocks=st["blocks"],
                   cores_used=st["cores_used"], chips_used=st["chips_used"],
                   packets_hops=st["cost"], placer_run=st.get("placer_run"),
                   peak_gb_after_compile=_peak_gb())
        save()
    if mapping is not None and "engine" not in args.skip and args.engine_images > 0:
        x = test[:args.engine_images].reshape(args.engine_images, -1)
        t = time.perf_counter()
        run = simulate_hardware(snn, mapping, hw, x)
        elapsed = time.perf_counter() - t
        totals = run.totals()
        out.update(engine_images=args.engine_images, engine_s=elapsed,
                   engine_s_per_image=elapsed / args.engine_images,
                   engine_synaptic_events=int(totals.get("synaptic_events", 0)),
                   engine_packets=int(totals.get("packets_out", 0)),
                   peak_gb_after_engine=_peak_gb())
        save()
    return out


def _loadavg() -> tuple[float, float, float]:
    import os

    return os.getloadavg()


def _size(name: str) -> int:
    from neurosim.ann.summary import summarize
    from neurosim.ann.zoo import synthetic

    if name in synthetic.SPECS:
        model = synthetic.architecture(name)
    else:
        from neurosim.ann.model import Model

        builder, kwargs = EXTRA[name]
        model = Model(name, tuple(getattr(synthetic, builder)(**kwargs).layers))
    return sum(r.neurons for r in summarize(model))


def run_series(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        big = _size(name) > BIG
        images = args.images if not big else max(1, args.images // 8)
        cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "point", name,
               "--json", str(out / f"{name}.json"), "--images", str(images),
               "--engine-images", str(1 if big else args.engine_images),
               "--code", args.code]
        if _size(name) > ENGINE_MAX and not args.engine_all:
            cmd += ["--skip", "engine"]
        if big:
            cmd = ["flock", "/tmp/bigmem.lock", *cmd]
        print(f"{name}: {' '.join(cmd)}", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                              env={"PYTHONPATH": str(ROOT), **_env()})
        peak = next((int(line.split(":")[1]) / 1e6 for line in proc.stderr.splitlines()
                     if "Maximum resident set size" in line), None)
        wall = next((line.split(": ", 1)[1] for line in proc.stderr.splitlines()
                     if "Elapsed (wall clock)" in line), None)
        path = out / f"{name}.json"
        record = json.loads(path.read_text()) if path.exists() else {"name": name}
        record.update(peak_gb=peak, wall=wall, returncode=proc.returncode)
        if proc.returncode:
            record["error"] = proc.stderr.strip().splitlines()[-25:]
        path.write_text(json.dumps(record, indent=1))
        print(json.dumps({k: record.get(k) for k in ("neurons", "synapses", "convert_s",
                          "functional_images_per_s", "compile_s", "engine_s_per_image",
                          "peak_gb", "returncode")}), flush=True)


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


MEASURES = [("convert_s", "convert s"), ("functional_images_per_s", "functional img/s"),
            ("compile_s", "compile s"), ("compile_cpu_s", "compile CPU s"),
            ("engine_s_per_image", "engine s/img"),
            ("peak_gb", "peak GB")]


def exponent(x: list[float], y: list[float]) -> float:
    """The least-squares slope ``b`` of ``log y = a + b log x``."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(lx, ly, 1)[0])


def run_fit(args: argparse.Namespace) -> None:
    records = [json.loads(p.read_text()) for p in sorted(Path(args.dir).glob("*.json"))]
    records = sorted((r for r in records if "neurons" in r), key=lambda r: r["neurons"])
    head = f"| network | neurons | synapses | {' | '.join(label for _, label in MEASURES)} | blocks |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in records:
        cells = [f"{r[k]:.3g}" if isinstance(r.get(k), float) else "–" for k, _ in MEASURES]
        print(f"| {r['name']} | {r['neurons']:,} | {r['synapses']:,} | {' | '.join(cells)} | "
              f"{r.get('blocks', '–')} |")
    print()
    for key, label in MEASURES:
        pts = [(r["neurons"], r["synapses"], r[key]) for r in records if isinstance(r.get(key), float)]
        if len(pts) >= 2:
            n, s, y = zip(*pts)
            print(f"{label}: exponent {exponent(n, y):.2f} in neurons, {exponent(s, y):.2f} in "
                  f"synapses ({len(pts)} points)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    point = sub.add_parser("point")
    point.add_argument("name")
    point.add_argument("--json", required=True)
    point.add_argument("--images", type=int, default=16)
    point.add_argument("--engine-images", type=int, default=2)
    point.add_argument("--code", choices=("fs", "rate"), default="fs")
    point.add_argument("--hw", default=str(POHOIKI))
    point.add_argument("--placer-time", type=float, default=60.0)
    point.add_argument("--skip", nargs="*", default=[], choices=("functional", "compile", "engine"))
    series = sub.add_parser("series")
    series.add_argument("--out", required=True)
    series.add_argument("--names", nargs="*", default=SERIES)
    series.add_argument("--images", type=int, default=16)
    series.add_argument("--engine-images", type=int, default=2)
    series.add_argument("--code", choices=("fs", "rate"), default="fs")
    series.add_argument("--engine-all", action="store_true",
                        help=f"run the engine above {ENGINE_MAX:,} neurons too")
    fit = sub.add_parser("fit")
    fit.add_argument("dir")
    args = parser.parse_args()
    if args.action == "point":
        print(json.dumps(run_point(args), indent=1))
    elif args.action == "series":
        run_series(args)
    else:
        run_fit(args)


if __name__ == "__main__":
    main()
