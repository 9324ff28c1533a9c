"""The pictures of a sweep, drawn from ``sweep.csv`` (PNG files; no backend is chosen).

* ``pareto_energy_latency.png`` — energy per inference against latency; every point
  faint in its code's colour, each code's Pareto-optimal points joined, the points on the
  front of the whole sweep ringed;
* ``pareto_energy_accuracy.png`` — the same against accuracy (higher is better);
* ``edp_vs_core_size.png`` — energy-delay product against ``core.neurons``, one line per
  code variant (the best point at each core size over the other swept values); drawn
  only when the sweep varies ``core.neurons``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from neurosim.coding import code_info
from neurosim.hardware.schema import KEYS_BY_PATH
from neurosim.plots import code_colour, finish, new_axes
from neurosim.sweep.results import OK, read_rows

CORE_SIZE = "core.neurons"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def pareto_front(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Indices of the points no other point beats in both ``x`` and ``y`` (both minimised),
    by increasing ``x``; of equal points only the first is kept."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    front = []
    best_y = np.inf
    for i in np.lexsort((np.arange(len(x)), y, x)):
        if y[i] < best_y:
            front.append(i)
            best_y = y[i]
    return np.asarray(front, dtype=np.int64)


def _number(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else np.nan
    except ValueError:
        return np.nan


def variant(row: dict[str, str]) -> str:
    """``FS K=10``, ``rate T=16``, ``TTFS T=32``: the code and its step parameter."""
    info = code_info(row["code"])
    params = " ".join(f"{k[7:]}={v}" for k, v in row.items() if k.startswith("params.") and v)
    return f"{info.label if info else row['code']} {params}".strip()


def _points(rows: list[dict[str, str]], y_key: str) -> list[dict[str, Any]]:
    points = []
    for r in rows:
        energy, y = _number(r.get("energy_per_inference_j")), _number(r.get(y_key))
        if np.isfinite(energy) and np.isfinite(y):
            points.append({"code": r["code"], "energy": energy, "y": y, "row": r})
    return points


def _pareto_plot(points: list[dict[str, Any]], *, y_scale: float, maximise: bool, ylabel: str,
                 title: str, path: Path, reference: tuple[str, float] | None = None) -> Path:
    """Energy (x, µJ) against a figure (y); every point faint, fronts joined."""
    ax = new_axes(None, (7.0, 4.8))
    sign = -1.0 if maximise else 1.0
    energy = np.array([p["energy"] for p in points]) * 1e6
    y = np.array([p["y"] for p in points]) * y_scale
    codes = [p["code"] for p in points]
    overall = set(pareto_front(energy, sign * y).tolist())
    for code in dict.fromkeys(codes):
        colour = code_colour(code)
        mine = np.array([i for i, c in enumerate(codes) if c == code])
        ax.scatter(energy[mine], y[mine], s=18, color=colour, alpha=0.25, linewidths=0)
        front = mine[pareto_front(energy[mine], sign * y[mine])]
        ax.plot(energy[front], y[front], "o-", color=colour, markersize=5, linewidth=1.5,
                label=f"{code} ({len(mine)} points, {len(front)} on its front)")
    if reference is not None:
        ax.axhline(reference[1] * y_scale, color="grey", linestyle=":", label=reference[0])
    ringed = sorted(overall)
    ax.scatter(energy[ringed], y[ringed], s=90, facecolors="none", edgecolors="black",
               linewidths=1.0, label="front of the whole sweep")
    _scale(ax, "x", energy)
    if not maximise:
        _scale(ax, "y", y)
    ax.set_xlabel("energy per inference (µJ)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    finish(ax, path)
    return path


def _scale(ax: Any, which: str, values: np.ndarray, base: int = 10) -> None:
    """A log axis with plain-number labels (ticks at 1-2-5 for base 10) when the values
    span more than a decade or ``base`` is 2; a linear axis otherwise."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    set_scale = ax.set_xscale if which == "x" else ax.set_yscale
    if base == 2:
        set_scale("log", base=2)
    elif values.min() > 0 and values.max() / values.min() > 10:
        set_scale("log")
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
    else:
        return
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _variant_order(row: dict[str, str]) -> tuple[str, tuple[float, ...]]:
    return row["code"], tuple(_number(v) for k, v in row.items() if k.startswith("params."))


def _edp_plot(rows: list[dict[str, str]], varied_others: bool, path: Path) -> Path:
    best: dict[str, dict[float, float]] = defaultdict(dict)
    code_of: dict[str, str] = {}
    order: dict[str, tuple[str, tuple[float, ...]]] = {}
    for r in rows:
        size, edp = _number(r.get(CORE_SIZE)), _number(r.get("edp_j_s"))
        if np.isfinite(size) and np.isfinite(edp):
            name = variant(r)
            code_of[name] = r["code"]
            order[name] = _variant_order(r)
            best[name][size] = min(edp, best[name].get(size, np.inf))
    ax = new_axes(None, (7.0, 4.8))
    per_code: dict[str, int] = defaultdict(int)
    for name in sorted(best, key=order.__getitem__):
        sizes = sorted(best[name])
        marker = MARKERS[per_code[code_of[name]] % len(MARKERS)]
        per_code[code_of[name]] += 1
        ax.plot(sizes, [best[name][s] for s in sizes], marker=marker, linestyle="-",
                color=code_colour(code_of[name]), label=name)
    _scale(ax, "x", np.array([1.0]), base=2)
    ax.set_yscale("log")
    ax.set_xlabel("neurons per core (core.neurons)")
    ax.set_ylabel("energy-delay product (J·s)")
    ax.set_title("EDP vs core size" + (" (best over the other swept values)" if varied_others
                                       else ""))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    finish(ax, path)
    return path


def plot_sweep(csv_path: str | Path, out_dir: str | Path) -> tuple[list[Path], list[str]]:
    """Draw the sweep's plots from its CSV into ``out_dir``; the paths and any notes."""
    out = Path(out_dir)
    header, rows = read_rows(csv_path)
    rows = [r for r in rows if r.get("status") == OK]
    if not rows:
        return [], ["no plots: no configuration finished without error"]
    paths, notes = [], []
    points = _points(rows, "latency_s")
    if points:
        paths.append(_pareto_plot(points, y_scale=1e3, maximise=False,
                                  ylabel="latency, one image (ms)",
                                  title="Energy vs latency: Pareto fronts by code",
                                  path=out / "pareto_energy_latency.png"))
    points = _points(rows, "snn_accuracy")
    if points:
        paths.append(_pareto_plot(points, y_scale=100.0, maximise=True,
                                  ylabel="test accuracy (%)",
                                  title="Energy vs accuracy: Pareto fronts by code",
                                  path=out / "pareto_energy_accuracy.png",
                                  reference=_ann_accuracy(rows)))
    sizes = {r.get(CORE_SIZE) for r in rows} - {None, ""}
    if len(sizes) > 1:
        paths.append(_edp_plot(rows, _others_vary(header, rows), out / "edp_vs_core_size.png"))
    else:
        notes.append("edp_vs_core_size.png not drawn: the sweep does not vary core.neurons")
    return paths, notes


def _ann_accuracy(rows: list[dict[str, str]]) -> tuple[str, float] | None:
    """The ANN's accuracy, when every point measured it on the same images."""
    values = {(r.get("ann_accuracy"), r.get("accuracy_images")) for r in rows}
    if len(values) != 1:
        return None
    accuracy = _number(next(iter(values))[0])
    return ("ANN", accuracy) if np.isfinite(accuracy) else None


def _others_vary(header: list[str], rows: list[dict[str, str]]) -> bool:
    """Whether a swept value other than the code variant and the core size varies."""
    others = [c for c in header if c in ("placer", "seed") or (c in KEYS_BY_PATH and c != CORE_SIZE)
              or (c.startswith("code.") and c not in ("code.K", "code.T"))]
    return any(len({r.get(c) for r in rows}) > 1 for c in others)
