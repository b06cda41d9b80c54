"""A small FHIR R4 client over httpx: the capability statement, transactions, reads and
searches that the sync needs, with retries where a retry is safe.

Retried (exponential backoff with jitter, ``Retry-After`` honoured): transport errors
(connect, read timeout, reset), answers whose body does not match their Content-Encoding,
429, 502, 503 and 504. Every request fhircare sends is
idempotent by construction (conditional updates, updates by id, reads), so sending one
again after a lost answer changes nothing. Nothing else is retried here: the caller
decides what a 4xx or a 500 means.

The transport is a seam: tests pass ``httpx.MockTransport`` or a transport that injects
faults; production uses httpx's own.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_result, stop_after_attempt

import fhircare
from fhircare.errors import TargetAuthError, TargetError, UsageError
from fhircare.mapping.fhir import Json
from fhircare.sync.capabilities import is_r4

FHIR_JSON = "application/fhir+json"
#: FHIR JSON of R4 named: a server holding several versions (Firely Server, HAPI FHIR's
#: multi-version set-up) answers and reads in the one the media type names (R4 http
#: 3.1.0.1.11, the fhirVersion parameter)
FHIR_R4_JSON = "application/fhir+json; fhirVersion=4.0"
#: answers that say "try again later" (the data was not judged)
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0


@dataclass(frozen=True)
class Answer:
    """A response: its status, its JSON body (None when it had none or was not JSON)."""

    status: int
    body: Json | None
    headers: Mapping[str, str]
    #: the answer had no body at all (not one that is not JSON)
    empty: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def outcome(self) -> Json | None:
        body = self.body
        return body if body is not None and body.get("resourceType") == "OperationOutcome" else None


class TooManyPages(TargetError):
    """A search went on for more pages than its caller allowed."""


def _retry_after(response: httpx.Response, cap: float) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # the asctime form names no zone: HTTP dates are GMT (RFC 9110 5.6.7)
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(seconds, cap))


def _last_outcome(state: RetryCallState) -> httpx.Response:
    assert state.outcome is not None
    response: httpx.Response = state.outcome.result()  # raises the last exception, if that is how it ended
    return response


def _transient(exc: BaseException) -> bool:
    # an answer whose body does not match its Content-Encoding (a proxy's glitch) too
    return isinstance(exc, httpx.TransportError | httpx.DecodingError)


class FhirClient:
    """One target FHIR server (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.BaseTransport | None = None,
        max_connections: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if httpx.URL(base_url).userinfo:
            # they would be sent as basic auth, and printed, stored and logged with the URL
            raise UsageError(
                "the target URL holds a user name or password: give the credentials as settings"
                " (FHIRCARE_TARGET_TOKEN, or FHIRCARE_TARGET_CLIENT_ID and its secret or key), never in the URL"
            )
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        #: the media type of what is sent: FHIR_R4_JSON once the server turns out to need it
        self.media_type = FHIR_JSON
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"Accept": FHIR_JSON, "User-Agent": f"fhircare/{fhircare.__version__}"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- sending, with retries -------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if isinstance(response, httpx.Response):
                after = _retry_after(response, self.retry.max_seconds)
                if after is not None:
                    return after
        backoff = min(self.retry.max_seconds, self.retry.base_seconds * 2 ** (state.attempt_number - 1))
        return random.uniform(0, backoff)  # full jitter: workers that failed together spread out

    def send(
        self, method: str, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """One request, retried on transport errors, undecodable answers and 429/502/503/504;
        raises TargetError when the retries are used up on one of the first two (the last
        5xx is returned)."""
        request_headers = dict(headers or {})
        if content is not None:
            request_headers.setdefault("Content-Type", self.media_type)
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_transient) | retry_if_result(lambda r: r.status_code in RETRY_STATUSES),
            sleep=self._sleep,
            # retries used up: the last answer is returned, the last transport error raised
            retry_error_callback=_last_outcome,
        )
        try:
            response = retrying(self._http.request, method, url, content=content, headers=request_headers)
        except httpx.DecodingError:
            tries = self.retry.max_attempts
            raise TargetError(
                f"the target {self.base_url} sent answers that could not be decoded (the body does not match"
                f" its Content-Encoding) after {tries} tries"
            ) from None
        except httpx.TransportError as exc:
            tries = self.retry.max_attempts
            raise TargetError(
                f"the target {self.base_url} did not answer ({type(exc).__name__}) after {tries} tries"
            ) from None
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Answer:
        if response.status_code == 401:
            raise TargetAuthError(
                f"the target {self.base_url} refused fhircare's credentials (401): check the token settings"
            )
        body: Json | None = None
        if response.content:
            try:
                parsed = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                parsed = None
            body = parsed if isinstance(parsed, dict) else None
        return Answer(response.status_code, body, response.headers, empty=not response.content)

    # --- the interactions the sync uses ----------------------------------------------------

    def capabilities(self) -> Json:
        """``GET /metadata``: the server's CapabilityStatement."""
        answer = self.send("GET", "metadata")
        if answer.status == 403:
            raise TargetAuthError(f"the target {self.base_url} refused to show its capabilities (403)")
        if 300 <= answer.status < 400:
            where = answer.headers.get("location")
            raise TargetError(
                f"the target {self.base_url} answered GET {self.base_url}/metadata with HTTP {answer.status}"
                + (f" to {where}" if where else "")
                + ": check --target (fhircare does not follow redirects with the records)"
            )
        body = answer.body
        if not answer.ok or body is None or body.get("resourceType") != "CapabilityStatement":
            what = f"HTTP {answer.status}" if not answer.ok else "an answer that is not a CapabilityStatement"
            raise TargetError(f"{self.base_url} is not a FHIR server: GET {self.base_url}/metadata gave {what}")
        if not is_r4(body.get("fhirVersion")):
            # a server of several versions may default to another: ask for R4 by name, and
            # if it has R4, name R4 in everything sent and asked from now on
            asked = self.send("GET", "metadata", headers={"Accept": FHIR_R4_JSON})
            if asked.ok and asked.body is not None and is_r4(asked.body.get("fhirVersion")):
                self.media_type = FHIR_R4_JSON
                self._http.headers["Accept"] = FHIR_R4_JSON
                return asked.body
        return body

    def transaction(self, bundle: bytes) -> Answer:
        """POST a transaction to ``[base]`` (not ``[base]/``: a server need not route that);
        only the response entries' locations are needed back."""
        return self.send("POST", self.base_url, content=bundle, headers={"Prefer": "return=minimal"})

    def batch(self, bundle: bytes) -> Answer:
        """POST a batch to ``[base]`` (searches: the answers are the point)."""
        return self.send("POST", self.base_url, content=bundle)

    def meta_delete(self, resource_type: str, resource_id: str, meta: Json) -> Answer:
        """``POST [type]/[id]/$meta-delete``: take tags or labels off a resource, which an
        update cannot do on a server that keeps them across updates (HAPI FHIR does)."""
        body = orjson.dumps({"resourceType": "Parameters", "parameter": [{"name": "meta", "valueMeta": meta}]})
        return self.send("POST", f"{resource_type}/{resource_id}/$meta-delete", content=body)

    def read(self, resource_type: str, resource_id: str) -> Answer:
        return self.send("GET", f"{resource_type}/{resource_id}")

    def search(self, resource_type: str, params: Mapping[str, str], *, max_pages: int = 1000) -> Iterator[Json]:
        """Every resource a search finds, following ``next`` links (only to this server:
        fhircare's credentials never go elsewhere); TooManyPages after ``max_pages``."""
        url = f"{self.base_url}/{resource_type}" + (f"?{httpx.QueryParams(dict(params))}" if params else "")
        seen = {url}
        for _page in range(max_pages):
            answer = self.send("GET", url)
            if not answer.ok or answer.body is None:
                raise TargetError(f"search {resource_type} on {self.base_url} failed: HTTP {answer.status}")
            for entry in answer.body.get("entry") or []:
                resource = entry.get("resource")
                if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
                    yield resource
            links = answer.body.get("link") or []
            following = next((link.get("url") for link in links if link.get("relation") == "next"), None)
            if not following:
                return
            # absolute, or relative to this page (R4 lets a server give either); HAPI FHIR's
            # are [base]?_getpages=...
            url = urljoin(url, str(following))
            if not url.startswith((self.base_url + "/", self.base_url + "?")):
                # not its query: it may hold what was searched for, and messages are logged
                elsewhere = urlsplit(url).netloc or "no host"
                raise TargetError(f"search {resource_type}: the next page is on another server ({elsewhere})")
            if url in seen:
                raise TargetError(
                    f"search {resource_type} on {self.base_url}: the server gave the same next page twice"
                )
            seen.add(url)
        raise TooManyPages(f"search {resource_type} on {self.base_url}: more than {max_pages} pages")
