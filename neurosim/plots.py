"""The pictures of a comparison, for a notebook or for files.

Every function takes plain data (summary blocks as in DESIGN.md, arrays of counts), draws
into ``ax`` (a new figure of its own when ``ax`` is None), writes the figure to ``path``
when one is given, and returns the axes. Nothing here chooses a matplotlib backend: the
figures drawn for files are ``matplotlib.figure.Figure`` objects outside pyplot, so a
notebook's inline backend stays as it was and no screen is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neurosim.coding import code_info
from neurosim.fileio import save_figure

BREAKDOWN = ("synapse", "neuron", "spike_packet", "network", "static")


def row_label(block: dict[str, Any]) -> str:
    """``FS K=8``, ``rate T=32``: a summary row's code and step option, from the registry."""
    info = code_info(block["code"])
    if info is None:
        return str(block["code"])
    return info.row_label(block.get("params", {}))


def code_colour(code: str) -> str:
    """The code's colour in every plot (its registry entry), grey if unknown."""
    info = code_info(code)
    return info.colour if info is not None else "#444444"


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new figure of ``figsize`` inches outside pyplot."""
    if ax is not None:
        return ax
    return Figure(figsize=figsize).add_subplot()


def finish(ax: Axes, path: str | Path | None) -> Axes:
    """Write the figure of ``ax`` to ``path`` (PNG), if given; return ``ax``."""
    if path is not None:
        path = Path(path)
        figure = ax.get_figure()
        figure.tight_layout()
        save_figure(figure, path)
    return ax


def energy_breakdown(blocks: Sequence[dict[str, Any]], *, ax: Axes | None = None,
                     path: str | Path | None = None) -> Axes:
    """Stacked bars of energy per inference by category, one bar per code."""
    labels = [row_label(b) for b in blocks]
    ax = new_axes(ax, (max(6.0, 1.1 * len(blocks) + 2), 4.2))
    bottom = np.zeros(len(blocks))
    for category in BREAKDOWN:
        values = np.array([b["energy_breakdown_j"][category] for b in blocks]) * 1e6
        ax.bar(labels, values, bottom=bottom, label=category.replace("_", "/"))
        bottom += values
    ax.set_ylabel("energy per inference (µJ)")
    ax.set_title("Where the energy goes")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=30)
    return finish(ax, path)


def _accuracy_against(blocks: Sequence[dict[str, Any]], key: str, scale: float, xlabel: str,
                      title: str, ax: Axes | None, path: str | Path | None) -> Axes:
    ax = new_axes(ax, (6.4, 4.4))
    # A code with several rows (a T sweep) is a curve along its step option; one row, a point.
    for code in dict.fromkeys(b["code"] for b in blocks):
        info = code_info(code)
        mine = [b for b in blocks if b["code"] == code]
        step = info.step_option if info is not None else ""
        mine.sort(key=lambda b: b.get("params", {}).get(step, 0))
        xs = [b[key] * scale for b in mine]
        ys = [100 * b["snn_accuracy"] for b in mine]
        marker = info.marker if info is not None else "o"
        if len(mine) > 1:
            label = f"{info.label if info else code} ({step} sweep)"
            ax.plot(xs, ys, f"{marker}-", color=code_colour(code), label=label)
            for b, x, y in zip(mine, xs, ys):
                ax.annotate(f"{step}={b['params'].get(step)}", (x, y), textcoords="offset points",
                            xytext=(4, -10), fontsize=7)
        else:
            ax.plot(xs, ys, marker, markersize=12 if marker == "*" else 8, color=code_colour(code),
                    label=row_label(mine[0]))
    if blocks:
        ax.axhline(100 * blocks[0]["ann_accuracy"], color="grey", linestyle=":", label="ANN")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return finish(ax, path)


def accuracy_vs_energy(blocks: Sequence[dict[str, Any]], *, ax: Axes | None = None,
                       path: str | Path | None = None) -> Axes:
    """Accuracy against energy per inference: the rate code's T sweep as a curve, FS and
    TTFS as points, the ANN as a line."""
    return _accuracy_against(blocks, "energy_per_inference_j", 1e6, "energy per inference (µJ)",
                             "Accuracy against energy", ax, path)


def accuracy_vs_latency(blocks: Sequence[dict[str, Any]], *, ax: Axes | None = None,
                        path: str | Path | None = None) -> Axes:
    """Accuracy against latency per image, drawn as :func:`accuracy_vs_energy`."""
    return _accuracy_against(blocks, "latency_s", 1e6, "latency per image (µs)",
                             "Accuracy against latency", ax, path)


def core_heatmap(tile_x: np.ndarray, tile_y: np.ndarray, slot: np.ndarray, values: np.ndarray,
                 cores_per_tile: int, title: str, label: str, *, ax: Axes | None = None,
                 path: str | Path | None = None) -> Axes:
    """Per-core values over the mesh: each tile is a small grid of its cores.

    ``tile_x``, ``tile_y`` (board-wide tile coordinates), ``slot`` (core within the tile)
    and ``values`` have one entry per core in use; the picture spans their tiles.
    """
    side = int(np.ceil(np.sqrt(cores_per_tile)))
    x0, y0 = int(tile_x.min()), int(tile_y.min())
    width, height = int(tile_x.max()) - x0 + 1, int(tile_y.max()) - y0 + 1
    grid = np.full((height * side, width * side), np.nan)
    for tx, ty, sl, value in zip(tile_x, tile_y, slot, np.asarray(values, dtype=np.float64)):
        sy, sx = divmod(int(sl), side)
        grid[(int(ty) - y0) * side + sy, (int(tx) - x0) * side + sx] = value
    ax = new_axes(ax, (max(5.0, 0.9 * width * side + 2.5), max(3.2, 0.9 * height * side + 1.5)))
    image = ax.imshow(grid, cmap="viridis", origin="lower")
    for k in range(1, width):
        ax.axvline(k * side - 0.5, color="white", linewidth=2)
    for k in range(1, height):
        ax.axhline(k * side - 0.5, color="white", linewidth=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"tiles ({x0}…{x0 + width - 1}) × ({y0}…{y0 + height - 1}); "
                  f"{cores_per_tile} cores per tile; blank: no core in use")
    ax.set_title(title)
    ax.get_figure().colorbar(image, ax=ax, label=label)
    return finish(ax, path)


def spike_raster(steps: np.ndarray, rows: np.ndarray, row_labels: Sequence[tuple[int, str]],
                 window: int, title: str, *, ax: Axes | None = None,
                 path: str | Path | None = None) -> Axes:
    """Spikes as dots (step, row); ``row_labels`` marks where each layer's rows begin."""
    ax = new_axes(ax, (8.0, 4.6))
    ax.scatter(steps, rows, s=6, marker="|", color="black")
    top = max((r for r, _ in row_labels), default=0)
    for start, name in row_labels:
        ax.axhline(start - 0.5, color="grey", linewidth=0.5)
        ax.text(-0.01, start, name, transform=ax.get_yaxis_transform(), ha="right", fontsize=7)
    if len(steps):
        for boundary in range(0, int(steps.max()) + window, window):
            ax.axvline(boundary - 0.5, color="tab:blue", linewidth=0.4, alpha=0.5)
    ax.set_yticks([])
    ax.set_ylim(-1, max(top + 12, int(rows.max(initial=0)) + 1))
    ax.set_xlabel(f"step (blue lines: windows of {window} steps)")
    ax.set_title(title)
    return finish(ax, path)
