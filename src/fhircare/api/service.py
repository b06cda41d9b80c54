"""The FHIR interactions of the partner API, each deciding every resource it might return
with the access policy (``policy.decide``) and noting for its AuditEvent what it returned
and which patients that disclosed.

A resource the caller may not see is answered exactly as one that does not exist (404 for
a read, vread or history; absent from a search, an include or ``$everything``); what was
refused is recorded in the AuditEvent for the administrator, never sent to the caller.

An AuditEvent names as patients the service users whose data the response disclosed (what
it returned: matches, includes, ``$everything``), and for a read, vread, history or
``$everything`` of one resource the caller named, that resource's patient whether it was
shown or refused. A search's candidates the policy withheld are not named (the patient's
"who accessed my record" would list searches that never showed them anything). A count
(``_summary=count``) over everyone names no one (a number); a count of a patient the search
names (by identifier, patient or ``_id``) names those it counted: it tells that the trust
knows them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, Engine

from fhircare.api import bundles, reads
from fhircare.api import search as search_params
from fhircare.api.audit import ODS_SYSTEM, AuditInfo
from fhircare.api.auth import AccessToken, TokenService
from fhircare.api.paging import PageLinks
from fhircare.api.policy import DIRECTORY_TYPES, Viewer, decide_why
from fhircare.api.policy_table import CURRENT_VERSION_ONLY, OrganisationType
from fhircare.api.reads import RecordCache, Stored
from fhircare.api.record import ServiceUserRecord
from fhircare.errors import ForbiddenError, NotFoundError, SearchTooCostlyError, UsageError
from fhircare.store.partners import Partner
from fhircare.store.search_index import index_rows

Json = dict[str, Any]
#: the trust's days: a consent, a team membership or an entitlement ends at midnight
#: there, not at midnight UTC (an hour later in summer; EC-93)
TRUST_TIME_ZONE = ZoneInfo("Europe/London")
#: decisions remembered per service user's record, at most
_MEMO_SIZE = 256
#: the most resources one page of a search returns, matches and includes together: a page
#: whose includes would take it past this is refused (``too-costly``), never cut short, and
#: its AuditEvent names every one (it names every resource returned, however many)
MAX_PAGE_RESOURCES = 1000


def trust_day(moment: datetime) -> date:
    """The day it is at the trust at ``moment``."""
    return moment.astimezone(TRUST_TIME_ZONE).date()


@dataclass(frozen=True)
class Caller:
    token: AccessToken
    partner: Partner
    viewer: Viewer


class Decisions:
    """The policy's decisions for one request, with each service user's record read once."""

    def __init__(self, service: FhirService, conn: Connection, caller: Caller, audit: AuditInfo) -> None:
        self.service = service
        self.conn = conn
        self.caller = caller
        self.audit = audit
        self.day = service.today()
        self._records: dict[str, ServiceUserRecord] = {}
        #: the grounds of each resource version shown (``shown``), for the audit
        self._grounds: dict[tuple[str, int], tuple[str, ...]] = {}

    def record(self, service_user_id: str) -> ServiceUserRecord:
        found = self._records.get(service_user_id)
        if found is None:
            found = self.service.records.get(self.conn, service_user_id)
            self._records[service_user_id] = found
        return found

    def visible(self, stored: Stored) -> tuple[Json | None, tuple[str, ...]]:
        """What the caller may see of a stored resource (None: nothing), with the grounds
        that allow it (``policy.decide_why``). Deciding names no one in the audit: a
        patient is named for what is returned (``disclosed``) or for the one resource a
        request named (``concerning``)."""
        record = None if stored.service_user_id is None else self.record(stored.service_user_id)
        return decide_why(self.caller.viewer, orjson.loads(stored.content), record, self.day)

    def concerning(self, stored: Stored) -> None:
        """Name in the audit the patient whose resource this is (a service user's)."""
        if stored.service_user_id is not None:
            patient = self.record(stored.service_user_id).patient_ref
            if patient is not None:
                self.audit.patients.append(patient)

    def shown(self, stored: Stored) -> bytes | None:
        """The resource as sent to the caller (JSON, with its version and last change), or
        None. Remembered with the service user's record (which is replaced when anything in
        it changes) for this caller, resource version and day: a partner that reads the same
        records again costs a lookup, and the memory held is bytes, not parsed JSON. The
        grounds of what is shown are kept for the audit (``disclosed``)."""
        if stored.service_user_id is None:
            visible, grounds = self.visible(stored)
            sent = None if visible is None else orjson.dumps(bundles.served(stored, visible))
        else:
            record = self.record(stored.service_user_id)
            key = ("shown", self.caller.viewer, stored.ref, stored.version, self.day)
            if key in record.memo:
                sent, grounds = record.memo[key]  # type: ignore[misc]
            else:
                visible, grounds = self.visible(stored)
                sent = None if visible is None else orjson.dumps(bundles.served(stored, visible))
                if len(record.memo) >= _MEMO_SIZE:
                    record.memo.clear()
                record.memo[key] = (sent, grounds)
        if sent is not None:
            self._grounds[(stored.ref, stored.version)] = grounds
        return sent

    def disclosed(self, stored: Stored, label: str | None = None) -> None:
        """Note in the audit one resource sent to the caller (as ``label``: a version's
        reference), with the grounds on which the policy allowed it."""
        label = label or stored.ref
        self.audit.returned.append(label)
        self.audit.grounds[label] = list(self._grounds.get((stored.ref, stored.version), ()))

    def returned(self, items: Sequence[tuple[Stored, bytes]]) -> None:
        """Note what is sent to the caller, and the patients whose data it is."""
        for stored, _sent in items:
            self.disclosed(stored)
            self.concerning(stored)


def _organisation(partner: Partner) -> tuple[str, str, str]:
    """A partner as an audit event names it: by its ODS code, else by the identifier it was
    registered with (a VCSE partner without an ODS code)."""
    if partner.ods_code is not None:
        return partner.name, ODS_SYSTEM, partner.ods_code
    system, _, value = (partner.organization_identifier or "|").partition("|")
    return partner.name, system, value


class FhirService:
    def __init__(
        self,
        engine: Engine,
        tokens: TokenService,
        *,
        base_url: str,
        page_size: int,
        max_page_size: int,
        partner_cache_seconds: float,
        validator_factory: Callable[[], Any],
        today: Callable[[], date] = lambda: trust_day(datetime.now(UTC)),
    ) -> None:
        self.engine = engine
        self.tokens = tokens
        self.pages = PageLinks(tokens.signing_key)
        self.base_url = base_url
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.records = RecordCache()
        self.today = today
        self._viewer_ttl = partner_cache_seconds
        self._viewers: dict[str, tuple[float, Viewer]] = {}
        self._validator_factory = validator_factory
        self._validator: Any = None
        self._validator_lock = threading.Lock()

    # --- who is asking --------------------------------------------------------------------

    def caller(self, authorization: str | None, audit: AuditInfo) -> Caller:
        from fhircare.errors import AuthenticationError

        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthenticationError("an access token is required (Authorization: Bearer ...)")
        token_text = authorization[7:].strip()
        try:
            token = self.tokens.verify(token_text)
        except AuthenticationError as exc:
            audit.client_id = self.tokens.unverified_client(token_text)
            audit.refusal = exc.message
            raise
        partner = self.tokens.partner(token.client_id)
        assert partner is not None  # verify() checked it is registered
        audit.client_id, audit.client_verified = token.client_id, True
        audit.organisation = _organisation(partner)
        kind = OrganisationType(partner.organisation_type)
        viewer = self._viewer(partner, kind)
        audit.purpose = viewer.profile.purposes[0]
        return Caller(token, partner, viewer)

    def _viewer(self, partner: Partner, kind: OrganisationType) -> Viewer:
        now = time.monotonic()
        cached = self._viewers.get(partner.client_id)
        if cached is not None and now - cached[0] < self._viewer_ttl:
            return cached[1]
        with self.engine.connect() as conn:
            organisations = reads.organisations_of(conn, partner.ods_code, partner.organization_identifier)
        viewer = Viewer(partner.client_id, kind, organisations)
        self._viewers[partner.client_id] = (now, viewer)
        return viewer

    @staticmethod
    def require(caller: Caller, resource_type: str, interaction: str, audit: AuditInfo) -> None:
        if not caller.token.grants.allows(resource_type, interaction):
            audit.refusal = f"no scope for {interaction} of {resource_type}"
            raise ForbiddenError(f"the access token's scopes do not allow {interaction} of {resource_type}")

    # --- read, vread, history ---------------------------------------------------------------

    def read(self, caller: Caller, rtype: str, rid: str, audit: AuditInfo) -> tuple[Stored, bytes]:
        audit.interaction, audit.resource_type, audit.requested = "read", rtype, f"{rtype}/{rid}"
        self.require(caller, rtype, "read", audit)
        with self.engine.connect() as conn:
            decisions = Decisions(self, conn, caller, audit)
            stored = reads.current(conn, rtype, rid)
            visible = None
            if stored is not None:
                # the resource it named: its patient, shown or refused (the administrator
                # investigating a refused read needs to know whose record was asked for)
                decisions.concerning(stored)
                visible = decisions.shown(stored)
        if stored is None or visible is None:
            audit.refusal = "no such resource" if stored is None else "refused by the access policy"
            raise NotFoundError(f"{rtype}/{rid} is not known")
        decisions.disclosed(stored)
        return stored, visible

    def vread(self, caller: Caller, rtype: str, rid: str, vid: str, audit: AuditInfo) -> tuple[Stored, bytes]:
        audit.interaction, audit.resource_type, audit.requested = "vread", rtype, f"{rtype}/{rid}"
        self.require(caller, rtype, "read", audit)
        with self.engine.connect() as conn:
            decisions = Decisions(self, conn, caller, audit)
            current = reads.current(conn, rtype, rid)
            if current is not None:
                decisions.concerning(current)  # the resource it named: shown or refused
            allowed = current is not None and decisions.shown(current) is not None
            found = reads.versions(conn, rtype, rid, int(vid)) if allowed and vid.isdigit() else []
            older = bool(found) and current is not None and found[0].version != current.version
            if older and self.current_only(caller):
                audit.refusal, found = "an older version, not given to this reader (current version only)", []
            visible = decisions.shown(found[0]) if found else None
        if not found or visible is None:
            audit.refusal = audit.refusal or (
                "no such version" if allowed else "no such resource, or refused by the access policy"
            )
            raise NotFoundError(f"{rtype}/{rid}/_history/{vid} is not known")
        decisions.disclosed(found[0], f"{found[0].ref}/_history/{vid}")
        return found[0], visible

    def history(self, caller: Caller, rtype: str, rid: str, audit: AuditInfo) -> Json:
        audit.interaction, audit.resource_type, audit.requested = "history-instance", rtype, f"{rtype}/{rid}"
        self.require(caller, rtype, "read", audit)
        with self.engine.connect() as conn:
            decisions = Decisions(self, conn, caller, audit)
            current = reads.current(conn, rtype, rid)
            if current is not None:
                decisions.concerning(current)  # the resource it named: shown or refused
            if current is None or decisions.shown(current) is None:
                audit.refusal = "no such resource" if current is None else "refused by the access policy"
                raise NotFoundError(f"{rtype}/{rid} is not known")
            versions = reads.versions(conn, rtype, rid)
            if self.current_only(caller):
                versions = [v for v in versions if v.version == current.version]
            shown = [(v, seen) for v in versions if (seen := decisions.shown(v)) is not None]
        for version, _sent in shown:
            decisions.disclosed(version, f"{version.ref}/_history/{version.version}")
        return bundles.history(self.base_url, f"{rtype}/{rid}/_history", shown)

    @staticmethod
    def current_only(caller: Caller) -> bool:
        """A patient-facing reader (the service user's app) is given the current version of
        a resource alone. What a carer asked to keep from the service user is withheld by the
        labels of the version that holds it (NOPAT); an older version of another resource
        carries no such label for what it said then (the crisis plan that repeated what the
        carer noticed before they asked, or before the plan stopped repeating it: H06).
        So are partners outside direct care (a VCSE partner, a council): a consent shares
        with them for the care they give now, and earlier versions (what a plan said before
        something was asked to be left out, old addresses) are more than that needs."""
        return caller.viewer.organisation_type in CURRENT_VERSION_ONLY

    # --- search -------------------------------------------------------------------------------

    def search(
        self,
        caller: Caller,
        rtype: str,
        params: Sequence[tuple[str, str]],
        audit: AuditInfo,
        *,
        sealed_for: str | None = None,
    ) -> Json:
        """A page of a search; its ``next`` link sealed for ``sealed_for`` (a posted search's
        client: see ``paging``)."""
        audit.interaction, audit.resource_type = "search-type", rtype
        self.require(caller, rtype, "search", audit)
        request = search_params.parse(
            rtype,
            params,
            base_url=self.base_url,
            default_count=self.page_size,
            max_count=self.max_page_size,
            timestamp=reads.timestamp_for(self.engine.dialect.name),
        )
        if not caller.viewer.profile.bulk_search and rtype not in DIRECTORY_TYPES and not request.names_one():
            raise UsageError(
                f"searches of {rtype} by this client must name one patient (patient, subject, identifier or _id,"
                " one value)"
            )
        if not caller.viewer.profile.bulk_search and rtype in DIRECTORY_TYPES and request.revincludes:
            # a directory search names no one: what refers to a team or a practice would be
            # everyone's plans and teams, for a client that must name the patient
            raise UsageError(f"_revinclude from {rtype}: this client's searches must name the patient")
        self_url = self.pages.page_url(self.base_url, rtype, request.given, request.after, sealed_for=sealed_for)
        with self.engine.connect() as conn:
            decisions = Decisions(self, conn, caller, audit)
            if request.summary_count or request.count == 0:
                total = self._count(conn, decisions, request)
                return bundles.searchset(
                    self.base_url, rtype, request.given, [], [], next_url=None, total=total, self_url=self_url
                )
            matches, more = self._page(conn, decisions, request)
            includes = self._includes(conn, decisions, request, matches)
            decisions.returned(matches)
            decisions.returned(includes)
        next_url = (
            self.pages.page_url(self.base_url, rtype, request.given, matches[-1][0].resource_id, sealed_for=sealed_for)
            if more and matches
            else None
        )
        return bundles.searchset(
            self.base_url, rtype, request.given, matches, includes, next_url=next_url, total=None, self_url=self_url
        )

    def _page(
        self, conn: Connection, decisions: Decisions, request: search_params.SearchRequest
    ) -> tuple[list[tuple[Stored, bytes]], bool]:
        """A page of visible matches, and whether there are more (scanning on past the
        ones the caller may not see; the cursor is always a resource it was given)."""
        found: list[tuple[Stored, bytes]] = []
        after = request.after
        batch = max(request.count + 1, 50)
        while True:
            rows = reads.candidates(conn, request.resource_type, request.conditions, after=after, limit=batch)
            for stored in rows:
                sent = self._shown_match(decisions, request, stored)
                if sent is not None:
                    found.append((stored, sent))
                    if len(found) > request.count:
                        return found[: request.count], True
            if len(rows) < batch:
                return found, False
            after = rows[-1].resource_id

    def _shown_match(self, decisions: Decisions, request: search_params.SearchRequest, stored: Stored) -> bytes | None:
        """What the caller is shown of a candidate, if it still matches: the database matched
        the whole resource, and a view narrowed for this reader must match by what it shows
        (a VCSE partner asking CarePlan?performer=<a team> must not learn that the team acts
        in a plan whose actions it is not shown)."""
        sent = decisions.shown(stored)
        if sent is None or not bundles.is_narrowed(sent):
            return sent
        content = request.judged_by_content()
        if not content:
            return sent
        shown = index_rows(stored.resource_type, stored.resource_id, orjson.loads(sent))
        whole = index_rows(stored.resource_type, stored.resource_id, orjson.loads(stored.content))
        meets = search_params.view_meets(stored.resource_type, content, shown, whole, base_url=self.base_url)
        return sent if meets else None

    def _count(self, conn: Connection, decisions: Decisions, request: search_params.SearchRequest) -> int:
        total, after = 0, request.after
        while True:
            rows = reads.candidates(conn, request.resource_type, request.conditions, after=after, limit=500)
            for stored in rows:
                if self._shown_match(decisions, request, stored) is not None:
                    total += 1
                    if request.names_patient:
                        # a count of a patient the search names tells that the trust knows
                        # them: it is a disclosure about them, named in the audit (a count
                        # over everyone, a bare number, names no one)
                        decisions.concerning(stored)
            if len(rows) < 500:
                return total
            after = rows[-1].resource_id

    def _includes(
        self,
        conn: Connection,
        decisions: Decisions,
        request: search_params.SearchRequest,
        matches: list[tuple[Stored, bytes]],
    ) -> list[tuple[Stored, bytes]]:
        seen = {s.ref for s, _ in matches}
        wanted: list[str] = []
        for include in request.includes:
            for stored, sent in matches:
                # what the caller was shown refers to it (not what a narrowed view left out)
                for row in index_rows(stored.resource_type, stored.resource_id, orjson.loads(sent)):
                    ref = row["value"]
                    if row["param"] == include.param.name and (
                        include.target is None or ref.startswith(include.target + "/")
                    ):
                        wanted.append(ref)
        reverse: dict[str, set[str]] = {}  # a reverse-included ref → the params it was found by
        for include in request.revincludes:
            for ref in reads.referring(conn, include.source_type, include.param.name, seen):
                wanted.append(ref)
                reverse.setdefault(ref, set()).add(include.param.name)
        matched = set(seen)
        # a client that must name the patient is given nothing of anyone else's, however
        # the data links them (a care team naming another service user as a participant)
        people = None if decisions.caller.viewer.profile.bulk_search else {s.service_user_id for s, _ in matches}
        out: list[tuple[Stored, bytes]] = []
        for stored in reads.by_refs(conn, (r for r in wanted if r not in seen)):
            if not self._may_read(decisions.caller, stored.resource_type):
                continue
            if people is not None and stored.service_user_id is not None and stored.service_user_id not in people:
                continue
            shown = decisions.shown(stored)
            if shown is None or stored.ref in seen:
                continue
            if stored.ref in reverse and bundles.is_narrowed(shown):
                # reverse-included for a reference that what the caller is shown may not hold
                rows = index_rows(stored.resource_type, stored.resource_id, orjson.loads(shown))
                if not any(r["param"] in reverse[stored.ref] and r["value"] in matched for r in rows):
                    continue
            seen.add(stored.ref)
            out.append((stored, shown))
            if len(matches) + len(out) > MAX_PAGE_RESOURCES:
                # refused, never cut short: a page missing some of what it includes would
                # look complete to the client
                raise SearchTooCostlyError(
                    f"this page's matches and includes would be more than {MAX_PAGE_RESOURCES} resources:"
                    " ask for a smaller _count or fewer _include/_revinclude"
                )
        return out

    @staticmethod
    def _may_read(caller: Caller, rtype: str) -> bool:
        return caller.token.grants.allows(rtype, "read")

    # --- Patient/$everything -------------------------------------------------------------------

    def everything(self, caller: Caller, rid: str, audit: AuditInfo) -> Json:
        audit.interaction, audit.resource_type, audit.requested = "operation", "Patient", f"Patient/{rid}"
        self.require(caller, "Patient", "read", audit)
        with self.engine.connect() as conn:
            decisions = Decisions(self, conn, caller, audit)
            patient = reads.current(conn, "Patient", rid)
            if patient is not None:
                decisions.concerning(patient)  # the patient it named: shown or refused
            if patient is None or patient.service_user_id is None or decisions.shown(patient) is None:
                audit.refusal = "no such patient" if patient is None else "refused by the access policy"
                raise NotFoundError(f"Patient/{rid} is not known")
            shown: list[tuple[Stored, bytes]] = []
            for stored in reads.of_service_user(conn, patient.service_user_id):
                if self._may_read(caller, stored.resource_type) and (seen := decisions.shown(stored)) is not None:
                    shown.append((stored, seen))
            directory = {
                row["value"]
                for stored, sent in shown
                for row in index_rows(stored.resource_type, stored.resource_id, orjson.loads(sent))
                if row["value"] and row["value"].split("/", 1)[0] in DIRECTORY_TYPES
            }
            for stored in reads.by_refs(conn, sorted(directory)):
                if self._may_read(caller, stored.resource_type) and (seen := decisions.shown(stored)) is not None:
                    shown.append((stored, seen))
            # one service user's record and the directory it refers to, all of it: not paged,
            # and named in full in the AuditEvent (which names every resource returned)
            decisions.returned(shown)
        return bundles.searchset(
            self.base_url, f"Patient/{rid}/$everything", [], shown, [], next_url=None, total=len(shown)
        )

    # --- $validate -----------------------------------------------------------------------------

    def validate(self, rtype: str, body: bytes, profile: str | None) -> Json:
        try:
            resource = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UsageError("the body is not JSON") from None
        if isinstance(resource, dict) and resource.get("resourceType") == "Parameters":
            found = [
                p.get("resource")
                for p in resource.get("parameter", ())
                if isinstance(p, dict) and p.get("name") == "resource"
            ]
            if len(found) != 1:
                raise UsageError("Parameters must hold one parameter named resource")
            resource = found[0]
        if not isinstance(resource, dict) or resource.get("resourceType") != rtype:
            raise UsageError(f"the body must be a {rtype} (or Parameters holding one)")
        with self._validator_lock:
            if self._validator is None:
                self._validator = self._validator_factory()
            result = self._validator.validate(resource, [profile] if profile else [])
        outcome: Json = result.to_operation_outcome()
        if not outcome.get("issue"):
            outcome["issue"] = [{"severity": "information", "code": "informational", "details": {"text": "No issues"}}]
        return outcome
