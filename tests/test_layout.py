"""The folder layout is the dependency graph: no import cycle, no stage importing a later one.

Walks every module of ``neurosim/`` with :mod:`ast` (imports inside functions included),
builds the graph of imports between neurosim modules, and checks it against the order of
the pipeline's stages. Imports under ``if TYPE_CHECKING:`` are left out: they name types
for annotations and never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neurosim.version

PACKAGE = Path(neurosim.version.__file__).resolve().parent

# The pipeline's stages in order; a module may import its own stage and earlier ones only.
# Each entry: stage name, module prefixes (a prefix "neurosim.x" covers "neurosim.x.*").
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("neurosim.errors", "neurosim.plain", "neurosim.stats", "neurosim.dynamics",
              "neurosim.compare_defaults",
              "neurosim.version", "neurosim.fileio", "neurosim.limits", "neurosim.npzio",
              "neurosim.options", "neurosim.yamlio", "neurosim.threads")),
    ("data", ("neurosim.datasets",)),
    ("ann", ("neurosim.ann",)),
    ("coding", ("neurosim.coding",)),
    ("snn", ("neurosim.snn", "neurosim.workload", "neurosim.choose_k", "neurosim.choose_t")),
    ("hardware", ("neurosim.hardware",)),
    ("compiler", ("neurosim.compiler",)),
    ("interop", ("neurosim.interop",)),
    ("engine", ("neurosim.engine",)),
    ("energy", ("neurosim.energy",)),
    ("report", ("neurosim.report", "neurosim.plots")),
    ("jobs", ("neurosim.pipeline", "neurosim.compare", "neurosim.api", "neurosim.sweep",
              "neurosim.executors")),
    ("cli", ("neurosim.commands", "neurosim.cli", "neurosim.__main__")),
    ("facade", ("neurosim",)),   # neurosim/__init__.py: re-exports for notebooks
]

# Imports deferred into a function that close a cycle, each with why it stays.
DEFERRED_CYCLES = {
    # Hardware.with_values re-reads its file through the loader, which builds Hardware.
    ("neurosim.hardware.model", "neurosim.hardware.loader"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The neurosim modules ``name`` imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in modules and t != name)
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _graph(deferred: bool = True) -> dict[str, set[str]]:
    """Module → the neurosim modules it imports; without ``deferred``, less DEFERRED_CYCLES."""
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    if not deferred:
        for a, b in DEFERRED_CYCLES:
            graph[a].discard(b)
    return graph


def _stage(module: str) -> int:
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    return best


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_walker_sees_imports() -> None:
    """The graph is real: known edges are found (absolute, in functions, ``from pkg import sub``)."""
    graph = _graph()
    assert "neurosim.engine.kernel" in graph["neurosim.engine.run"]
    assert "neurosim.compiler.xy" in graph["neurosim.engine.network"]
    assert "neurosim.plots" in graph["neurosim.compare"]          # from neurosim import plots
    assert "neurosim.compiler" in graph["neurosim.compiler.io"]  # imported inside a function
    assert "neurosim.snn.network" not in graph["neurosim.snn.connectivity"]  # TYPE_CHECKING
    assert _cycle(graph) == ["neurosim.hardware.loader", "neurosim.hardware.model",
                             "neurosim.hardware.loader"]  # the one deferred cycle is seen
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_has_a_stage() -> None:
    assert [m for m in _graph() if _stage(m) < 0] == []


def test_no_import_cycle() -> None:
    """None at all, once the few listed deferred imports are set aside."""
    assert _cycle(_graph(deferred=False)) is None


def test_no_stage_imports_a_later_stage() -> None:
    graph = _graph()
    upward = sorted(f"{m} ({STAGES[_stage(m)][0]}) imports {t} ({STAGES[_stage(t)][0]})"
                    for m, targets in graph.items() for t in targets if _stage(t) > _stage(m))
    assert upward == []
