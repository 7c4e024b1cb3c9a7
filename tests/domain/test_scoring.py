"""The 100-point standard, rule by rule, edge by edge (SPEC.md)."""

from __future__ import annotations

import pytest

from domain.errors import InputError
from domain.scoring import read_submission
from tests.conftest import TODAY, full_evidence, run_score, submission


def item_points(report, item_id: str) -> int:
    return next(i.points for c in report.criteria for i in c.items if i.id == item_id)


def test_spec_example_scores_78(rubric):
    evidence = {
        "study_records": True, "activity_materials": True,
        "registration_certificate": True, "premises_photos": True,
        "union_approval": True, "union_work_materials": True, "union_activity_materials": False,
        "project_documents": ["contract", "plan"], "satisfaction_rate": 86.5,
        "media_reports": {"city": 2, "provincial": 1, "national": 0}, "exchanges": {"city": 1},
    }
    report = run_score(rubric, submission(evidence))
    assert report.total == 78
    assert report.eligible and report.issues == ()
    by_id = {c.id: (c.points, c.max) for c in report.criteria}
    assert by_id == {"political": (20, 20), "registration": (20, 20), "union": (15, 20),
                     "project": (10, 10), "satisfaction": (8, 10), "media": (4, 10),
                     "exchange": (1, 10)}


def test_rubric_has_seven_criteria_thirteen_evidence_slots_and_100_points(rubric):
    assert [c.id for c in rubric.criteria] == [
        "political", "registration", "union", "project", "satisfaction", "media", "exchange"]
    assert len(rubric.items) == 11  # scored items: the ids of SPEC.md
    assert len(rubric.evidence_slots) == 13  # project_documents counts once per kind
    assert ("project_documents", "evaluation_summary") in rubric.evidence_slots
    assert sum(i.max for i in rubric.items) == 100


def test_empty_submission_scores_zero_with_every_item_open(rubric):
    report = run_score(rubric, submission({}))
    assert report.total == 0
    assert len(report.open_points) == 11
    assert sum(o.gain for o in report.open_points) == 100


def test_full_submission_scores_100_with_nothing_open(rubric):
    report = run_score(rubric, submission(full_evidence()))
    assert report.total == 100 and report.open_points == ()


@pytest.mark.parametrize(("item", "value", "points"), [
    ("study_records", True, 10), ("study_records", False, 0),
    ("activity_materials", True, 10),
    ("registration_certificate", True, 10), ("premises_photos", True, 10),
    ("union_approval", True, 10), ("union_work_materials", True, 5),
    ("union_activity_materials", True, 5), ("union_activity_materials", False, 0),
])
def test_fixed_items(rubric, item, value, points):
    assert item_points(run_score(rubric, submission({item: value})), item) == points


@pytest.mark.parametrize(("kinds", "points"), [
    ([], 0), (["contract"], 5), (["plan"], 5), (["evaluation_summary"], 5),
    (["contract", "plan"], 10), (["contract", "plan", "evaluation_summary"], 10),
    (["contract", "contract"], 5),  # one kind twice is one distinct kind
])
def test_project_documents_five_per_distinct_kind_capped_at_ten(rubric, kinds, points):
    report = run_score(rubric, submission({"project_documents": kinds}))
    assert item_points(report, "project_documents") == points


@pytest.mark.parametrize(("rate", "points"), [
    (0, 0), (50, 0), (69.99, 0), (70, 6), (75, 6), (79.99, 6), (80, 8), (85, 8),
    (89.99, 8), (90, 10), (99.5, 10), (100, 10), (None, 0),
])
def test_satisfaction_bands(rubric, rate, points):
    report = run_score(rubric, submission({"satisfaction_rate": rate}))
    assert item_points(report, "satisfaction_rate") == points


@pytest.mark.parametrize("item", ["media_reports", "exchanges"])
@pytest.mark.parametrize(("counts", "points"), [
    ({}, 0), ({"city": 1}, 1), ({"provincial": 1}, 2), ({"national": 1}, 3),
    ({"city": 2, "provincial": 1}, 4), ({"national": 3}, 9), ({"national": 3, "city": 1}, 10),
    ({"national": 4}, 10), ({"city": 25}, 10), ({"city": 0, "provincial": 0}, 0),
])
def test_per_level_items_are_capped_at_ten(rubric, item, counts, points):
    assert item_points(run_score(rubric, submission({item: counts})), item) == points


# --- eligibility -------------------------------------------------------------------------

def codes(report) -> set[str]:
    return {i.code for i in report.issues}


@pytest.mark.parametrize(("established", "recommended", "flagged"), [
    ("2024-12-01", "2026-12-01", False),  # exactly 2 years
    ("2024-12-02", "2026-12-01", True),   # one day short
    ("2019-05-10", "2026-12-01", False),
    ("2024-02-29", "2026-02-28", False),  # 29 Feb + 2 years = 28 Feb
    ("2024-02-29", "2026-02-27", True),
])
def test_registered_under_two_years_is_a_warning(rubric, established, recommended, flagged):
    data = submission(full_evidence(), organization__established_on=established)
    data["recommended_on"] = recommended
    data["project"]["completed_on"] = "2025-06-30" if recommended > "2025-06-30" else recommended
    report = run_score(rubric, data)
    assert ("registered_under_2_years" in codes(report)) is flagged
    if flagged:
        issue = next(i for i in report.issues if i.code == "registered_under_2_years")
        assert issue.severity == "warning"
        assert "一般应成立满2年" in issue.message["zh"]
        assert report.eligible  # a warning does not block
        assert report.total == 100  # and is never folded into the score


@pytest.mark.parametrize(("valid_until", "expired"), [
    ("2026-11-30", True),   # the day before recommendation
    ("2026-12-01", False),  # the day of recommendation: still valid
    ("2029-05-09", False),
])
def test_certificate_expiry_blocks_and_zeroes_the_certificate(rubric, valid_until, expired):
    report = run_score(rubric, submission(full_evidence(),
                                          organization__certificate_valid_until=valid_until))
    assert ("certificate_expired" in codes(report)) is expired
    assert report.eligible is not expired
    assert item_points(report, "registration_certificate") == (0 if expired else 10)
    assert report.total == (90 if expired else 100)


def test_certificate_without_expiry_date_is_not_flagged(rubric):
    data = submission(full_evidence())
    del data["organization"]["certificate_valid_until"]
    report = run_score(rubric, data)
    assert "certificate_expired" not in codes(report)
    assert item_points(report, "registration_certificate") == 10


@pytest.mark.parametrize(("completed", "recommended", "expected"), [
    ("2023-12-01", "2026-12-01", set()),                  # first day of the 3-year window
    ("2023-11-30", "2026-12-01", {"project_too_old"}),    # one day before it
    ("2026-12-01", "2026-12-01", set()),                  # last day: completed that very day
    ("2026-12-02", "2026-12-01", {"project_not_completed"}),
    (None, "2026-12-01", {"project_not_completed"}),
    ("2025-02-28", "2028-02-29", set()),                  # 29 Feb − 3 years = 28 Feb
    ("2025-02-27", "2028-02-29", {"project_too_old"}),
])
def test_project_completion_window(rubric, completed, recommended, expected):
    data = submission(full_evidence(), project__completed_on=completed)
    data["recommended_on"] = recommended
    data["organization"]["established_on"] = "2019-05-10"
    data["organization"]["certificate_valid_until"] = "2030-01-01"
    report = run_score(rubric, data)
    assert codes(report) == expected
    assert report.eligible is (not expected)


@pytest.mark.parametrize("closed", [False, None])
def test_project_not_closed_blocks(rubric, closed):
    report = run_score(rubric, submission(full_evidence(), project__closed_and_evaluated=closed))
    assert codes(report) == {"project_not_closed"}
    assert not report.eligible
    assert report.to_dict()["issues"][0] == {
        "code": "project_not_closed", "severity": "blocking",
        "message": "须已完成项目结项和考核评估等程序"}


def test_missing_recommendation_date_means_today(rubric):
    data = submission({})
    del data["recommended_on"]
    assert read_submission(data, rubric, TODAY).recommended_on == TODAY


# --- open points ---------------------------------------------------------------------------

def test_open_points_best_gain_first_with_what_to_upload(rubric):
    report = run_score(rubric, submission({"study_records": True, "satisfaction_rate": 82,
                                           "media_reports": {"city": 9}}))
    gains = [o.next_gain for o in report.open_points]
    assert gains == sorted(gains, reverse=True)
    first = report.open_points[0]
    assert first.next_gain == 10 and first.points == 0
    sat = next(o for o in report.open_points if o.item_id == "satisfaction_rate")
    assert (sat.points, sat.gain, sat.next_gain) == (8, 2, 2)
    assert "90%" in sat.action["zh"]
    media = next(o for o in report.open_points if o.item_id == "media_reports")
    assert (media.gain, media.next_gain) == (1, 1)  # 9 of 10: any report adds only 1


def test_expired_certificate_promises_no_points_and_says_what_fixes_it(rubric):
    report = run_score(rubric, submission(full_evidence(),
                                          organization__certificate_valid_until="2020-01-01"))
    assert report.open_points == ()  # no upload can bring the certificate's 10 points
    issue = next(i for i in report.issues if i.code == "certificate_expired")
    assert issue.voids == "registration_certificate" and "更新" in issue.fix["zh"]


def test_project_documents_open_point_names_a_missing_kind(rubric):
    report = run_score(rubric, submission({"project_documents": ["contract"]}))
    docs = next(o for o in report.open_points if o.item_id == "project_documents")
    assert docs.next_gain == 5 and "实施方案" in docs.action["zh"]


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "field"), [
    ([1, 2], "(root)"),
    ({"recommended_on": "2026-12-01", "bonus": 1}, "bonus"),
    ({"evidence": {"study_record": True}}, "evidence.study_record"),
    ({"evidence": {"satisfaction_rate": 100.5}}, "evidence.satisfaction_rate"),
    ({"evidence": {"satisfaction_rate": -1}}, "evidence.satisfaction_rate"),
    ({"evidence": {"satisfaction_rate": "85"}}, "evidence.satisfaction_rate"),
    ({"evidence": {"satisfaction_rate": True}}, "evidence.satisfaction_rate"),
    ({"evidence": {"media_reports": {"city": -1}}}, "evidence.media_reports.city"),
    ({"evidence": {"media_reports": {"city": 1.5}}}, "evidence.media_reports.city"),
    ({"evidence": {"media_reports": {"county": 1}}}, "evidence.media_reports.county"),
    ({"evidence": {"exchanges": [1]}}, "evidence.exchanges"),
    ({"evidence": {"project_documents": ["invoice"]}}, "evidence.project_documents"),
    ({"evidence": {"study_records": "yes"}}, "evidence.study_records"),
    ({"recommended_on": "2026-02-30"}, "recommended_on"),
    ({"recommended_on": "2026/12/01"}, "recommended_on"),
    ({"organization": {"established_on": "2019-13-01"}}, "organization.established_on"),
    ({"organization": {"uscc": "91350100M000100Y44"}}, "organization.uscc"),
    ({"project": {"closed_and_evaluated": "yes"}}, "project.closed_and_evaluated"),
    ({"project": {"budget": 1}}, "project.budget"),
])
def test_bad_input_names_the_field(rubric, data, field):
    with pytest.raises(InputError) as err:
        read_submission(data, rubric, TODAY)
    assert err.value.field == field
