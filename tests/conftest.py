from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartroom.settings import Settings

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with a private home folder and one worker (in-process)."""
    return Settings.from_env({}, home=tmp_path / "home", workers=1)


@pytest.fixture
def root() -> Path:
    return ROOT
