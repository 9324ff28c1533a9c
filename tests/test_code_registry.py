"""One registry of spike codes (issue 13, point 2): a code registered once reaches the
command line, the Python API, comparisons, sweep files and plots."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import neurosim
from neurosim import plots
from neurosim.cli import build_parser, main
from neurosim.coding import REGISTRY, code_names, make_code, register
from neurosim.coding.base import CodeInfo
from neurosim.coding.rate import Rate
from neurosim.errors import NeurosimError
from neurosim.sweep import parse_sweep


@dataclass(frozen=True)
class Toy(Rate):
    """A rate code under another name: enough to show that nothing else needs editing."""

    name = "toy"


TOY = CodeInfo(name="toy", code=Toy, label="Toy", colour="#e7298a", marker="D", step_option="T",
               sweep_options=("T",))


@pytest.fixture
def toy():
    register(TOY)
    yield TOY
    del REGISTRY["toy"]


def test_the_shipped_codes_declare_their_options_from_their_fields() -> None:
    assert code_names() == ("fs", "rate", "ttfs")
    assert REGISTRY["rate"].options == ("T", "percentile", "input", "seed")
    assert set(REGISTRY["fs"].sweep_options) <= set(REGISTRY["fs"].options)
    assert REGISTRY["ttfs"].one_spike_per_window and not REGISTRY["fs"].one_spike_per_window
    assert plots.row_label({"code": "fs", "params": {"K": 8}}) == "FS K=8"
    assert plots.code_colour("rate") == REGISTRY["rate"].colour


def test_a_class_and_entry_of_different_names_are_refused() -> None:
    with pytest.raises(NeurosimError, match="same name"):
        register(CodeInfo(name="other", code=Toy, label="x", colour="k", marker="o",
                          step_option="T", sweep_options=()))


@pytest.mark.slow
def test_a_registered_code_runs_through_convert_simulate_and_compare(toy, tmp_path, capsys) -> None:
    assert "toy" in build_parser()._subparsers._group_actions[0].choices["convert"].format_help()
    assert main(["convert", "digits-mlp", "--code", "toy", "--T", "8", "--images", "40"]) == 0
    assert "toy" in capsys.readouterr().out
    code = make_code("toy", T=8)
    assert isinstance(code, Toy)
    result = neurosim.run("digits-mlp", code, "loihi", images=2, accuracy_images=40)
    assert result.summary["code"] == "toy" and result.summary["params"] == {"T": 8}
    comparison = neurosim.compare("digits-mlp", [neurosim.FS(K=6), Toy(T=8)], "loihi", images=2,
                                  accuracy_images=40)
    assert [plots.row_label(r) for r in comparison.rows] == ["FS K=6", "Toy T=8"]
    files = comparison.write_report(tmp_path)
    assert "Toy T=8" in files["report"].read_text()
    sweep = parse_sweep({"model": "digits-mlp", "codes": {"toy": {"T": [4, 8]}}})
    assert [dict(p.configuration.code_options)["T"] for p in sweep.points] == [4, 8]
    assert main(["compare", "--model", "digits-mlp", "--codes", "toy", "--images", "2",
                 "--accuracy-images", "30", "--out", str(tmp_path / "cli"), "--quiet"]) == 0
