"""`kill -9` of `chartroom watch` at each stage loses nothing and stores nothing twice.

tests/_crash_harness.py runs `chartroom watch --once` and SIGKILLs itself at the chosen stage;
a normal run then finishes the job, and the accounting must balance.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chartroom.settings import Settings
from indexer.folders import IntakeFolders
from records.store import RecordStore
from tests import _intake_files as files

pytestmark = [pytest.mark.tesseract, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "tests" / "_crash_harness.py"


def _watch(home: Path, stage: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CHARTROOM_HOME": str(home),
        "CHARTROOM_WORKERS": "1",
        "CHARTROOM_STABLE_SECONDS": "0.2",
        "OMP_THREAD_LIMIT": "1",
    }
    return subprocess.run(
        [sys.executable, str(HARNESS), stage, "watch", "--once", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.parametrize("stage", ["after_copy", "after_ocr", "after_commit", "before_move"])
def test_kill_at_any_stage_then_restart_balances(tmp_path: Path, stage: str) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env({}, home=home, workers=1)
    folders = IntakeFolders.create(settings)
    good = files.small_page(folders.inbox / "a-visit.png", "Crash visit")
    (folders.inbox / "b-copy.png").write_bytes(good.read_bytes())  # duplicate of a-visit
    (folders.inbox / "c-notes.txt").write_text("not a scan\n")
    dropped = {"a-visit.png", "b-copy.png", "c-notes.txt"}

    crashed = _watch(home, stage)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    restarted = _watch(home, "none")
    assert restarted.returncode in (0, 72), (
        restarted.stderr
    )  # 72: the text file (UnsupportedFileType)

    inbox = {p.name for p in folders.inbox.iterdir()}
    archive = {p.name for p in folders.archive.iterdir()}
    failed = {p.name for p in folders.failed.iterdir() if not p.name.endswith(".reason.txt")}
    assert inbox == set()
    assert archive == {"a-visit.png", "b-copy.png"}  # each exactly once: no "a-visit.1.png"
    assert failed == {"c-notes.txt"}
    assert (folders.failed / "c-notes.txt.reason.txt").read_text().startswith("UnsupportedFileType")
    assert archive | failed == dropped
    with RecordStore(settings) as store:
        counts = store.counts()
        assert counts["documents"] == 1  # one stored document per distinct file
        assert counts["intake_stored"] == 1
        assert counts["intake_duplicate"] == 1
        assert counts["intake_failed"] == 1
        shas = list(store.iter_stored_shas())
        assert shas == [files.sha256(folders.archive / "a-visit.png")]
        assert store.blobs.verify(shas[0])
