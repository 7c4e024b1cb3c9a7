from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from domain.rubric import Rubric
from domain.scoring import ScoreReport, read_submission, score
from store.datafiles import load_catalog, load_rubric, load_subsidy_table
from tests.support.databases import Databases

TODAY = dt.date(2026, 11, 23)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a database are marked `database`: `make test-postgres` runs those."""
    for item in items:
        if "databases" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Where the tests' databases are made: TEST_DATABASE_URL's server, or SQLite files."""
    databases = Databases.from_env(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.close()


@pytest.fixture
def new_database(databases: Databases, tmp_path) -> Iterator[Callable[..., str]]:
    """Makes fresh databases for one test, empty or `migrated=True` (at head, Alembic); every
    one is dropped after the test."""
    made: list[str] = []

    def make(migrated: bool = False) -> str:
        made.append(databases.create(tmp_path, migrated=migrated))
        return made[-1]

    yield make
    for url in made:
        databases.drop(url)


@pytest.fixture
def database_url(new_database) -> str:
    """A fresh, empty database (not migrated) for one test."""
    return new_database()


@pytest.fixture
def migrated_database_url(new_database) -> str:
    """A fresh database migrated to head for one test."""
    return new_database(migrated=True)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture(scope="session")
def subsidy_table():
    return load_subsidy_table()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


def full_evidence() -> dict:
    return {
        "study_records": True, "activity_materials": True,
        "registration_certificate": True, "premises_photos": True,
        "union_approval": True, "union_work_materials": True, "union_activity_materials": True,
        "project_documents": ["contract", "plan", "evaluation_summary"],
        "satisfaction_rate": 95,
        "media_reports": {"national": 4},
        "exchanges": {"provincial": 5},
    }


def submission(evidence: dict | None = None, **overrides) -> dict:
    """A clean, eligible submission recommended on 2026-12-01, with `evidence`."""
    data = {
        "recommended_on": "2026-12-01",
        "organization": {"established_on": "2019-05-10", "certificate_valid_until": "2029-05-09"},
        "project": {"completed_on": "2025-06-30", "closed_and_evaluated": True},
        "evidence": evidence if evidence is not None else {},
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[section] = value
    return data


def run_score(rubric: Rubric, data: dict) -> ScoreReport:
    return score(rubric, read_submission(data, rubric, TODAY))
