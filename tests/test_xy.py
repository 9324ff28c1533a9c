"""One XY route: the kernel's per-router actions follow exactly the compiler's XY paths."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.compiler.route import multicast_tree_links, xy_path
from neurosim.compiler.xy import STEP_X, STEP_Y
from neurosim.engine.kernel import DELIVER, _actions, _unicast_actions

SIZE_X, SIZE_Y = 6, 5
tiles = st.integers(0, SIZE_X * SIZE_Y - 1)


def _walk(src: int, dests: list[int]) -> tuple[set, set]:
    """Follow the kernel's actions from ``src``: the links crossed and the tiles delivered to."""
    tile_x = np.arange(SIZE_X * SIZE_Y) % SIZE_X
    tile_y = np.arange(SIZE_X * SIZE_Y) // SIZE_X
    dest = np.array(dests, dtype=np.int64)
    links, delivered, todo = set(), set(), [src]
    while todo:
        tile = todo.pop()
        bits = _actions.py_func(0, len(dest), tile, src, dest, tile_x, tile_y)
        if bits & DELIVER:
            delivered.add(tile)
        for d in range(4):
            if bits & (1 << d):
                nxt = tile + STEP_X[d] + SIZE_X * STEP_Y[d]
                links.add(((tile_x[tile], tile_y[tile]), (tile_x[nxt], tile_y[nxt])))
                todo.append(nxt)
    return links, delivered


def _xy(tile: int) -> tuple[int, int]:
    return tile % SIZE_X, tile // SIZE_X


def test_hand_worked_path() -> None:
    assert xy_path((0, 0), (2, 1)) == [((0, 0), (1, 0)), ((1, 0), (2, 0)), ((2, 0), (2, 1))]


@settings(max_examples=200, deadline=None)
@given(src=tiles, dests=st.lists(tiles, min_size=1, max_size=6, unique=True))
def test_kernel_tree_is_the_union_of_xy_paths(src: int, dests: list[int]) -> None:
    links, delivered = _walk(src, dests)
    assert links == multicast_tree_links(_xy(src), [_xy(d) for d in dests])
    assert delivered == set(dests)


@settings(max_examples=200, deadline=None)
@given(src=tiles, dest=tiles)
def test_unicast_steps_follow_the_xy_path(src: int, dest: int) -> None:
    tile_x = np.arange(SIZE_X * SIZE_Y) % SIZE_X
    tile_y = np.arange(SIZE_X * SIZE_Y) // SIZE_X
    tile, links = src, []
    while not (bits := _unicast_actions.py_func(tile, dest, tile_x, tile_y)) & DELIVER:
        d = int(np.log2(bits & 15))
        nxt = tile + STEP_X[d] + SIZE_X * STEP_Y[d]
        links.append((_xy(tile), _xy(nxt)))
        tile = nxt
    assert tile == dest
    assert links == xy_path(_xy(src), _xy(dest))
