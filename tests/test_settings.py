from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from chartroom.errors import ConfigError
from chartroom.settings import CLEANUP_STEPS, DEFAULT_CLEANUP, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_reads_chartroom_variables() -> None:
    s = Settings.from_env(
        {
            "CHARTROOM_WORKERS": "3",
            "CHARTROOM_LOW_CONFIDENCE": "55.5",
            "CHARTROOM_CLEANUP": "deskew, blank",
            "CHARTROOM_HOME": "/srv/chartroom",
            "OTHER": "ignored",
        }
    )
    assert s.workers == 3
    assert s.low_confidence == 55.5
    assert s.cleanup == ("deskew", "blank")
    assert s.home == Path("/srv/chartroom")


def test_defaults_without_environment() -> None:
    s = Settings.from_env({})
    assert s.cleanup == DEFAULT_CLEANUP
    assert set(DEFAULT_CLEANUP) < set(CLEANUP_STEPS)
    assert s.pdf_dpi == 300


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHARTROOM_WORKERS", "two"),
        ("CHARTROOM_WORKERS", "0"),
        ("CHARTROOM_LOW_CONFIDENCE", "120"),
        ("CHARTROOM_CLEANUP", "deskew,sharpen"),
        ("CHARTROOM_LOG_LEVEL", "LOUD"),
        ("CHARTROOM_MRN_PATTERN", "(unclosed"),
    ],
)
def test_bad_values_raise_config_error(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: value})
    assert name in str(info.value)


def test_configuration_doc_lists_every_setting() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`(CHARTROOM_[A-Z_]+)`", doc))
    expected = {f"CHARTROOM_{f.name.upper()}" for f in fields(Settings)}
    assert documented == expected


def test_stage_code_does_not_read_the_environment() -> None:
    offenders = []
    for package in ("scanner", "models", "indexer", "records", "webapp"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            if "os.environ[" in text.replace('os.environ["OMP_THREAD_LIMIT"]', "") or (
                "os.getenv" in text
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
