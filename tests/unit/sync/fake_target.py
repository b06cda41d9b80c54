"""An in-memory FHIR R4 server behind ``httpx.MockTransport``, for the sync: enough of R4's
http rules to take what the sync sends (transactions of updates by id with ``ifMatch``,
batches of identifier searches, reads, counts), with switches for what a server may do
differently and still be a FHIR server, or what one out there does wrong.

HAPI and Medplum are tried for real in tests/integration; this one is for the behaviours
they do not have (a response with no version, a server that ignores a search parameter,
one that answers 200 to a transaction it half refused)."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx

Json = dict[str, Any]
BASE = "http://target.test/fhir"


@dataclass
class FakeTarget:
    #: give the version in each response entry (``_history`` in location, and etag)
    versions: bool = True
    #: answer a transaction's entries in the reverse order (R4 says: the request's order)
    reverse_entries: bool = False
    #: answer 200 to a transaction whose entry at this index it refused (R4: all or nothing)
    refuse_entry: int | None = None
    #: ignore the identifier search parameter (R4 lets a server ignore what it does not
    #: support), answering every resource of the type, a page at a time
    ignore_identifier: bool = False
    page_size: int = 5
    #: answer the first page of every search with no entry and a link to the next (a server
    #: that cuts a page short, on time or cost, as Cosmos DB-backed ones do)
    empty_first_page: bool = False
    #: answer a POST of a transaction with this status and no body (a redirect, 404)
    transaction_status: int | None = None
    #: keep a resource's tags and security labels across updates, adding the update's own,
    #: until ``$meta-delete`` takes them off (HAPI FHIR does; R4 leaves it to the server)
    keeps_meta: bool = False
    #: create what a ``PUT`` names and it does not hold under an id of its own, answering 201
    #: with that id's location: a server that does not keep client ids (R4 lets a server refuse
    #: update as create; some take the PUT as a create instead, as they would a POST)
    assigns_ids: bool = False
    #: the status of a transaction refused for a stale ``ifMatch`` (R4: a failed transaction
    #: is any 4xx with an OperationOutcome; an entry's 412 may come back as the whole's 400)
    conflict_status: int = 412
    #: answer each search of a batch "200 OK" yet failed: ``"resource"``, an OperationOutcome
    #: in place of the searchset; ``"entry"``, a searchset of no match whose OperationOutcome
    #: entry (search.mode outcome) says the search failed
    failed_searches: str | None = None
    #: resources deleted on the server: a read answers 410; a transaction updating one with
    #: ``ifMatch`` fails whole with ``gone_status`` (R4 lets it be any 4xx); an update without
    #: ``ifMatch`` creates it again
    deleted: set[tuple[str, str]] = field(default_factory=set)
    gone_status: int = 410
    #: answer a transaction it committed with this status and no body at all (``Prefer:
    #: return=minimal`` read as applying to the whole answer), or with an HTML page
    empty_answer: int | None = None
    html_answer: bool = False
    #: give the etag of a response entry bare (``3``), not as an HTTP entity tag (``W/"3"``)
    bare_etags: bool = False
    #: a response entry's status as it comes: "201 Created" (R4's form), "201", or the JSON
    #: number 201 (not a FHIR string)
    status_form: str = "text"
    #: take batches (R4 makes batch an interaction of its own: a server may offer transaction
    #: and not batch, answering 405)
    batches: bool = True
    #: hold R5 and R4 with R5 the default (Firely Server, HAPI FHIR set up for several
    #: versions): R4 is what is asked for by name (``fhirVersion=4.0`` on the media type,
    #: R4 http 3.1.0.1.11); anything else sent or asked is read as R5, and refused here
    r5_default: bool = False
    #: answer a transaction's entry at this index with no ``response`` at all (R4 makes it
    #: 1..1; the transaction itself was committed)
    entry_without_response: int | None = None
    #: keep no ``meta.security`` labels, and no extension of these URLs, of what is sent (a
    #: server that stores what it understands, or a proxy that strips them)
    drops_security: bool = False
    drops_extensions: frozenset[str] = frozenset()
    #: take a search by system alone (``identifier=system|``, R4: any value of the system) as
    #: one for an empty value: it finds nothing, and counts 0
    system_only_finds_nothing: bool = False
    #: answer every read with this status (a server that enforces labels on reads, say)
    read_status: int | None = None
    #: merged into every resource's entry of the CapabilityStatement
    capability: Json = field(default_factory=dict)
    resources: dict[tuple[str, str], Json] = field(default_factory=dict)
    requests: list[tuple[str, str, Json | None]] = field(default_factory=list)
    #: (Accept, Content-Type) of every request
    media_types: list[tuple[str, str]] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # --- the server's own records ---------------------------------------------------------

    def put(self, resource: Json) -> tuple[Json, bool]:
        """Store a resource under its id: (stored, created). An update that changes nothing
        keeps its version."""
        key = (resource["resourceType"], resource["id"])
        current = self.resources.get(key)
        body = copy.deepcopy(resource)
        if self.drops_security:
            body.get("meta", {}).pop("security", None)
        if self.drops_extensions:
            _drop_extensions(body, self.drops_extensions)
        meta = body.get("meta") or {}
        if self.keeps_meta and current is not None:
            meta = {**meta, **_with_marks(meta, current["meta"])}
        if current is not None and _content(current) == _content(body) and _marks(current["meta"]) == _marks(meta):
            return current, False
        version = 1 if current is None else int(current["meta"]["versionId"]) + 1
        body["meta"] = {**meta, "versionId": str(version)}
        self.resources[key] = body
        return body, current is None

    def delete(self, key: tuple[str, str]) -> None:
        del self.resources[key]
        self.deleted.add(key)

    def of_type(self, rtype: str) -> list[Json]:
        return [r for (t, _), r in sorted(self.resources.items()) if t == rtype]

    # --- HTTP -----------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/fhir")
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body))
        self.media_types.append((request.headers.get("accept", ""), request.headers.get("content-type", "")))
        if self.r5_default:
            asks_r4 = "fhirversion=4.0" in request.headers.get("accept", "").replace(" ", "").lower()
            if request.method == "GET" and path == "/metadata":
                return _fhir(200, {**self._statement(), "fhirVersion": "4.0.1" if asks_r4 else "5.0.0"})
            sends_r4 = "fhirversion=4.0" in request.headers.get("content-type", "").replace(" ", "").lower()
            if not asks_r4 or (body is not None and not sends_r4):
                return _fhir(400, _outcome("structure", "read as R5"))
        if request.method == "GET" and path == "/metadata":
            return _fhir(200, self._statement())
        if request.method == "POST" and path in ("", "/"):  # many servers take both; R4 names [base]
            if body is not None and body.get("type") == "batch":
                if not self.batches:
                    return _fhir(405, _outcome("not-supported", "batch is not supported"))
                return _fhir(200, self._batch(body))
            if self.transaction_status is not None:
                return httpx.Response(self.transaction_status, headers={"Location": BASE + "/other"})
            answer = self._transaction(body or {})
            if answer.status_code == 200 and self.empty_answer is not None:
                return httpx.Response(self.empty_answer)
            if answer.status_code == 200 and self.html_answer:
                return httpx.Response(
                    200, text="<html><body>Saved</body></html>", headers={"Content-Type": "text/html"}
                )
            return answer
        if request.method == "POST" and path.endswith("/$meta-delete") and body is not None:
            return self._meta_delete(path.strip("/").split("/")[:2], body)
        if request.method == "GET":
            parts = path.strip("/").split("/")
            if len(parts) == 2:
                if self.read_status is not None:
                    return _fhir(self.read_status, _outcome("forbidden", "not for you"))
                found = self.resources.get((parts[0], parts[1]))
                if (parts[0], parts[1]) in self.deleted:
                    return _fhir(410, _outcome("deleted", "deleted"))
                if found is None:
                    return _fhir(404, _outcome("not-found", "no such resource"))
                return _fhir(200, found, {"ETag": f'W/"{found["meta"]["versionId"]}"'})
            if len(parts) == 1:
                return _fhir(200, self._search(parts[0], parse_qs(request.url.query.decode())))
        return _fhir(404, _outcome("not-found", f"{request.method} {path}"))

    def _statement(self) -> Json:
        types = sorted({"Provenance", *(t for t in _SENT_TYPES)})
        return {
            "resourceType": "CapabilityStatement",
            "fhirVersion": "4.0.1",
            "software": {"name": "fake", "version": "1"},
            "rest": [
                {
                    "mode": "server",
                    "interaction": [{"code": "transaction"}, *([{"code": "batch"}] if self.batches else [])],
                    "resource": [
                        {
                            "type": t,
                            "interaction": [{"code": "update"}, {"code": "read"}],
                            "conditionalUpdate": True,
                            **self.capability,
                        }
                        for t in types
                    ],
                }
            ],
        }

    def _transaction(self, bundle: Json) -> httpx.Response:
        answers = []
        for n, entry in enumerate(bundle.get("entry") or []):
            request = entry["request"]
            rtype, rid = request["url"].split("/")
            current = self.resources.get((rtype, rid))
            if current is None and self.assigns_ids:
                rid = f"s{len(self.resources) + 1}"
            wanted = request.get("ifMatch")
            if wanted is not None and (rtype, rid) in self.deleted:
                return _fhir(self.gone_status, _outcome("deleted", f"{rtype}/{rid} was deleted"))
            self.deleted.discard((rtype, rid))
            if wanted is not None and (current is None or wanted != f'W/"{current["meta"]["versionId"]}"'):
                return _fhir(self.conflict_status, _outcome("conflict", f"{rtype}/{rid}: version mismatch"))
            if n == self.refuse_entry:
                answers.append({"response": {"status": "400 Bad Request", "outcome": _outcome("invalid", "refused")}})
                continue
            stored, created = self.put({**entry["resource"], "id": rid})
            version = stored["meta"]["versionId"]
            code = 201 if created else 200
            status = {"text": f"{code} {'Created' if created else 'OK'}", "code": str(code)}.get(self.status_form, code)
            response: Json = {"status": status}
            response["location"] = f"{rtype}/{rid}/_history/{version}" if self.versions else f"{rtype}/{rid}"
            if self.versions:
                response["etag"] = version if self.bare_etags else f'W/"{version}"'
            answers.append({"response": response} if n != self.entry_without_response else {})
        if self.reverse_entries:
            answers.reverse()
        return _fhir(200, {"resourceType": "Bundle", "type": "transaction-response", "entry": answers})

    def _meta_delete(self, where: list[str], parameters: Json) -> httpx.Response:
        found = self.resources.get((where[0], where[1]))
        if found is None:
            return _fhir(404, _outcome("not-found", "no such resource"))
        gone = parameters["parameter"][0]["valueMeta"]
        for kind in ("tag", "security"):
            drop = {(m.get("system"), m.get("code")) for m in gone.get(kind, ())}
            kept = [m for m in found["meta"].get(kind, ()) if (m.get("system"), m.get("code")) not in drop]
            found["meta"][kind] = kept
        return _fhir(200, {"resourceType": "Parameters", "parameter": [{"name": "return", "valueMeta": found["meta"]}]})

    def _batch(self, bundle: Json) -> Json:
        entries = []
        for entry in bundle.get("entry") or []:
            url = urlsplit(entry["request"]["url"])
            found = self._search(url.path, parse_qs(url.query))
            failed = _outcome("too-costly", "search not run")
            if self.failed_searches == "resource":
                found = failed
            elif self.failed_searches == "entry":
                found = {**found, "entry": [{"resource": failed, "search": {"mode": "outcome"}}], "total": 0}
            entries.append({"resource": found, "response": {"status": "200 OK"}})
        return {"resourceType": "Bundle", "type": "batch-response", "entry": entries}

    def _search(self, rtype: str, params: dict[str, list[str]]) -> Json:
        found = self.of_type(rtype)
        identifier = params.get("identifier")
        if identifier and not self.ignore_identifier:
            system, _, value = unquote(identifier[0]).partition("|")
            system, value = _unescape(system), _unescape(value)
            found = [
                r
                for r in found
                if any(
                    i.get("system") == system
                    and (value == i.get("value") or (value == "" and not self.system_only_finds_nothing))
                    for i in _ids(r)
                )
            ]
        if params.get("_summary") == ["count"]:
            return {"resourceType": "Bundle", "type": "searchset", "total": len(found)}
        number = int(params.get("_page", ["1"])[0])
        if self.empty_first_page:  # page 1 holds nothing but the link to page 2
            found = [{}, *found]
            start = 0 if number == 1 else 1 + (number - 2) * self.page_size
            end = 1 if number == 1 else start + self.page_size
        else:
            start, end = (number - 1) * self.page_size, number * self.page_size
        page = [r for r in found[start:end] if r]
        out: Json = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in page],
        }
        if len(found) > end:
            query = urlencode(
                {**{k: v for k, v in params.items() if k != "_page"}, "_page": [str(number + 1)]}, doseq=True
            )
            out["link"] = [{"relation": "next", "url": f"{BASE}/{rtype}?{query}"}]
        return out


#: what a synthetic extract holds, and so what the statement must offer
_SENT_TYPES = (
    "CarePlan",
    "CareTeam",
    "Communication",
    "Condition",
    "Consent",
    "DocumentReference",
    "Encounter",
    "EpisodeOfCare",
    "Flag",
    "Goal",
    "HealthcareService",
    "Location",
    "MedicationStatement",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RiskAssessment",
    "Task",
)


def _with_marks(new: Json, old: Json) -> Json:
    """The tags and labels of an update, with the ones the version before had added."""
    out: Json = {}
    for kind in ("tag", "security"):
        marks = list(new.get(kind, ()))
        have = {(m.get("system"), m.get("code")) for m in marks}
        marks += [m for m in old.get(kind, ()) if (m.get("system"), m.get("code")) not in have]
        if marks:
            out[kind] = marks
    return out


def _drop_extensions(node: Any, urls: frozenset[str]) -> None:
    """Take the extensions of these URLs out of a resource, wherever they are."""
    if isinstance(node, dict):
        for key in ("extension", "modifierExtension"):
            if key in node:
                node[key] = [e for e in node[key] if e.get("url") not in urls]
                if not node[key]:
                    del node[key]
        for value in node.values():
            _drop_extensions(value, urls)
    elif isinstance(node, list):
        for item in node:
            _drop_extensions(item, urls)


def _ids(resource: Json) -> list[Json]:
    """A resource's identifiers: a list, or one (QuestionnaireResponse.identifier is 0..1)."""
    found = resource.get("identifier") or []
    return [found] if isinstance(found, dict) else list(found)


def _marks(meta: Json) -> tuple[object, object]:
    return meta.get("tag"), meta.get("security")


def _content(resource: Json) -> Json:
    return {k: v for k, v in resource.items() if k != "meta"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _outcome(code: str, text: str) -> Json:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


def _fhir(status: int, body: Json, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": "application/fhir+json", **(headers or {})}
    )
