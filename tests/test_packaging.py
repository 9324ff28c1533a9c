"""setup.cfg lists every package by hand (hw_models/ is mapped in): keep the list honest."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _listed_packages() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}


def test_every_package_is_listed_in_setup_cfg() -> None:
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "neurosim").rglob("__init__.py")}
    found.add("neurosim.hw_models")
    assert _listed_packages() == found


def test_shipped_data_is_where_package_data_expects_it() -> None:
    assert sorted(p.name for p in (ROOT / "hw_models").glob("*.yaml"))
    assert len(list((ROOT / "neurosim/ann/zoo").glob("*.npz"))) == 6  # 3 digits, 3 fashion
    assert len(list((ROOT / "neurosim/coding/sequences").glob("*.yaml"))) == 2
