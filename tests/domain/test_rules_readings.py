"""Readings of the documents beyond SPEC.md (docs/rules.md) not pinned elsewhere."""

from __future__ import annotations

from tests.conftest import full_evidence, run_score, submission


def test_missing_founding_date_is_a_warning(rubric):
    data = submission(full_evidence())
    del data["organization"]["established_on"]
    report = run_score(rubric, data)
    assert [(i.code, i.severity) for i in report.issues] == [("registered_under_2_years",
                                                              "warning")]
    assert "成立日期" in report.issues[0].message["zh"]
    assert report.eligible and report.total == 100
