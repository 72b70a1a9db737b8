"""Shared fixtures: the real project, a scratch copy to break, and one seed build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.build import Build, build, load_inputs

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ID = "gd-npc-innovation-cases-batch3-2020"


@pytest.fixture(scope="session")
def seed() -> Build:
    """The real seed graph, built once for the session."""
    return build(load_inputs(ROOT))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project's inputs that a test may damage."""
    for part in ("data", "ontology"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path
