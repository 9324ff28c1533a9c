"""A long fuzz run over every input kind: how many bad inputs end in one clean line.

    PYTHONPATH=. python benchmarks/fuzz_inputs.py --cases 2000

The cases come from ``tests/fuzz_cases.py`` (the generators of the CI fuzz suite), each
invalid by construction; each runs in this process through ``neurosim.cli.main`` with a
timeout. Outcomes per kind:

* ``clean``     exit 2, exactly one ``neurosim: error:`` line on stderr, nothing written
* ``traceback`` an exception escaped ``main``
* ``hang``      no answer within ``--timeout`` seconds
* ``accepted``  exit 0 (a silent acceptance)
* ``other``     exit 2 but several lines, or files written

The ``snn-bitflip`` and ``model-bitflip`` kinds flip 1-4 random bits of a good file and
load it: refusing it is ``clean``; loading it is fine only if the result equals the
original (``identical``: the bits fell in bytes nothing reads, such as zip timestamps).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_cases import KINDS, OUT, base_files, flip_bits

from neurosim.cli import main
from neurosim.errors import NeurosimError

OUTCOMES = ("clean", "identical", "traceback", "hang", "accepted", "other")


class Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise Timeout


def run_cli_case(kind: str, seed: int, root: str, timeout: float) -> tuple[str, str]:
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{kind}-"))
    argv: list[str] = []
    try:
        argv = KINDS[kind](random.Random(seed), work, root)
        err, out = io.StringIO(), io.StringIO()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = main(argv)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        text = err.getvalue()
        written = (work / OUT).exists() and any((work / OUT).rglob("*"))
        if code == 0:
            return "accepted", " ".join(argv)
        if (code == 2 and text.count("\n") == 1 and text.startswith("neurosim: error: ")
                and not written):
            return "clean", ""
        return "other", f"{' '.join(argv)} -> exit {code}, {text[:300]!r}, wrote {written}"
    except Timeout:
        return "hang", " ".join(argv)
    except BaseException as exc:  # the bug being looked for
        return "traceback", f"{' '.join(argv)} -> {type(exc).__name__}: {exc}"[:400]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _same_snn(a: object, b: object) -> bool:
    from neurosim.snn.io import save_snn  # noqa: F401 - the fields compared are the file's
    if (a.name, a.code, a.integer, a.params, a.metadata) != (b.name, b.code, b.integer,  # type: ignore[attr-defined]
                                                             b.params, b.metadata):  # type: ignore[attr-defined]
        return False
    for p, q in zip(a.populations, b.populations, strict=True):  # type: ignore[attr-defined]
        if (p.name, p.shape, p.role, p.dynamics, p.offset, p.unit, p.out_unit) != (
                q.name, q.shape, q.role, q.dynamics, q.offset, q.unit, q.out_unit):
            return False
        if not all(np.array_equal(getattr(p, f), getattr(q, f))
                   for f in ("threshold", "reset", "out_weight", "bias")):
            return False
    return all(
        (p.name, p.source, p.target, p.kind, p.stride, p.padding, p.delay)
        == (q.name, q.source, q.target, q.kind, q.stride, q.padding, q.delay)
        and np.array_equal(p.weight, q.weight)
        for p, q in zip(a.projections, b.projections, strict=True))  # type: ignore[attr-defined]


def _same_model(a: object, b: object) -> bool:
    if [type(x) for x in a.layers] != [type(x) for x in b.layers]:  # type: ignore[attr-defined]
        return False
    for x, y in zip(a.layers, b.layers, strict=True):  # type: ignore[attr-defined]
        for name, value in vars(x).items():
            other = getattr(y, name)
            if isinstance(value, np.ndarray):
                if not np.array_equal(value, other):
                    return False
            elif value != other:
                return False
    return True


def run_bitflip_case(kind: str, seed: int, root: str, timeout: float) -> tuple[str, str]:
    from neurosim.ann.io import load_model
    from neurosim.snn.io import load_snn
    files = base_files(root)
    rng = random.Random(seed)
    if kind == "snn-bitflip":
        source, load, same = files[rng.choice(["snn_fs", "snn_rate"])], load_snn, _same_snn
    else:
        source, load, same = files["model"], load_model, _same_model
    work = Path(tempfile.mkdtemp(prefix="fuzz-flip-"))
    try:
        path = work / "flipped.npz"
        path.write_bytes(flip_bits(rng, source.read_bytes()))
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            loaded = load(path)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return ("identical", "") if same(loaded, load(source)) else ("accepted", f"seed {seed}")
    except NeurosimError as exc:
        return ("clean", "") if "\n" not in str(exc) else ("other", str(exc)[:200])
    except Timeout:
        return "hang", f"seed {seed}"
    except BaseException as exc:
        return "traceback", f"seed {seed}: {type(exc).__name__}: {exc}"[:300]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main_cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per kind")
    parser.add_argument("--kinds", default=",".join([*KINDS, "snn-bitflip", "model-bitflip"]))
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a hang")
    parser.add_argument("--seed", type=int, default=0, help="first seed (cases use seed + i)")
    parser.add_argument("--json", default=None, help="also write the counts and examples here")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    root = tempfile.mkdtemp(prefix="fuzz-base-")
    base_files(root)
    report: dict[str, dict] = {}
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}; {args.cases} cases per kind, timeout {args.timeout} s")
    print(f"| kind | cases | {' | '.join(OUTCOMES)} | seconds |")
    print("|---" * (len(OUTCOMES) + 3) + "|")
    for kind in args.kinds.split(","):
        counts: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        start = time.perf_counter()
        for i in range(args.cases):
            runner = run_bitflip_case if kind.endswith("bitflip") else run_cli_case
            outcome, detail = runner(kind, args.seed + i, root, args.timeout)
            counts[outcome] += 1
            if outcome not in ("clean", "identical") and len(examples.setdefault(outcome, [])) < 5:
                examples[outcome].append(detail)
        seconds = time.perf_counter() - start
        report[kind] = {"counts": dict(counts), "examples": examples, "seconds": seconds}
        print(f"| {kind} | {args.cases} | {' | '.join(str(counts[o]) for o in OUTCOMES)} | "
              f"{seconds:.0f} |", flush=True)
        for outcome, lines in examples.items():
            for line in lines:
                print(f"    {outcome}: {line}", file=sys.stderr)
    shutil.rmtree(root, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    bad = sum(report[k]["counts"].get(o, 0) for k in report for o in ("traceback", "hang",
                                                                         "accepted", "other"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main_cli())
