"""Older versions of a resource through the partner API (vread, instance history): a store
holding two versions of one service user's crisis plan, read by the service user's app and
by the GP, in process."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, insert

from fhircare.api.audit import AuditInfo
from fhircare.api.auth import AccessToken, TokenService
from fhircare.api.policy_table import OrganisationType as O
from fhircare.api.scopes import Grants
from fhircare.api.service import Caller, FhirService
from fhircare.errors import NotFoundError, UsageError
from fhircare.store.canonical import content_hash
from fhircare.store.db import open_store_engine
from fhircare.store.partners import Partner
from fhircare.store.schema import extract_runs, resource_versions, resources
from tests.unit.api.builders import (
    CRISIS,
    LEAD,
    TODAY,
    VCSE_ORG,
    VIEWERS,
    activity,
    care_plan,
    consent,
    patient,
)

Json = dict[str, Any]
WHEN = datetime(2025, 6, 1, tzinfo=UTC)
#: what a carer noticed, in the crisis plan's words before the carer asked that it be kept
#: from the service user; after, it is in an Observation labelled NOPAT and the plan does
#: not repeat it (H06)
SAID = "Early warning sign: stops answering the door (noticed by their sister)"


def _put(engine: Engine, *versions: Json, service_user: str | None = "SU1") -> None:
    """Store a resource: its versions in order, the last one current."""
    rtype, rid = versions[-1]["resourceType"], versions[-1]["id"]
    with engine.begin() as conn:
        for number, resource in enumerate(versions, 1):
            content = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
            conn.execute(
                insert(resource_versions).values(
                    resource_type=rtype,
                    resource_id=rid,
                    version=number,
                    content=content,
                    content_hash=content_hash(content),
                    change="created" if number == 1 else "updated",
                    run_id=1,
                    recorded_at=WHEN,
                )
            )
        conn.execute(
            insert(resources).values(
                resource_type=rtype,
                resource_id=rid,
                service_user_id=service_user,
                version=len(versions),
                content=content,
                content_hash=content_hash(content),
                state="current",
                last_changed_run=1,
                updated_at=WHEN,
            )
        )


@pytest.fixture
def service(tmp_path: Path) -> FhirService:
    engine = open_store_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    with engine.begin() as conn:
        conn.execute(
            insert(extract_runs).values(
                id=1,
                started_at=WHEN,
                status="completed",
                extract_dir="x",
                mapping_file="m",
                mapping_sha256="0" * 64,
                as_of=date(2025, 6, 1),
                files=[],
                trust={},
                fhircare_version="test",
            )
        )
    said = care_plan("crisis", CRISIS, [activity(LEAD, "crisis-contact")])
    said["text"] = {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{SAID}</p></div>'}
    withheld = {**said, "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">-</div>'}}
    withheld["supportingInfo"] = [{"reference": "Observation/sign"}]
    _put(engine, patient())
    _put(engine, consent("app", actors=("Organization/app",)))
    _put(engine, consent("vcse", actors=(VCSE_ORG,), classes=("CarePlan",)))
    _put(engine, said, withheld)
    tokens = TokenService(engine, base_url="http://api", signing_key="k", lifetime_seconds=300, partner_cache_seconds=0)
    return FhirService(
        engine,
        tokens,
        base_url="http://api",
        page_size=20,
        max_page_size=100,
        partner_cache_seconds=0,
        validator_factory=lambda: None,
        today=lambda: TODAY,
    )


def _caller(kind: O) -> Caller:
    viewer = VIEWERS[kind]
    partner = Partner(viewer.client_id, kind.value, "ZZ1", None, kind.value, None, None, ("system/*.rs",), WHEN, None)
    return Caller(AccessToken(viewer.client_id, Grants.of(["system/*.rs"]), 2e9, "t"), partner, viewer)


def _info() -> AuditInfo:
    return AuditInfo("r", "GET", "/CarePlan/crisis/_history")


def test_the_service_users_app_is_given_no_older_version_of_what_it_reads(service: FhirService) -> None:
    # H06: what a carer asked to keep from the service user is withheld by the labels of the
    # version that says so; an older version of another resource (the crisis plan that
    # repeated what the carer noticed before they asked, or before the plan stopped
    # repeating it) carries no label, and the app was given it by vread and history
    # (found by the API review, 2026-12-07)
    app = _caller(O.SERVICE_USER_APP)
    _, current = service.read(app, "CarePlan", "crisis", _info())
    assert SAID not in current.decode()
    history = service.history(app, "CarePlan", "crisis", _info())
    assert [e["response"]["status"] for e in history["entry"]] == ["200 OK"]
    assert SAID not in orjson.dumps(history).decode()
    with pytest.raises(NotFoundError):
        service.vread(app, "CarePlan", "crisis", "1", _info())
    assert orjson.loads(service.vread(app, "CarePlan", "crisis", "2", _info())[1])["meta"]["versionId"] == "2"
    # clinicians, who see what carers told the team (H07), still read every version
    gp = _caller(O.GP)
    assert len(service.history(gp, "CarePlan", "crisis", _info())["entry"]) == 2
    assert SAID in service.vread(gp, "CarePlan", "crisis", "1", _info())[1].decode()


def test_the_service_users_app_names_one_service_user_in_each_search(service: FhirService) -> None:
    # the app is one client for every enrolled service user (its back end signs each person
    # in): a search naming no one answered with every enrolled service user's records at
    # once, so one defect of the app's (a lost patient parameter) showed one person's app
    # everyone's, and the audit could not say whose records went. Now each search names one,
    # as urgent care's must (found by the API review, 2026-12-07; H12)
    app = _caller(O.SERVICE_USER_APP)
    for params in ([], [("_count", "100")], [("patient", "Patient/p1,Patient/p2")]):
        with pytest.raises(UsageError, match="must name one patient"):
            service.search(app, "CarePlan", params, _info())
    found = service.search(app, "CarePlan", [("patient", "Patient/p1")], _info())
    assert found["resourceType"] == "Bundle"


def test_partners_outside_direct_care_are_given_the_current_version_alone(service: FhirService) -> None:
    # a consent to share with a voluntary sector partner or a council is for the care they
    # give now: every earlier version of a plan (what it said before the service user or a
    # carer asked for something to be left out, old names and addresses in the Patient's
    # history) is more than that needs (Caldicott principle 3; API review, 2026-12-07)
    partner = _caller(O.VCSE)
    service.read(partner, "CarePlan", "crisis", _info())
    assert len(service.history(partner, "CarePlan", "crisis", _info())["entry"]) == 1
    with pytest.raises(NotFoundError):
        service.vread(partner, "CarePlan", "crisis", "1", _info())
    # a council is read the same way (its gate needs a legal basis this store lacks)
    assert all(FhirService.current_only(_caller(kind)) for kind in (O.VCSE, O.LOCAL_AUTHORITY, O.SERVICE_USER_APP))
    assert not any(FhirService.current_only(_caller(kind)) for kind in (O.GP, O.NHS_TRUST, O.URGENT_CARE))
