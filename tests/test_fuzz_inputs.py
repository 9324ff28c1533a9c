"""Fuzzing every input kind: each case is invalid by construction (see ``fuzz_cases``), so
``neurosim`` must exit 2 with exactly one line on stderr, no traceback, and nothing
written. A longer run of the same generators: ``benchmarks/fuzz_inputs.py``."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

import pytest
from fuzz_cases import KINDS, OUT, base_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.cli import main

# Small budgets: the whole module stays near a minute on two cores.
EXAMPLES = {"snn": 80, "model": 50, "hardware": 60, "override": 40, "mapping": 40,
            "sweep": 50, "sequences": 30, "sanafe": 40, "numeric": 80, "dataset": 30}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    directory = str(tmp_path_factory.mktemp("fuzz-base"))
    base_files(directory)
    return directory


def run_case(kind: str, seed: int, root: str, capsys) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{kind}-"))
    try:
        argv = KINDS[kind](random.Random(seed), work, root)
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, f"{argv}: exit {code}"
        assert err.count("\n") == 1 and err.startswith("neurosim: error: "), f"{argv}: {err!r}"
        assert "Traceback" not in err
        out = work / OUT
        assert not out.exists() or not any(out.rglob("*")), f"{argv} wrote {list(out.rglob('*'))}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(kind, root, capsys) -> None:
    @settings(max_examples=EXAMPLES[kind], deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**32 - 1))
    def check(seed: int) -> None:
        run_case(kind, seed, root, capsys)

    check()
