"""Running a sweep: the points not yet done, on an executor, each row written as it lands.

:func:`run_sweep` opens ``DIR/sweep.csv`` (:mod:`neurosim.sweep.results`), leaves out the
points whose key is already there with status ``ok``, opens the executor
(:mod:`neurosim.executors`) and submits the rest. Each worker runs :func:`run_point`,
which never raises: a failing configuration comes back as an error row and the others go
on. The parent writes each row as its point finishes, then draws the plots.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurosim.errors import NeurosimError
from neurosim.executors import open_executor
from neurosim.pipeline import Configuration, run_configuration
from neurosim.report.table import Table, flatten
from neurosim.sweep.lock import sweep_lock
from neurosim.sweep.results import (
    CSV_NAME,
    ERROR,
    OK,
    STATUS_COLUMNS,
    ResultsFile,
    read_rows,
)
from neurosim.sweep.spec import Sweep, SweepPoint
from neurosim.workload import Workload, load_workload


@dataclass
class SweepOutcome:
    """What a call of :func:`run_sweep` did, and every row of its ``sweep.csv``.

    ``table`` holds one row per point (those run now and those found done), failed ones
    included with status ``error``; ``errors`` lists each failed point's label and error.
    """

    total: int
    skipped: int
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    csv: Path = Path(CSV_NAME)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: Table = field(default_factory=lambda: Table((), ()))
    errors: list[str] = field(default_factory=list)

    def to_frame(self) -> Any:
        """The rows as a pandas DataFrame (numbers as the CSV holds them, as text)."""
        return self.table.to_frame()


@functools.lru_cache(maxsize=2)
def _workload(model: str, dataset: str | None) -> Workload:
    return load_workload(model, dataset)


FIGURES = ("energy_per_inference_j", "latency_s")
"""Summary figures a point must have to count as ``ok``."""


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def run_point(configuration: Configuration) -> dict[str, Any]:
    """One point on a worker: ``{"status", "seconds", "summary" | "error"}``, never raising.

    A :class:`NeurosimError` keeps its message; any other exception its type and message.
    """
    start = time.perf_counter()
    try:
        workload = _workload(configuration.model, configuration.dataset)
        summary = run_configuration(configuration, workload=workload).summary
        missing = [k for k in FIGURES if not _finite(summary.get(k))]
        if missing:  # an "ok" row without its figures would be a silent failure
            raise NeurosimError(f"the run gave no finite {', '.join(missing)}",
                                fix="check the hardware costs for values out of range")
        outcome: dict[str, Any] = {"status": OK, "summary": summary}
    except NeurosimError as exc:
        outcome = {"status": ERROR, "error": str(exc)}
    except Exception as exc:
        outcome = {"status": ERROR, "error": f"{type(exc).__name__}: {exc}"}
    outcome["seconds"] = time.perf_counter() - start
    return outcome


def result_row(point: SweepPoint, outcome: dict[str, Any]) -> dict[str, Any]:
    """The CSV row of a finished point: status, the sweep's values, the summary flattened."""
    row: dict[str, Any] = {"hash": point.key, "status": outcome["status"],
                           "error": outcome.get("error", ""),
                           "seconds": round(float(outcome.get("seconds", 0.0)), 3)}
    row.update(point.values)
    for key, value in flatten(outcome.get("summary", {})).items():
        row.setdefault(key, value)  # code and placer are the sweep's values already
    return row


def run_sweep(sweep: Sweep, out_dir: str | Path | None = None, *, executor: str = "local",
              workers: int | None = None, scheduler: str | None = None,
              progress: Callable[[str], None] | None = None, plot: bool = True) -> SweepOutcome:
    """Run the points of ``sweep`` not yet in ``out_dir/sweep.csv``; draw the plots.

    ``progress`` hears one line when the run starts and one per finished point. If it
    (or anything else) raises, pending points are cancelled and the rows written so far
    stay: a rerun computes only what is missing. Without ``out_dir`` the results go to a
    new temporary directory (its path is ``outcome.csv.parent``).
    """
    say = progress or (lambda line: None)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="neurosim-sweep-"))
    with sweep_lock(out):
        return _run_locked(sweep, out, executor, workers, scheduler, say, plot)


def _run_locked(sweep: Sweep, out: Path, executor: str, workers: int | None,
                scheduler: str | None, say: Callable[[str], None], plot: bool) -> SweepOutcome:
    """:func:`run_sweep` once the directory's lock is held."""
    results = ResultsFile(out / CSV_NAME, sweep.columns)
    done = results.done()
    todo = [p for p in sweep.points if p.key not in done]
    outcome = SweepOutcome(total=len(sweep.points), skipped=len(sweep.points) - len(todo),
                           csv=results.path)
    start = time.perf_counter()
    if todo:
        with open_executor(executor, workers=workers, scheduler=scheduler) as pool:
            already = f" ({outcome.skipped} done already)" if outcome.skipped else ""
            say(f"sweep: {len(sweep.points)} configurations{already}; "
                f"running {len(todo)} on a {pool.description}")
            futures = {pool.executor.submit(run_point, p.configuration): p for p in todo}
            width = len(str(len(todo)))
            for n, future in enumerate(cf.as_completed(futures), start=1):
                point = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker itself died (killed, out of memory)
                    result = {"status": ERROR, "error": f"{type(exc).__name__}: {exc}"}
                results.record(result_row(point, result))
                if result["status"] == OK:
                    outcome.ok += 1
                    state = "ok"
                else:
                    outcome.failed += 1
                    state = f"error: {result['error']}"
                seconds = float(result.get("seconds", 0.0))
                say(f"[{n:{width}d}/{len(todo)}] {point.label(sweep.varied)}: {state} "
                    f"({seconds:.1f} s)")
    outcome.seconds = time.perf_counter() - start
    header, rows = read_rows(results.path)
    mine = {p.key: p for p in sweep.points}
    # A point that failed and then succeeded on a rerun has two rows: its latest counts.
    rows = list({r["hash"]: r for r in rows if r.get("hash") in mine}.values())
    outcome.table = Table.from_rows(header, [[r.get(c, "") for c in header] for r in rows])
    outcome.errors = [f"{mine[r['hash']].label(sweep.varied)}: {r['error']}" for r in rows
                      if r.get("status") == ERROR]
    if plot:
        from neurosim.sweep.plots import plot_sweep
        outcome.plots, outcome.notes = plot_sweep(results.path, out)
    return outcome


__all__ = ["STATUS_COLUMNS", "SweepOutcome", "result_row", "run_point", "run_sweep"]
