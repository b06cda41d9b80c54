"""A load whose service users are mapped and validated in worker processes
(``FHIRCARE_WORKERS``) stores exactly what a load in one process stores: the same
resources and versions, the same history, the same outbox, the same rejections with the
same problems, in the same order; on a first load and on a daily load after changes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from fhircare.mapping.context import MappingContext
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_file import load_mapping
from fhircare.source.results import Problem
from fhircare.store import outbox as outbox_rows
from fhircare.store.db import open_store_engine
from fhircare.store.load import LoadRequest
from fhircare.store.reading import load_extract
from fhircare.store.schema import outbox, resources
from fhircare.store.schema import resource_versions as versions
from fhircare.synth import synthesise
from fhircare.validation.api import Validator
from tests.unit.store.conftest import AS_OF, MAPPING
from tests.unit.store.test_rows_fingerprint import rewrite


def load(engine: Engine, folder: Path, validator: Validator, workers: int) -> tuple[dict[str, Any], list[str]]:
    mapping = load_mapping(MAPPING)
    request = LoadRequest(folder, MAPPING, mapping, MappingContext.from_mapping(mapping, as_of=AS_OF), "run")
    problems: list[str] = []

    def problem(found: Problem, stage: str) -> None:
        problems.append(f"{stage}: {found}")

    summary, report = load_extract(engine, request, validator, limits=ReadLimits(workers=workers), on_problem=problem)
    assert report.usable
    return summary.as_json(), problems


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            "resources": [
                tuple(r)
                for r in conn.execute(
                    select(
                        resources.c.resource_type,
                        resources.c.resource_id,
                        resources.c.version,
                        resources.c.content_hash,
                        resources.c.state,
                        resources.c.origin,
                    ).order_by(resources.c.resource_type, resources.c.resource_id)
                )
            ],
            "history": [
                tuple(r)
                for r in conn.execute(
                    select(versions.c.resource_type, versions.c.resource_id, versions.c.version)
                    .order_by(versions.c.resource_type, versions.c.resource_id)
                    .order_by(versions.c.version)
                )
            ],
            "outbox": [tuple(r) for r in conn.execute(select(outbox.c.kind, outbox.c.group_key).order_by(outbox.c.id))],
        }


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel-load") / "extract"
    synthesise(load_mapping(MAPPING), folder, patients=30, seed=21, with_errors=True)
    return folder


def test_workers_store_exactly_what_one_process_stores(
    original: Path, tmp_path: Path, core_validator: Validator
) -> None:
    folder = tmp_path / "extract"
    shutil.copytree(original, folder)
    engines = {workers: open_store_engine(f"sqlite:///{tmp_path / f'{workers}.sqlite'}") for workers in (1, 2)}
    for engine in engines.values():
        with engine.begin() as conn:
            outbox_rows.ensure_target(conn, "http://target.example/fhir", datetime.now(UTC))
    first = {w: load(engine, folder, core_validator, w) for w, engine in engines.items()}
    assert first[1] == first[2]
    summary, problems = first[1]
    assert summary["serviceUsers"]["changed"] >= 20 and problems  # the bad rows were rejected
    assert stored(engines[1]) == stored(engines[2])

    # a daily load: a few service users' addresses changed
    [clients] = folder.glob("RiO_Clients_*.csv")
    rewrite(
        clients, lambda rows: [{**r, "ADDRESS_LINE_1": "1 New Road"} if i % 7 == 0 else r for i, r in enumerate(rows)]
    )
    again = {w: load(engine, folder, core_validator, w) for w, engine in engines.items()}
    assert again[1] == again[2]
    assert again[1][0]["serviceUsers"].get("changed", 0) >= 3
    assert stored(engines[1]) == stored(engines[2])
    for engine in engines.values():
        engine.dispose()
