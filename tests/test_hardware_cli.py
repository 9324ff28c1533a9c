"""``neurosim hw list | show | validate | import-sanafe``."""

from __future__ import annotations

from neurosim.cli import main
from neurosim.hardware import hw_models_dir, list_hardware


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["hw", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_list_names_every_model_with_cores(capsys):
    status, out, _ = _run(capsys, "list")
    assert status == 0
    for name in list_hardware():
        assert name in out
    assert "4096" in out and "65536" in out  # loihi board cores, truenorth board cores


def test_show_is_a_table_with_units_and_sources(capsys):
    status, out, _ = _run(capsys, "show", "loihi")
    assert status == 0
    for text in ("35.5 pJ", "3.8 ns", "104.4 mW", "128 KiB", "110.1 Gbit/s", "1.8 µs"):
        assert text in out
    assert "Boyle et al., SANA-FE" in out and "Davies et al." in out and "Frady et al." in out
    synop = next(line for line in out.splitlines() if line.strip().startswith("energy_synop"))
    assert synop.split()[1:4] == ["35.5", "pJ", "C"]
    assert "evidence:" in out and "C third-party silicon-calibrated model" in out


def test_show_notes_and_overrides(capsys):
    status, out, _ = _run(capsys, "show", "truenorth", "--notes", "--set", "core.neurons=128")
    assert status == 0
    assert "overrides  core.neurons=128" in out
    assert "command-line override" in out and "replaces the file's value 256" in out
    assert "marginal energy per synaptic event" in out  # a note


def test_show_a_file_by_path(capsys):
    status, out, _ = _run(capsys, "show", str(hw_models_dir() / "truenorth.yaml"))
    assert status == 0 and "64.43 mW" in out and "every step lasts 1 ms" in out


def test_validate_ok_and_bad(capsys, tmp_path):
    status, out, err = _run(capsys, "validate", str(hw_models_dir() / "loihi.yaml"))
    assert status == 0 and out.startswith("ok: ") and err == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (hw_models_dir() / "loihi.yaml").read_text().replace("value: 35.5 pJ", "value: 3 ns")
    )
    status, out, err = _run(capsys, "validate", str(bad))
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"neurosim: error: {bad}: costs.energy_synop (line ")
    assert "which is a time" in lines[0]


def test_bad_set_is_one_line(capsys):
    status, _, err = _run(capsys, "show", "loihi", "--set", "core.nerons=3")
    assert status == 2
    assert err.strip() == (
        "neurosim: error: --set core.nerons: unknown key 'core.nerons'. "
        "Did you mean 'core.neurons'?"
    )


def test_unknown_name_is_one_line(capsys):
    status, _, err = _run(capsys, "show", "truenorht")
    assert status == 2 and "did you mean 'truenorth'" in err and len(err.strip().splitlines()) == 1
