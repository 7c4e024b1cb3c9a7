"""The nightly backup as docs/deploy.md runs it (issue 23): a log folder that is missing stops
the run at once with one line saying how to create it (it used to fail in the shell's
redirection, before the backup ran, silently); each run is recorded for the metrics and the
log; old backups are removed after a good one."""

from __future__ import annotations

import json
import os
import time

from tests.cli.test_failures import bot


def backup(tmp_path, *args: str):
    return bot(tmp_path, "--lang", "en", "backup", *args,
               BACKUP_STATUS_FILE=str(tmp_path / "backup-status.json"),
               UNIONBOT_DOCS_DIR=str(tmp_path / "policies"))


def status(tmp_path) -> dict:
    return json.loads((tmp_path / "backup-status.json").read_text())


def test_a_missing_log_folder_fails_loudly_before_anything_is_backed_up(tmp_path):
    assert bot(tmp_path, "db", "upgrade").returncode == 0
    out = backup(tmp_path, "--out", str(tmp_path / "backups" / "2026-12-06"),
                 "--log", str(tmp_path / "log" / "unionbot" / "backup.log"))
    assert out.returncode == 1
    line, = out.stderr.strip().splitlines()
    assert str(tmp_path / "log" / "unionbot") in line and "install -d" in line
    assert not (tmp_path / "backups").exists()
    assert status(tmp_path)["ok"] is False and status(tmp_path)["error"] == "log_folder"


def test_a_good_backup_is_logged_recorded_and_old_ones_removed(tmp_path):
    assert bot(tmp_path, "db", "upgrade").returncode == 0
    root, logs = tmp_path / "backups", tmp_path / "log"
    logs.mkdir()
    old, recent, other = root / "2026-10-01", root / "2026-12-01", root / "notes"
    for folder in (old, recent, other):
        folder.mkdir(parents=True)
    for folder, days in ((old, 40), (recent, 5)):
        manifest = folder / "manifest.json"
        manifest.write_text("{}")
        then = time.time() - days * 86400
        os.utime(manifest, (then, then))
    out = backup(tmp_path, "--out", str(root / "2026-12-06"), "--log", str(logs / "backup.log"),
                 "--keep-days", "30")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in root.iterdir()) == ["2026-12-01", "2026-12-06", "notes"]
    assert str(old) in out.stdout
    logged, = (logs / "backup.log").read_text().splitlines()
    assert "2026-12-06" in logged and "2026-10-01" in logged
    assert status(tmp_path)["ok"] is True and status(tmp_path)["last_success_at"]

    again = backup(tmp_path, "--out", str(root / "2026-12-06"), "--log", str(logs / "backup.log"))
    assert again.returncode == 2  # not empty: refused, recorded, logged; the last good one kept
    assert status(tmp_path)["ok"] is False
    assert status(tmp_path)["last_success_at"] is not None
    assert len((logs / "backup.log").read_text().splitlines()) == 2
