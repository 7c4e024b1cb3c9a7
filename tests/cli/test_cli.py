"""The command-line contracts of SPEC.md, in-process (tests/support/cli.py); the entry points
once as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT, run_in_process, run_process

EXAMPLE = ROOT / "data" / "examples" / "submission.json"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_in_process(args, stdin=stdin)


def test_the_entry_points_answer_as_the_in_process_runs_do():
    """`python -m bot` and the installed `unionbot` script, as an operator's shell runs them:
    the exit status and output the in-process runs of the other tests stand for."""
    bad, good = ((run_process(args, stdin=stdin), cli(*args, stdin=stdin)) for args, stdin in (
        (["score", "-", "--json"], '{"colour": "red"}'),
        (["subsidy", "--honours", "provincial", "--paid", "10000"], None)))
    for real, here in (bad, good):
        assert (real.returncode, real.stdout, real.stderr) == (
            here.returncode, here.stdout, here.stderr)
    assert bad[0].returncode == 2 and bad[0].stdout == "" and "colour" in bad[0].stderr
    assert good[0].returncode == 0 and "还应补齐10000元" in good[0].stdout
    script = Path(sys.executable).with_name("unionbot")
    out = subprocess.run([str(script), "score", str(EXAMPLE), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == 78


def test_score_json_contract():
    out = cli("score", str(EXAMPLE), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["total"], data["max"], data["eligible"], data["issues"]) == (78, 100, True, [])
    political = data["criteria"][0]
    assert political == {"id": "political", "points": 20, "max": 20, "items": [
        {"id": "study_records", "points": 10, "max": 10},
        {"id": "activity_materials", "points": 10, "max": 10}]}


def test_score_reads_stdin_and_reports_issues():
    data = json.loads(EXAMPLE.read_text())
    data["organization"]["established_on"] = "2025-06-01"
    out = cli("score", "-", "--json", stdin=json.dumps(data))
    assert out.returncode == 0
    issue = json.loads(out.stdout)["issues"][0]
    assert issue["code"] == "registered_under_2_years" and issue["severity"] == "warning"
    assert issue["message"]


def test_score_readable_report_in_chinese():
    out = cli("score", str(EXAMPLE))
    assert out.returncode == 0
    assert "政治建设：20/20" in out.stdout
    assert "合计：78/100分" in out.stdout
    assert "还可以得分的项目" in out.stdout and "开展工会活动的材料" in out.stdout


@pytest.mark.parametrize(("stdin", "field"), [
    ("not json", "-"),
    ('{"evidence": {"satisfaction_rate": 100.5}}', "evidence.satisfaction_rate"),
    ('{"evidence": {"media_reports": {"city": -2}}}', "evidence.media_reports.city"),
    ('{"evidence": {"project_documents": ["receipt"]}}', "evidence.project_documents"),
    ('{"recommended_on": "2026-02-30"}', "recommended_on"),
    ('{"colour": "red"}', "colour"),
])
def test_score_bad_input_exits_2_with_one_line(stdin, field):
    out = cli("score", "-", "--json", stdin=stdin)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0]


def test_subsidy_json_contract():
    out = cli("subsidy", "--honours", "national,city", "--paid", "10000", "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout) == {"highest": "national", "entitled": 30000,
                                      "paid": 10000, "due": 20000}


def test_subsidy_takes_level_names_in_chinese():
    out = cli("subsidy", "--honours", "市级,省级", "--paid", "10000", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["highest"] == "provincial"
    out = cli("subsidy", "--honours", "全国、市级", "--paid", "0", "--json")
    assert json.loads(out.stdout)["entitled"] == 30000


def test_subsidy_readable_cites_the_top_up_rule():
    out = cli("subsidy", "--honours", "provincial", "--paid", "10000")
    assert "还应补齐10000元" in out.stdout and "差额补齐" in out.stdout


@pytest.mark.parametrize("args", [("--honours", "gold"), ("--honours", "city", "--paid", "-5"),
                                  ("--honours", "city", "--paid", "ten")])
def test_subsidy_bad_input_exits_2(args):
    out = cli("subsidy", *args, "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("sub", ["score", "subsidy"])
def test_help_on_every_subcommand(sub):
    out = cli(sub, "--help")
    assert out.returncode == 0 and "usage" in out.stdout.lower()
