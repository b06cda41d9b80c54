"""The search index: values extracted from the stored JSON by the registry's paths, dates
as the instant ranges they cover, kept in step with every load (same transaction), and
backfilled by migration 0002 for a store an older fhircare filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from sqlalchemy import Engine, select

from fhircare.store import search_index
from fhircare.store.db import _alembic_config, open_store_engine
from fhircare.store.schema import resources
from fhircare.store.schema import search_index as index_table
from tests.unit.store.conftest import Extracted, load
from tests.unit.store.test_load import first_change, without_plan


def _rows(engine: Engine) -> set[tuple[Any, ...]]:
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(select(index_table))}


def _expected(engine: Engine) -> set[tuple[Any, ...]]:
    """What the registry says the index should hold for what is stored now."""
    with engine.connect() as conn:
        stored = list(conn.execute(select(resources.c.resource_type, resources.c.resource_id, resources.c.content)))
    out = set()
    for rtype, rid, content in stored:
        for row in search_index.index_rows(rtype, rid, orjson.loads(content)):
            out.add(tuple(row[k] for k in ("resource_type", "resource_id", "param", "system", "value", "low", "high")))
    return out


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2025", "2025-01-01T00:00:00.000000", "2025-12-31T23:59:59.999999"),
        ("2024-02", "2024-02-01T00:00:00.000000", "2024-02-29T23:59:59.999999"),
        ("2025-03-05", "2025-03-05T00:00:00.000000", "2025-03-05T23:59:59.999999"),
        ("2025-03-05T10:15:00+01:00", "2025-03-05T09:15:00.000000", "2025-03-05T09:15:00.999999"),
        ("2025-03-05T10:15:00.25Z", "2025-03-05T10:15:00.250000", "2025-03-05T10:15:00.250000"),
    ],
)
def test_a_date_covers_the_instants_of_its_precision(value: str, low: str, high: str) -> None:
    assert search_index.date_range(value) == (low, high)


@pytest.mark.parametrize("value", ["", "2025-13", "2025-02-30", "yesterday", "2025-03-05T25:00:00Z"])
def test_what_is_not_a_date_has_no_range(value: str) -> None:
    assert search_index.date_range(value) is None


def test_values_come_from_the_registry_paths() -> None:
    plan = {
        "resourceType": "CarePlan",
        "identifier": [{"system": "urn:s", "value": "CP1"}],
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "736253002"}]}],
        "period": {"start": "2025-01-02"},
        "careTeam": [{"reference": "CareTeam/t1"}],
        "activity": [{"detail": {"performer": [{"reference": "Organization/o1"}, {"reference": "urn:uuid:x"}]}}],
    }
    rows = {
        (r["param"], r["system"], r["value"], r["low"], r["high"])
        for r in search_index.index_rows("CarePlan", "c1", plan)
    }
    assert rows == {
        ("identifier", "urn:s", "CP1", None, None),
        ("status", None, "active", None, None),
        ("patient", None, "Patient/p1", None, None),
        ("subject", None, "Patient/p1", None, None),
        ("category", "http://snomed.info/sct", "736253002", None, None),
        ("date", None, None, "2025-01-02T00:00:00.000000", search_index.LATEST),
        ("care-team", None, "CareTeam/t1", None, None),
        ("performer", None, "Organization/o1", None, None),
    }


def test_a_load_keeps_the_index_in_step_with_the_resources(engine: Engine, extracted: Extracted) -> None:
    su, changed = first_change(extracted, without_plan)
    load(engine, extracted, [extracted.records[su]])
    first = _rows(engine)
    assert first == _expected(engine)
    assert any(r[2] == "identifier" and r[3] == "https://fhir.nhs.uk/Id/nhs-number" for r in first)
    # a second load without one plan: it is ended (its new status indexed)
    load(engine, extracted, [changed])
    assert _rows(engine) == _expected(engine)
    assert _rows(engine) != first


def test_migration_0002_backfills_a_store_an_older_fhircare_filled(tmp_path: Path, extracted: Extracted) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    engine = open_store_engine(url)
    load(engine, extracted, list(extracted.records.values())[:5])
    expected = _rows(engine)
    assert expected
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    engine.dispose()
    reopened = open_store_engine(url)  # upgrades to head: 0002 builds the index from what is stored
    assert _rows(reopened) == expected
    with reopened.connect() as conn:
        assert search_index.stored_version(conn) == search_index.index_version()
        assert not search_index.ensure_current(conn)
