"""Properties over any evidence: the total stays in 0–100; adding evidence never lowers it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scoring import Submission, score
from store.datafiles import load_rubric

RUBRIC = load_rubric()
DOC_KINDS = ["contract", "plan", "evaluation_summary"]
LEVELS = ["city", "provincial", "national"]

counts = st.dictionaries(st.sampled_from(LEVELS), st.integers(0, 30))
evidence = st.fixed_dictionaries({
    "study_records": st.booleans(), "activity_materials": st.booleans(),
    "registration_certificate": st.booleans(), "premises_photos": st.booleans(),
    "union_approval": st.booleans(), "union_work_materials": st.booleans(),
    "union_activity_materials": st.booleans(),
    "project_documents": st.frozensets(st.sampled_from(DOC_KINDS)),
    "satisfaction_rate": st.none() | st.floats(0, 100),
    "media_reports": counts, "exchanges": counts,
})


def total(ev) -> int:
    import datetime as dt
    return score(RUBRIC, Submission(recommended_on=dt.date(2026, 12, 1), evidence=ev)).total


def more(a, b):
    """Evidence that has everything `a` and `b` have."""
    out = {}
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, bool):
            out[key] = x or y
        elif isinstance(x, frozenset):
            out[key] = x | y
        elif key == "satisfaction_rate":
            out[key] = max((v for v in (x, y) if v is not None), default=None)
        else:
            out[key] = {lv: max(x.get(lv, 0), y.get(lv, 0)) for lv in set(x) | set(y)}
    return out


@settings(max_examples=300)
@given(evidence)
def test_total_is_within_0_and_100(ev):
    assert 0 <= total(ev) <= 100


@settings(max_examples=300)
@given(evidence, evidence)
def test_adding_evidence_never_lowers_the_total(a, b):
    assert total(more(a, b)) >= max(total(a), total(b))
