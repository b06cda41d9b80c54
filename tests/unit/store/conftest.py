"""Fixtures for the record store tests: a fresh SQLite store per test, and service users'
records read from a small synthetic extract (shared for the session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fhircare.mapping.context import MappingContext
from fhircare.source.bundle import ServiceUserRecord
from fhircare.source.mapping_file import TrustMapping, load_mapping
from fhircare.source.reader import read_extract
from fhircare.source.results import Accepted
from fhircare.store.db import open_store_engine
from fhircare.store.load import Loader, LoadRequest, LoadSummary, RemovalPolicy
from fhircare.synth import synthesise
from fhircare.validation.api import Validator

REPO = Path(__file__).resolve().parents[3]
MAPPING = REPO / "mappings" / "rio-like.yaml"
AS_OF = date(2025, 7, 1)
PATIENTS = 22


@dataclass
class Extracted:
    folder: Path
    mapping: TrustMapping
    records: dict[str, ServiceUserRecord]


@pytest.fixture(scope="session")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Extracted:
    mapping = load_mapping(MAPPING)
    folder = tmp_path_factory.mktemp("store-extract")
    synthesise(mapping, folder, patients=PATIENTS, seed=7)
    with read_extract(folder, mapping) as extract:
        records = {r.service_user_id: r.record for r in extract if isinstance(r, Accepted)}
    return Extracted(folder, mapping, records)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh store, on SQLite and on PostgreSQL (CI runs both)."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else f"sqlite:///{tmp_path / 's.sqlite'}"
    found = open_store_engine(url)
    yield found
    found.dispose()


def load(
    engine: Engine,
    extracted: Extracted,
    records: list[ServiceUserRecord],
    *,
    validator: Validator | None = None,
    as_of: date = AS_OF,
    removal: RemovalPolicy | None = None,
    fingerprint: str = "run",
) -> LoadSummary:
    """One load of these records (as if read from an extract holding exactly them)."""
    context = MappingContext.from_mapping(extracted.mapping, as_of=as_of)
    request = LoadRequest(
        extracted.folder, MAPPING, extracted.mapping, context, fingerprint, removal or RemovalPolicy()
    )
    loader = Loader(engine, request, validator)
    loader.start()
    for record in records:
        loader.load_one(Accepted(record))
    return loader.finish(complete=True)
