"""Outputs are atomic and failures are one line: a full disk or a missing permission names
the path and leaves no partial file, a closed pipe ends quietly, and a rerun into a run
directory removes its own earlier artefacts (compare's stale per-code CSVs)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neurosim.cli import main
from neurosim.errors import NeurosimError
from neurosim.fileio import MANIFEST_NAME, atomic_write, record_run, write_text


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old\n")
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(NeurosimError) as caught:
        write_text(target, "new and longer\n")
    assert str(target) in str(caught.value) and "No space left" in str(caught.value)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_an_exception_inside_the_block_writes_nothing(tmp_path) -> None:
    target = tmp_path / "table.csv"
    with pytest.raises(ZeroDivisionError), atomic_write(target) as fh:
        fh.write("half a table")
        _ = 1 / 0
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_one_line_from_the_command_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(os, "fsync", _no_space)
    out = tmp_path / "net.npz"
    assert main(["convert", "digits-mlp", "--images", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "No space left" in err
    assert list(tmp_path.iterdir()) == []


def test_a_model_write_into_a_file_path_is_one_line(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(["convert", "digits-mlp", "--images", "5", "--out", str(blocker / "x.npz")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(blocker / "x.npz") in err
    assert "Traceback" not in err


def test_a_closed_pipe_ends_quietly() -> None:
    reader = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m neurosim hw show loihi | head -c 10 >/dev/null; "
                       "echo status=${PIPESTATUS[0]} >&2"],
        capture_output=True, text=True, timeout=60)
    assert "Traceback" not in reader.stderr and "status=0" in reader.stderr, reader.stderr
    writer = subprocess.run([sys.executable, "-c", (
        "import sys, os\n"
        "r, w = os.pipe(); os.close(r); os.dup2(w, 1)\n"
        "from neurosim.cli import main\n"
        "code = main(['hw', 'show', 'loihi'])\n"
        "sys.stderr.write(f'code={code}\\n')\n")], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in writer.stderr and "code=0" in writer.stderr, writer.stderr


def test_record_run_removes_only_its_own_earlier_files(tmp_path) -> None:
    (tmp_path / "mine_before.csv").write_text("")
    (tmp_path / "someone_elses.txt").write_text("keep")
    with record_run(tmp_path, "first"):
        write_text(tmp_path / "a.csv", "1")
        write_text(tmp_path / "b.csv", "2")
        write_text(tmp_path / "sub" / "c.csv", "3")  # not directly in the directory
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["files"] == ["a.csv", "b.csv"]
    with record_run(tmp_path, "second"):
        write_text(tmp_path / "a.csv", "1")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        MANIFEST_NAME, "a.csv", "mine_before.csv", "someone_elses.txt", "sub"])
    with pytest.raises(RuntimeError), record_run(tmp_path, "failed"):
        raise RuntimeError  # a failed run removes nothing and keeps the manifest
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["command"] == "second"


@pytest.mark.slow
def test_compare_rerun_leaves_no_stale_per_code_csv(tmp_path, capsys) -> None:
    base = ["compare", "--model", "digits-mlp", "--images", "2", "--accuracy-images", "20",
            "--out", str(tmp_path), "--quiet"]
    assert main([*base, "--codes", "fs,ttfs"]) == 0
    first = {p.name for p in tmp_path.glob("per_*.csv")}
    assert any("ttfs" in n for n in first) and any("fs" in n and "ttfs" not in n for n in first)
    assert main([*base, "--codes", "fs"]) == 0
    second = {p.name for p in tmp_path.glob("per_*.csv")}
    assert second and not any("ttfs" in n for n in second)
    listed = set(json.loads((tmp_path / MANIFEST_NAME).read_text())["files"])
    assert second <= listed and "summary.json" in listed
    assert {p.name for p in tmp_path.iterdir()} - {MANIFEST_NAME} == listed
    capsys.readouterr()


def test_argument_errors_are_one_line(capsys) -> None:
    for argv in (["convert", "digits-cnn", "--K", "1000000000"], ["sweep", "x", "--workers",
                 str(2**63)], ["convert", "digits-cnn", "--code", "rate", "--seed", "-1"],
                 ["fit-fs", "--activation", "silu", "--K", "8", "--restarts", "1e9"],
                 ["simulate", "x.npz"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("neurosim: error: "), err


def test_no_partial_file_after_the_writer_fails_midway(tmp_path, monkeypatch) -> None:
    from neurosim.ann.io import save_model
    from neurosim.ann.zoo import resolve_model
    model = resolve_model("digits-mlp")
    target = tmp_path / "model.npz"
    save_model(model, target)
    good = target.read_bytes()
    monkeypatch.setattr(os, "replace", _no_space)
    with pytest.raises(NeurosimError, match="No space left"):
        save_model(model, target)
    assert target.read_bytes() == good and sorted(tmp_path.iterdir()) == [target]
    assert Path(target).stat().st_size == len(good)
