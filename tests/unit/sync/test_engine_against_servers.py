"""The sync against FHIR servers that act differently from HAPI and Medplum (an in-memory
one, tests/unit/sync/fake_target.py): what R4 lets a server do, and what some do wrong.
Each was found by a review of the sync (2026-12-06) and failed before its fix: nothing is
taken as sent that the server did not keep, no second copy is made of what it holds, no
change made on it is overwritten without reading it first, and a wrong target stops the
sync instead of parking everyone's records as refused."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select, update

from fhircare.errors import TargetError
from fhircare.store.outbox import SERVICE_USER, enqueue
from fhircare.store.schema import resources, target_resources
from fhircare.sync.capabilities import check_capabilities
from fhircare.sync.client import FhirClient, RetryPolicy, _retry_after
from fhircare.sync.engine import SyncEngine, SyncSummary
from fhircare.sync.kept import extension_urls, labels
from tests.unit.store.conftest import Extracted, load
from tests.unit.store.conftest import engine as engine  # the store fixtures
from tests.unit.store.conftest import extracted as extracted
from tests.unit.sync.fake_target import BASE, FakeTarget, Json


@pytest.fixture
def loaded(engine: Engine, extracted: Extracted) -> Engine:
    records = list(extracted.records.values())[:4]
    load(engine, extracted, records)
    return engine


def _sync(store: Engine, target: FakeTarget) -> SyncSummary:
    client = FhirClient(BASE, transport=target.transport(), retry=RetryPolicy(2, 0.0, 0.0), sleep=lambda _: None)
    with client:
        return SyncEngine(store, client, concurrency=1, passes=1, retry_seconds=0.0).run()


def _rename_everyone(store: Engine, extracted: Extracted) -> None:
    """A second load in which the four service users' family names changed: an update of
    each Patient to send."""
    changed = [
        r.model_copy(update={"service_user": r.service_user.model_copy(update={"family_name": "Changed"})})
        for r in list(extracted.records.values())[:4]
    ]
    load(store, extracted, changed, fingerprint="run2")


def _patient_updates(target: FakeTarget, since: int) -> list[Json]:
    """The requests of the Patient entries of the transactions sent since request ``since``."""
    return [
        entry["request"]
        for method, _, body in target.requests[since:]
        if method == "POST" and body and body.get("type") == "transaction"
        for entry in body["entry"]
        if entry["request"]["url"].startswith("Patient/")
    ]


def _stored_count(store: Engine, *, but: str) -> int:
    with store.connect() as conn:
        return len(conn.execute(select(resources.c.resource_id).where(resources.c.resource_type != but)).all())


def test_a_server_that_behaves_syncs_everything_once(loaded: Engine) -> None:
    target = FakeTarget()
    first = _sync(loaded, target)
    assert first.rows["sent"] > 0 and not first.dead_lettered and not first.failed
    # every stored resource (the sync adds a Provenance of its own to each transaction)
    held = {key for key in target.resources if key[0] != "Provenance"}
    assert len(held) == _stored_count(loaded, but="Provenance")
    posted = len(target.requests)
    again = _sync(loaded, target)
    assert again.transactions == 0
    assert all(method == "GET" for method, _, _ in target.requests[posted:])


def test_the_transaction_is_posted_to_the_base_url_itself(loaded: Engine) -> None:
    # R4: POST [base]. A server need not route [base]/ (it answered 404 or a redirect)
    target = FakeTarget()
    _sync(loaded, target)
    assert {path for method, path, _ in target.requests if method == "POST"} == {"/fhir"}


@pytest.mark.parametrize("status", [307, 308, 404])
def test_a_target_that_takes_no_transaction_there_stops_the_sync_and_refuses_no_one(
    loaded: Engine, status: int
) -> None:
    # dead-lettering would park every service user's records as if the server had judged
    # them, and the next sync would send nothing
    with pytest.raises(TargetError, match=f"HTTP {status}"):
        _sync(loaded, FakeTarget(transaction_status=status))


def test_a_200_that_refuses_an_entry_is_not_taken_as_sent(loaded: Engine) -> None:
    target = FakeTarget(refuse_entry=0)
    summary = _sync(loaded, target)
    assert summary.dead_lettered > 0
    assert summary.resources.get(("Patient", "created"), 0) == 0
    assert summary.open_dead_letters == summary.dead_lettered


def test_entries_answered_out_of_order_record_no_server_id(loaded: Engine) -> None:
    # recording the id from another entry's location sent the next change of one resource
    # onto another (both at version 1, so its ifMatch held)
    target = FakeTarget(reverse_entries=True)
    summary = _sync(loaded, target)
    assert summary.failed > 0  # a service user's transaction: two entries of one type swapped
    with loaded.connect() as conn:
        rows = conn.execute(select(target_resources.c.resource_id, target_resources.c.server_id)).all()
    assert all(r.resource_id == r.server_id for r in rows)


def test_without_versions_from_the_server_an_update_reads_it_first_and_carries_if_match(
    loaded: Engine, extracted: Extracted
) -> None:
    target = FakeTarget(versions=False)
    _sync(loaded, target)
    patient = target.of_type("Patient")[0]
    # another system edits it on the server
    target.put({**patient, "telecom": [{"system": "phone", "value": "0100 000 0000"}]})
    _rename_everyone(loaded, extracted)
    posted = len(target.requests)
    _sync(loaded, target)
    puts = _patient_updates(target, posted)
    assert puts and all("ifMatch" in p for p in puts)
    reads = [path for method, path, _ in target.requests[posted:] if method == "GET" and "/Patient/" in path]
    assert reads  # read before it was written


def test_a_server_that_ignores_the_identifier_search_makes_no_second_copy(loaded: Engine) -> None:
    # the trust's organisations are already on the server (under other ids), with others:
    # a server ignoring the search answers a page of every Organization, none of them it
    target = FakeTarget(ignore_identifier=True, page_size=2)
    for n in range(5):
        target.put(
            {
                "resourceType": "Organization",
                "id": f"other-{n}",
                "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": f"X{n}"}],
            }
        )
    summary = _sync(loaded, target)
    assert summary.dead_lettered > 0
    assert [o["id"] for o in target.of_type("Organization")] == [f"other-{n}" for n in range(5)]


def test_capabilities_ask_for_what_the_sync_uses() -> None:
    # it sends no conditional update; it does create by PUT (update as create) for every type
    without_conditional = FakeTarget(capability={"conditionalUpdate": False})._statement()
    assert check_capabilities(without_conditional, ["Patient"]).usable
    no_update_create = FakeTarget(capability={"updateCreate": False})._statement()
    check = check_capabilities(no_update_create, ["Patient"])
    assert not check.usable and "Patient: update as create (updateCreate)" in check.missing


def test_retry_after_in_every_http_date_form() -> None:
    # RFC 9110 5.6.7: a recipient accepts all three forms; the asctime one names no zone
    # (it crashed the sync with a TypeError)
    when = datetime.now(UTC) + timedelta(seconds=20)
    for text in (format_datetime(when, usegmt=True), when.strftime("%a %b %d %H:%M:%S %Y")):
        after = _retry_after(httpx.Response(429, headers={"Retry-After": text}), cap=30.0)
        assert after is not None and 10 < after <= 20


def test_marks_on_a_version_fhircare_did_not_send_are_read_and_only_its_own_taken_off(loaded: Engine) -> None:
    """H09, H16: the target holds a version fhircare has not recorded sending (it found it by
    identifier, or read it after a conflict, and the sync stopped before the update), on a
    server that keeps tags and labels across updates. NOPAT there (an earlier store sent it)
    would go on withholding from the service user what no carer asks to keep from them: the
    sync reads the version there and takes off the marks fhircare writes; another system's
    tag stays."""
    target = FakeTarget(keeps_meta=True)
    _sync(loaded, target)
    key = next(k for k in sorted(target.resources) if k[0] == "Goal")
    nopat = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}
    other = {"system": "https://shared-record.example/tags", "code": "reviewed"}
    confidential = {"system": "https://fhir.fhircare.nhs.uk/CodeSystem/security-label", "code": "carer-confidential"}
    target.resources[key]["meta"]["security"] += [nopat, confidential]  # as an earlier store wrote them
    target.resources[key]["meta"]["tag"] = [other]
    # and on another goal, NOPAT alone: another system's (GP Connect writes it too), to keep
    others = next(k for k in sorted(target.resources) if k[0] == "Goal" and k != key)
    target.resources[others]["meta"]["security"].append(nopat)
    with loaded.begin() as conn:
        owners = []
        for rtype, rid in (key, others):
            conn.execute(
                update(target_resources)
                .where((target_resources.c.resource_type == rtype) & (target_resources.c.resource_id == rid))
                .values(synced_hash="")
            )
            owners.append(
                conn.execute(
                    select(resources.c.service_user_id).where(
                        (resources.c.resource_type == rtype) & (resources.c.resource_id == rid)
                    )
                ).scalar_one()
            )
        [target_id] = conn.execute(select(target_resources.c.target_id).distinct()).scalars().all()
        enqueue(conn, [target_id], SERVICE_USER, sorted(set(owners)), None, datetime.now(UTC))
    before = len(target.requests)
    again = _sync(loaded, target)
    assert again.rows["sent"] >= 1 and not again.dead_lettered
    asked = [(method, path) for method, path, _ in target.requests[before:]]
    assert ("GET", f"/fhir/{key[0]}/{key[1]}") in asked
    assert ("POST", f"/fhir/{key[0]}/{key[1]}/$meta-delete") in asked
    meta = target.resources[key]["meta"]
    assert not {"NOPAT", "carer-confidential"} & {m["code"] for m in meta["security"]}
    assert meta["tag"] == [other]
    assert "NOPAT" in {m["code"] for m in target.resources[others]["meta"]["security"]}


def test_a_server_that_keeps_a_put_under_its_own_id_gets_one_copy_updated_in_place(
    loaded: Engine, extracted: Extracted
) -> None:
    """A server that does not keep client ids takes ``PUT Type/<fhircare id>`` of a resource
    it lacks as a create under an id of its own (201, its location). The answer named
    another id than the request, so nothing was recorded and the row was sent again: a
    copy of every resource per pass (three per sync), then every one dead-lettered as
    held three times. Its id is where the resource is: recorded, and updated there."""
    target = FakeTarget(assigns_ids=True)
    first = _sync(loaded, target)
    assert first.rows["sent"] > 0 and not first.failed and not first.dead_lettered
    held = [key for key in target.resources if key[0] != "Provenance"]
    assert len(held) == _stored_count(loaded, but="Provenance")  # one copy of each
    with loaded.connect() as conn:
        recorded = {(r.resource_type, r.server_id) for r in conn.execute(select(target_resources)).all()}
    assert recorded <= set(target.resources)
    _rename_everyone(loaded, extracted)
    again = _sync(loaded, target)
    assert again.rows["sent"] > 0 and not again.failed and not again.dead_lettered
    assert len([key for key in target.resources if key[0] != "Provenance"]) == len(held)
    assert {p["name"][0]["family"] for p in target.of_type("Patient")} == {"Changed"}


@pytest.mark.parametrize("status", [400, 422])
def test_a_stale_version_refused_with_another_4xx_is_read_again_not_dead_lettered(
    loaded: Engine, extracted: Extracted, status: int
) -> None:
    """R4 lets a failed transaction answer with any 4xx and an OperationOutcome: a stale
    ``ifMatch`` may come back as 400 or 422, not 409/412. It was dead-lettered as refused
    data, and every retry sent the same stale version again: the service user's change
    never reached the shared record. Now what the server holds is read again; a version
    that moved on is a conflict, planned again on what was read."""
    target = FakeTarget(conflict_status=status)
    _sync(loaded, target)
    patient = target.of_type("Patient")[0]
    target.put({**patient, "telecom": [{"system": "phone", "value": "0100 000 0000"}]})  # another system's edit
    _rename_everyone(loaded, extracted)
    posted = len(target.requests)
    again = _sync(loaded, target)
    assert not again.dead_lettered and not again.failed and again.rows["replanned"] >= 1
    assert {p["name"][0]["family"] for p in target.of_type("Patient")} == {"Changed"}
    reads = [path for method, path, _ in target.requests[posted:] if method == "GET" and path.endswith(patient["id"])]
    assert reads  # read before it was written over


def test_a_refusal_of_the_data_itself_is_still_a_dead_letter_after_one_read(
    loaded: Engine, extracted: Extracted
) -> None:
    # a 400 with every version as recorded: the server judged the data, not a conflict
    target = FakeTarget()
    _sync(loaded, target)
    _rename_everyone(loaded, extracted)
    target.transaction_status = 400
    again = _sync(loaded, target)
    assert again.dead_lettered > 0 and not again.rows["replanned"]


@pytest.mark.parametrize("failed", ["resource", "entry"])
def test_an_identifier_search_answered_200_but_failed_makes_no_second_copy(loaded: Engine, failed: str) -> None:
    """A batch entry "200 OK" holding an OperationOutcome instead of a searchset, or a
    searchset of no match whose outcome entry says the search failed, was read as "the
    server holds no such resource": each was created again beside the copy the server
    held under its own id. A search that did not run is no answer: tried again later."""
    target = FakeTarget(failed_searches=failed)
    ours = _theirs(loaded, target)  # another system put the trust's directory there
    summary = _sync(loaded, target)
    assert len(target.of_type("Organization")) == len(ours)  # not one created again
    assert summary.failed > 0 and not summary.dead_lettered


@pytest.mark.parametrize("status", [404, 410])
def test_an_update_of_a_resource_deleted_on_the_server_refused_as_gone_sends_it_again(
    loaded: Engine, extracted: Extracted, status: int
) -> None:
    """Someone deleted a service user's Patient on the server; a server may refuse the
    transaction updating it (``ifMatch``) with 410 or 404 and an OperationOutcome, not
    409/412. It was dead-lettered, and every retry sent the same update of what is gone:
    the service user's records never reached the shared record again. Now what the server
    holds is read; what is gone is sent again."""
    target = FakeTarget(gone_status=status)
    _sync(loaded, target)
    patient = target.of_type("Patient")[0]
    target.delete(("Patient", patient["id"]))
    _rename_everyone(loaded, extracted)
    again = _sync(loaded, target)
    assert not again.dead_lettered and not again.failed
    assert {p["name"][0]["family"] for p in target.of_type("Patient")} == {"Changed"}
    assert len(target.of_type("Patient")) == 4


@pytest.mark.parametrize(
    "answer",
    [{"empty_answer": 200}, {"empty_answer": 201}, {"empty_answer": 204}, {"entry_without_response": 0}],
    ids=["200", "201", "204", "an entry without response"],
)
def test_a_transaction_committed_with_no_body_is_recorded_once_not_sent_for_ever(
    loaded: Engine, extracted: Extracted, answer: dict[str, int]
) -> None:
    """``Prefer: return=minimal`` read as applying to the whole answer: the server commits
    the transaction and answers 2xx with no body. R4 makes a transaction all or nothing, so
    every entry was kept; the answer was taken as unusable, the row failed, and every sync
    sent it all again, never done. Recorded now with no version (read before the next
    update, which carries ifMatch). The same for a transaction-response whose entry has no
    ``response`` (R4 makes it 1..1): read as a refusal (status 0), the row was dead-lettered
    though the transaction was committed."""
    target = FakeTarget(**answer)  # type: ignore[arg-type]
    first = _sync(loaded, target)
    assert first.rows["sent"] > 0 and not first.failed and not first.dead_lettered
    posted = len(target.requests)
    again = _sync(loaded, target)
    assert again.transactions == 0
    assert all(method == "GET" for method, _, _ in target.requests[posted:])
    _rename_everyone(loaded, extracted)
    posted = len(target.requests)
    third = _sync(loaded, target)
    assert not third.failed and not third.dead_lettered
    assert {p["name"][0]["family"] for p in target.of_type("Patient")} == {"Changed"}
    puts = _patient_updates(target, posted)
    assert puts and all("ifMatch" in p for p in puts)


def test_a_2xx_that_is_not_fhir_is_never_taken_as_sent(loaded: Engine) -> None:
    # an HTML page (a proxy's) says nothing of what the server kept: tried again later
    summary = _sync(loaded, FakeTarget(html_answer=True))
    assert summary.failed > 0 and not summary.rows["sent"]


def test_without_versions_every_transaction_of_a_large_row_carries_if_match(loaded: Engine) -> None:
    """A service user whose update takes several transactions (``max_entries``), on a server
    that gives no versions: only the first transaction's resources were read for one; the
    later ones were sent without ifMatch, over whatever another system had changed."""
    target = FakeTarget(versions=False)
    _sync(loaded, target)
    with loaded.begin() as conn:
        conn.execute(update(target_resources).values(synced_hash=""))  # every one to send again
        owners = conn.execute(select(resources.c.service_user_id).distinct()).scalars().all()
        [target_id] = conn.execute(select(target_resources.c.target_id).distinct()).scalars().all()
        enqueue(conn, [target_id], SERVICE_USER, sorted(o for o in owners if o), None, datetime.now(UTC))
    posted = len(target.requests)
    client = FhirClient(BASE, transport=target.transport(), retry=RetryPolicy(2, 0.0, 0.0), sleep=lambda _: None)
    with client:
        summary = SyncEngine(loaded, client, concurrency=1, passes=1, retry_seconds=0.0, max_entries=10).run()
    assert not summary.failed and not summary.dead_lettered and summary.transactions > len(owners)
    puts = [
        entry["request"]
        for method, _, body in target.requests[posted:]
        if method == "POST" and body and body.get("type") == "transaction"
        for entry in body["entry"]
        if not entry["request"]["url"].startswith("Provenance/")
    ]
    assert puts and all("ifMatch" in p for p in puts)


def test_a_bare_etag_in_a_response_entry_is_sent_back_as_an_entity_tag(loaded: Engine, extracted: Extracted) -> None:
    """A response entry's etag given bare (``1``, a versionId) was sent back as it was,
    ``ifMatch: 1``: not an HTTP entity tag; a server refusing it (400) had the service
    user's change dead-lettered. The version it names is sent back as ``W/"1"``."""
    target = FakeTarget(bare_etags=True, conflict_status=400)
    _sync(loaded, target)
    _rename_everyone(loaded, extracted)
    again = _sync(loaded, target)
    assert not again.dead_lettered and not again.failed and not again.rows["replanned"]
    assert {p["name"][0]["family"] for p in target.of_type("Patient")} == {"Changed"}


def _theirs(store: Engine, target: FakeTarget, copies: int = 1) -> list[Json]:
    """The store's organisations put on the server by another system, under its own ids."""
    with store.connect() as conn:
        ours = [
            orjson.loads(content)
            for content in conn.execute(
                select(resources.c.content).where(resources.c.resource_type == "Organization")
            ).scalars()
        ]
    for n, organisation in enumerate(ours):
        for made in range(copies):
            target.put({**organisation, "id": f"theirs-{n}-{made}"})
    return ours


def test_an_identifier_found_on_a_later_page_is_updated_in_place(loaded: Engine) -> None:
    """A server may cut a page short (on time or cost) and give the rest behind ``next``:
    an identifier search whose first page was empty but for that link was taken as "the
    server ignores identifiers", and every resource it held was dead-lettered. The pages
    are followed while every resource on them holds the identifier."""
    target = FakeTarget(empty_first_page=True)
    ours = _theirs(loaded, target)
    summary = _sync(loaded, target)
    assert not summary.dead_lettered and not summary.failed
    assert len(target.of_type("Organization")) == len(ours)  # updated in place, none created
    assert {o["id"] for o in target.of_type("Organization")} == {f"theirs-{n}-0" for n in range(len(ours))}


def test_an_identifier_held_twice_over_two_pages_is_never_guessed(loaded: Engine) -> None:
    """A server giving one resource a page (R4 lets it choose): an identifier held twice
    showed one match on the first page, and fhircare updated it, never seeing the second."""
    target = FakeTarget(page_size=1)
    _theirs(loaded, target, copies=2)
    before = copy.deepcopy(target.resources)
    summary = _sync(loaded, target)
    assert summary.dead_lettered > 0
    assert all(target.resources[key] == resource for key, resource in before.items())  # neither written


@pytest.mark.parametrize("form", ["code", "number"])
def test_a_response_entry_status_in_another_form_is_read(loaded: Engine, form: str) -> None:
    # "201" is R4's too; a bare JSON number is not a FHIR string, and stopped the sync with
    # an internal error (TypeError) instead of being read
    summary = _sync(loaded, FakeTarget(status_form=form))
    assert summary.rows["sent"] > 0 and not summary.failed and not summary.dead_lettered


def test_a_server_without_batch_is_asked_by_plain_searches(loaded: Engine) -> None:
    """A server offering transaction and not batch (R4: two interactions) refused every
    batch of identifier searches (405): every resource the sync had to look up failed,
    sync after sync, never sent. Each is now searched for on its own."""
    _theirs_are_updated_in_place(loaded, FakeTarget(batches=False))


def _theirs_are_updated_in_place(store: Engine, target: FakeTarget) -> None:
    """The store's organisations, on the server under its own ids, are found and updated
    there: no second copy, nothing refused."""
    ours = _theirs(store, target)
    summary = _sync(store, target)
    assert summary.rows["sent"] > 0 and not summary.failed and not summary.dead_lettered
    assert len(target.of_type("Organization")) == len(ours)


def test_a_server_defaulting_to_r5_is_asked_for_r4_by_name_in_everything(loaded: Engine) -> None:
    """A server holding R4 and R5 with R5 its default (Firely Server, HAPI FHIR's multi-version
    set-up) answers /metadata as R5: the sync refused it as not R4, though it holds R4.
    R4 is now asked for by name (``fhirVersion=4.0`` on the media type, R4 http 3.1.0.1.11),
    and named in every request after, so nothing is read as R5."""
    target = FakeTarget(r5_default=True)
    summary = _sync(loaded, target)
    assert summary.rows["sent"] > 0 and not summary.failed and not summary.dead_lettered
    assert len(target.of_type("Patient")) == 4
    after_metadata = target.media_types[2:]  # the plain ask, then the ask for R4
    assert after_metadata and all("fhirVersion=4.0" in accept for accept, _ in after_metadata)
    assert all("fhirVersion=4.0" in sent for _, sent in after_metadata if sent)


def test_a_server_of_r4_alone_is_asked_as_before() -> None:
    # the media type's parameter is sent only to a server that needs it: one that answers
    # R4 by default is never asked with it (a server may refuse a parameter it does not know)
    target = FakeTarget()
    with FhirClient(BASE, transport=target.transport()) as client:
        client.capabilities()
    assert target.media_types == [("application/fhir+json", "")]


def test_a_server_of_r5_alone_is_still_refused_naming_its_version(loaded: Engine) -> None:
    statement = FakeTarget()._statement() | {"fhirVersion": "5.0.0"}

    def r5(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=statement)

    client = FhirClient(BASE, transport=httpx.MockTransport(r5), retry=RetryPolicy(2, 0.0, 0.0))
    with client, pytest.raises(TargetError, match=re.escape("fhirVersion '5.0.0'")):
        SyncEngine(loaded, client, concurrency=1, passes=1, retry_seconds=0.0).run()


def _stored_extension_urls(store: Engine) -> frozenset[str]:
    with store.connect() as conn:
        contents = [orjson.loads(c) for (c,) in conn.execute(select(resources.c.content))]
    return frozenset(url for content in contents for url in extension_urls(content))


def _sent_again(store: Engine, target: FakeTarget) -> list[Json]:
    """The resources of the transactions of a sync of this store to this target."""
    posted = len(target.requests)
    _sync(store, target)
    return [
        entry["resource"]
        for method, _, body in target.requests[posted:]
        if method == "POST" and body and body.get("type") == "transaction"
        for entry in body["entry"]
        if entry["resource"]["resourceType"] != "Provenance"
    ]


@pytest.mark.parametrize("loses", ["security", "extensions"])
def test_a_server_that_does_not_keep_labels_or_extensions_stops_the_sync_and_gets_them_again(
    loaded: Engine, loses: str
) -> None:
    """A server (or a proxy in front of it) that stores what it understands: it answered 200
    to every transaction, and the shared care record held the service users' records with
    no restricted label, no NOPAT on what a carer asked to keep from the service user, no
    do-not-involve extension. Nothing said so. One resource is now read back each run: the
    sync stops naming what was lost (codes and URLs, never a value), and what it sent goes
    again once the server keeps them."""
    target = FakeTarget(drops_security=loses == "security")
    if loses == "extensions":
        target.drops_extensions = _stored_extension_urls(loaded)
    with pytest.raises(TargetError, match="does not keep what marks a record restricted") as stopped:
        _sync(loaded, target)
    lost = "security label R (http://terminology.hl7.org/CodeSystem/v3-Confidentiality)"
    assert (lost if loses == "security" else "extension https://") in str(stopped.value)
    damaged = {key for key in target.resources if key[0] != "Provenance"}
    assert damaged
    target.drops_security, target.drops_extensions = False, frozenset()
    again = _sent_again(loaded, target)
    assert damaged <= {(r["resourceType"], r["id"]) for r in again}
    for key in damaged:
        held, stored = target.resources[key], _stored(loaded, key)
        assert labels(held) == labels(stored) and extension_urls(held) == extension_urls(stored)


def test_a_server_that_keeps_them_is_read_once_a_run(loaded: Engine) -> None:
    target = FakeTarget(keeps_meta=True)  # keeping labels of its own as well is no loss
    summary = _sync(loaded, target)
    assert summary.labels_kept == "yes" and not summary.failed
    reads = [path for method, path, _ in target.requests if method == "GET" and path.count("/") == 3]
    assert len(reads) == 1


def test_a_read_back_refused_checks_nothing_and_stops_nothing(loaded: Engine) -> None:
    summary = _sync(loaded, FakeTarget(read_status=403))
    assert summary.labels_kept == "not checked (HTTP 403)"
    assert summary.rows["sent"] > 0 and not summary.failed and not summary.dead_lettered


def _stored(store: Engine, key: tuple[str, str]) -> Json:
    with store.connect() as conn:
        content = conn.execute(
            select(resources.c.content).where(resources.c.resource_type == key[0], resources.c.resource_id == key[1])
        ).scalar_one()
    return orjson.loads(content)


def test_a_count_of_0_from_a_server_that_cannot_search_by_system_alone_makes_no_second_copy(
    loaded: Engine,
) -> None:
    """A server already holding the trust's records under its own ids (loaded by another
    system, or a store lost) and taking ``identifier=system|`` as a search for an empty value:
    the census counted 0, fhircare knew of 0 held, so every resource was created without a
    lookup, a second copy of each. A count of 0 is now believed only when a sample of the
    identifiers, each searched in full, finds none."""
    _theirs_are_updated_in_place(loaded, FakeTarget(system_only_finds_nothing=True))


def test_a_first_load_into_an_empty_server_asks_one_sample_a_type_and_no_more(loaded: Engine) -> None:
    # the census still spares a search per resource: one batch of at most 20 per
    # (type, identifier system), then creates
    target = FakeTarget()
    _sync(loaded, target)
    batches = [body for method, _, body in target.requests if method == "POST" and body and body["type"] == "batch"]
    counts = [path for method, path, _ in target.requests if method == "GET" and path.count("/") == 2]
    assert batches and len(batches) <= len(counts)
    assert all(len(b["entry"]) <= 20 for b in batches)
