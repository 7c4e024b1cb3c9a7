"""`python -m bot backup` / `restore` (in-process, tests/support/cli.py): a snapshot and the
evidence files come back into an empty database and folder, every SHA-256 checked; damaged
files and non-empty targets are refused with one line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text

from store.db import make_engine, sqlite_path
from store.evidence_store import EvidenceStore
from tests.support.cli import run_in_process

# `database_url` (tests/conftest.py) is a fresh database of the run's kind: SQLite under
# `make test`, PostgreSQL under `make test-postgres` (TEST_DATABASE_URL).


def _wipe(url: str) -> None:
    """Empty the database, as an operator would before restoring into it."""
    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return

    async def drop() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(drop())


def cli(url: str, evidence: Path, *args: str, path: str | None = None,
        ) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": url, "EVIDENCE_DIR": str(evidence), "ADMIN_IDS": "1",
           "UNIONBOT_DOCS_DIR": str(evidence.parent / "policies"),
           "UNIONBOT_CACHE_DIR": str(evidence.parent / "cache")}
    if path is not None:
        env["PATH"] = path
    return run_in_process(args, env=env)


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def populate(url: str, evidence: Path) -> dict[str, bytes]:
    """An organisation and a round in the database, two evidence files on disk, and an added
    policy document."""
    out = cli(url, evidence, "org", "add", "--name", "青岛海都心理健康服务中心", "--uscc",
              "91350100M000100Y43", "--district", "崂山区", "--established", "2019-05-10")
    assert out.returncode == 0, out.stderr
    out = cli(url, evidence, "round", "add", "--name", "2026年度市级优秀项目", "--level", "city",
              "--year", "2026", "--opens", "2026-11-01", "--deadline", "2026-12-15 17:00",
              "--recommended", "2026-12-20")
    assert out.returncode == 0, out.stderr
    notice = evidence.parent / "通知.txt"
    notice.write_text("关于做好2026年度优秀项目申报工作的通知\n各区总工会：申报截止12月15日。",
                      encoding="utf-8")
    out = cli(url, evidence, "docs", "add", str(notice), "--date", "2026-11-01")
    assert out.returncode == 0, out.stderr
    store = EvidenceStore(evidence)
    files = {}
    for org, project, data in ((1, 1, b"%PDF-1.4 study"), (1, 2, b"\x89PNG photo")):
        stored = store.put(org, project, data, ".pdf")
        files[stored.path.relative_to(evidence).as_posix()] = data
    return files


def test_backup_then_restore_brings_back_the_database_and_every_file(database_url, tmp_path):
    evidence = tmp_path / "evidence"
    files = populate(database_url, evidence)
    out = cli(database_url, evidence, "backup", "--out", str(tmp_path / "backup"))
    assert out.returncode == 0, out.stderr
    policies = files_in(tmp_path / "policies")
    assert len(policies) == 1 and f"{2 + len(policies)} 个文件" in out.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    listed = {e["path"]: e for e in manifest["files"]}
    for name, data in files.items():
        entry = listed[f"evidence/{name}"]
        assert entry == {"path": f"evidence/{name}", "size": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()}
    assert manifest["database"]["file"] in listed and manifest["database"]["revision"]

    _wipe(database_url)
    shutil.rmtree(evidence)
    shutil.rmtree(tmp_path / "policies")
    out = cli(database_url, evidence, "restore", str(tmp_path / "backup"))
    assert out.returncode == 0, out.stderr
    assert "SHA-256 校验一致" in out.stdout
    assert files_in(evidence) == files
    assert files_in(tmp_path / "policies") == policies
    rounds = cli(database_url, evidence, "round", "list", "--json")
    assert [r["name"] for r in json.loads(rounds.stdout)] == ["2026年度市级优秀项目"]
    org = cli(database_url, evidence, "org", "add", "--name", "另一个中心", "--uscc",
              "91350100M000100Y43", "--district", "崂山区", "--established", "2019-05-10")
    assert org.returncode == 2  # the restored organisation still holds its credit code


def test_restore_refuses_a_database_or_folder_that_is_not_empty(database_url, tmp_path):
    evidence = tmp_path / "evidence"
    populate(database_url, evidence)
    assert cli(database_url, evidence, "backup", "--out", str(tmp_path / "b")).returncode == 0
    into_full = cli(database_url, evidence, "restore", str(tmp_path / "b"))
    assert into_full.returncode == 2 and into_full.stdout == ""
    assert "目标数据库" in into_full.stderr and "不是空的" in into_full.stderr
    assert len(into_full.stderr.strip().splitlines()) == 1

    _wipe(database_url)  # the database empty, the folder not
    into_folder = cli(database_url, evidence, "restore", str(tmp_path / "b"))
    assert into_folder.returncode == 2
    assert str(evidence) in into_folder.stderr and "不是空的" in into_folder.stderr
    assert len(into_folder.stderr.strip().splitlines()) == 1
    again = cli(database_url, evidence, "backup", "--out", str(tmp_path / "b"))
    assert again.returncode == 2 and "不是空的" in again.stderr  # an old backup is kept


def test_a_damaged_file_is_named_and_nothing_is_restored(database_url, tmp_path):
    evidence = tmp_path / "evidence"
    files = populate(database_url, evidence)
    assert cli(database_url, evidence, "backup", "--out", str(tmp_path / "b")).returncode == 0
    damaged = f"evidence/{sorted(files)[1]}"
    target = tmp_path / "b" / damaged
    target.write_bytes(target.read_bytes()[:-1] + b"!")  # same size, other bytes
    _wipe(database_url)
    shutil.rmtree(evidence)
    shutil.rmtree(tmp_path / "policies")
    out = cli(database_url, evidence, "restore", str(tmp_path / "b"))
    assert out.returncode == 1 and out.stdout == ""
    assert damaged in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not evidence.exists()
    status = json.loads(cli(database_url, evidence, "health").stdout)
    assert status["database"]["revision"] is None  # nothing was written


def test_postgresql_without_pg_dump_says_so(tmp_path):
    url = "postgresql+asyncpg://unionbot@127.0.0.1:1/unionbot"
    out = cli(url, tmp_path / "evidence", "backup", "--out", str(tmp_path / "b"), path="")
    assert out.returncode == 1 and "找不到 pg_dump" in out.stderr
    assert not (tmp_path / "b").exists()
