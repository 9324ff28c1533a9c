"""Element access without numba's negative-index fix-up, for the engine's hottest loops.

numba reads ``a[i]`` for a signed ``i`` as ``a[i + len(a)]`` when ``i < 0`` (Python's
negative indices): three more instructions and a load of ``len(a)`` at every access,
even where ``i`` can never be negative. In the network's per-hop and per-packet loops
the indices are entry rows, packet numbers and list bounds, all ``≥ 0`` by construction,
and those fix-ups were a quarter of the instructions. :func:`at` and :func:`put` are
``a[i]`` and ``a[i] = v`` on a 1-d array without it; like numba's own indexing (the
engine does not enable ``boundscheck``), they do not check ``i < len(a)`` either.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.arrayobj import load_item, store_item


def _pointer(context, builder, aryty, idxty, array, index):
    ary = context.make_array(aryty)(context, builder, array)
    idx = context.cast(builder, index, idxty, types.intp)
    return cgutils.get_item_pointer(context, builder, aryty, ary, [idx], wraparound=False)


@intrinsic
def at(typingctx, array, index):  # pragma: no cover - compiled
    """``array[index]`` for a 1-d ``array`` and ``0 ≤ index < len(array)``."""
    if not (isinstance(array, types.Array) and array.ndim == 1
            and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        aryty, idxty = sig.args
        ptr = _pointer(context, builder, aryty, idxty, args[0], args[1])
        return load_item(context, builder, aryty, ptr)

    return array.dtype(array, index), codegen


@intrinsic
def put(typingctx, array, index, value):  # pragma: no cover - compiled
    """``array[index] = value`` for a 1-d ``array`` and ``0 ≤ index < len(array)``."""
    if not (isinstance(array, types.Array) and array.ndim == 1
            and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        aryty, idxty, valty = sig.args
        ptr = _pointer(context, builder, aryty, idxty, args[0], args[1])
        store_item(context, builder, aryty, context.cast(builder, args[2], valty, aryty.dtype),
                   ptr)
        return context.get_dummy_value()

    return types.none(array, index, value), codegen
