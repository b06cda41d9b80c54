"""The FHIR client's retries (transport errors, 429 with Retry-After, 502/503/504, never a
4xx or a 500), its refusal of non-FHIR servers, and the capability check."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import orjson
import pytest

from fhircare.errors import TargetAuthError, TargetError, UsageError
from fhircare.sync.capabilities import check_capabilities
from fhircare.sync.client import FhirClient, RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, sleeps: list[float] | None = None, attempts: int = 4) -> FhirClient:
    waits = sleeps if sleeps is not None else []
    return FhirClient(
        "http://fhir.test/base",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=attempts, base_seconds=0.5, max_seconds=8),
        sleep=waits.append,
    )


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


BUNDLE = {"resourceType": "Bundle", "type": "transaction-response", "entry": []}


def test_transient_answers_and_transport_errors_are_retried_with_backoff() -> None:
    handler, seen = scripted(
        httpx.ConnectError("refused"),
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json=BUNDLE),
    )
    sleeps: list[float] = []
    answer = client(handler, sleeps).transaction(b"{}")
    assert answer.ok and answer.body == BUNDLE
    assert len(seen) == 4
    assert sleeps[2] == 2.0, "Retry-After is honoured"
    assert all(0 <= s <= 8 for s in sleeps)
    assert seen[0].headers["Content-Type"] == "application/fhir+json"
    assert seen[0].url == "http://fhir.test/base"  # R4: POST [base], not [base]/


@pytest.mark.parametrize("status", [400, 404, 409, 412, 422, 500])
def test_a_verdict_or_a_500_is_returned_at_once_never_retried(status: int) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}
    handler, seen = scripted(httpx.Response(status, json=outcome))
    answer = client(handler).transaction(b"{}")
    assert answer.status == status and answer.outcome() == outcome
    assert len(seen) == 1


def test_retries_used_up_return_the_last_answer_or_raise_on_transport() -> None:
    handler, seen = scripted(*[httpx.Response(502)] * 4)
    assert client(handler).transaction(b"{}").status == 502
    assert len(seen) == 4
    handler, _ = scripted(*[httpx.ReadTimeout("slow")] * 4)
    with pytest.raises(TargetError, match="did not answer"):
        client(handler).transaction(b"{}")


def test_a_401_is_an_authentication_error() -> None:
    handler, _ = scripted(httpx.Response(401))
    with pytest.raises(TargetAuthError):
        client(handler).transaction(b"{}")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>hello</html>"),
        httpx.Response(404, text="not found"),
        httpx.Response(200, json={"resourceType": "Patient"}),
    ],
)
def test_a_server_that_is_not_fhir_is_named_as_such(response: httpx.Response) -> None:
    handler, _ = scripted(response)
    with pytest.raises(TargetError, match="is not a FHIR server"):
        client(handler).capabilities()


def test_searches_follow_next_links_on_the_same_server_only() -> None:
    page2 = "http://fhir.test/base/Patient?page=2"
    handler, seen = scripted(
        httpx.Response(
            200,
            json={
                "resourceType": "Bundle",
                "entry": [{"resource": {"resourceType": "Patient", "id": "1"}}],
                "link": [{"relation": "next", "url": page2}],
            },
        ),
        httpx.Response(
            200, json={"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "2"}}]}
        ),
    )
    found = list(client(handler).search("Patient", {"identifier": "s|a,b"}))
    assert [p["id"] for p in found] == ["1", "2"]
    assert seen[0].url.params["identifier"] == "s|a,b"
    assert str(seen[1].url) == page2
    handler, _ = scripted(
        httpx.Response(
            200, json={"resourceType": "Bundle", "link": [{"relation": "next", "url": "http://elsewhere/x"}]}
        )
    )
    with pytest.raises(TargetError, match="another server"):
        list(client(handler).search("Patient", {}))


def statement(**resource_extras: object) -> dict[str, object]:
    resources = [
        {"type": t, "interaction": [{"code": "update"}], "conditionalUpdate": True, **resource_extras}
        for t in ("Patient", "CarePlan", "Provenance")
    ]
    return {
        "resourceType": "CapabilityStatement",
        "fhirVersion": "4.0.1",
        "software": {"name": "Test", "version": "1"},
        "rest": [{"mode": "server", "interaction": [{"code": "transaction"}], "resource": resources}],
    }


def test_a_capable_server_passes_the_check() -> None:
    check = check_capabilities(statement(), ["Patient", "CarePlan"])
    assert check.usable and check.software == "Test 1"


def test_every_missing_capability_is_named() -> None:
    lacking = statement(conditionalUpdate=False)
    lacking["fhirVersion"] = "5.0.0"
    lacking["rest"][0]["interaction"] = []  # type: ignore[index]
    check = check_capabilities(orjson.loads(orjson.dumps(lacking)), ["Patient", "CarePlan", "Goal"])
    text = "; ".join(check.missing)
    assert not check.usable
    for expected in ("FHIR R4", "transaction", "Goal: not supported"):
        assert expected in text


def test_an_answer_that_cannot_be_decoded_is_a_clear_target_error() -> None:
    # a proxy saying gzip over a plain body: httpx's DecodingError escaped the client and
    # ended the sync as "an internal error; please report it", naming no cause
    plain = b'{"resourceType":"Bundle"}'
    broken = [httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(plain)) for _ in "1234"]
    handler, seen = scripted(*broken)
    with pytest.raises(TargetError, match="could not be decoded"):
        client(handler).transaction(b"{}")
    assert len(seen) == 4  # retried as a transport error is: a proxy's glitch may pass


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_base_url_is_named_with_where_it_points_not_called_not_fhir(status: int) -> None:
    # http:// to https://, or a base moved: "is not a FHIR server" sent the operator looking
    # for the wrong fault; the answer names where the server points
    handler, _ = scripted(httpx.Response(status, headers={"Location": "https://fhir.test/base/metadata"}))
    with pytest.raises(TargetError) as caught:
        client(handler).capabilities()
    message = str(caught.value)
    assert "not a FHIR server" not in message
    assert f"HTTP {status}" in message and "https://fhir.test/base/metadata" in message and "--target" in message


def _page(ids: list[str], following: str | None) -> httpx.Response:
    body: dict[str, object] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Patient", "id": i}} for i in ids],
    }
    if following is not None:
        body["link"] = [{"relation": "next", "url": following}]
    return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    "following",
    [
        "http://fhir.test/base?_getpages=abc&_getpagesoffset=1",  # HAPI FHIR's: [base]?_getpages=
        "/base/Patient?page=2",  # relative to the host
        "Patient?page=2",  # relative to the page
    ],
)
def test_next_links_in_every_form_r4_allows_reach_the_next_page_on_this_server(following: str) -> None:
    handler, seen = scripted(_page(["1"], following), _page(["2"], None))
    assert [p["id"] for p in client(handler).search("Patient", {})] == ["1", "2"]
    assert seen[1].url.host == "fhir.test" and not seen[1].url.path.startswith("/base/base")


def test_a_next_link_given_twice_ends_the_search_not_loops() -> None:
    page2 = "http://fhir.test/base/Patient?page=2"
    handler, seen = scripted(_page(["1"], page2), *[_page(["2"], page2)] * 5)
    with pytest.raises(TargetError, match="same next page"):
        list(client(handler).search("Patient", {}))
    assert len(seen) == 2


def test_a_next_link_elsewhere_is_refused_without_repeating_its_query() -> None:
    # the query may hold what was searched for (an NHS number): the message is logged
    handler, _ = scripted(_page([], "http://elsewhere.test/fhir/Patient?identifier=s|9434765919"))
    with pytest.raises(TargetError, match="another server") as caught:
        list(client(handler).search("Patient", {}))
    assert "9434765919" not in str(caught.value) and "elsewhere.test" in str(caught.value)


def test_a_base_url_holding_credentials_is_refused_without_repeating_them() -> None:
    # https://user:secret@host/fhir was used as basic auth and printed, stored and logged with
    # every message naming the target ("Synced to ...", the outbox's targets): credentials
    # come from settings (README "Outbound authentication")
    with pytest.raises(UsageError) as caught:
        FhirClient("https://fhircare:s3cret@fhir.test/base")
    assert "s3cret" not in str(caught.value) and "FHIRCARE_TARGET_" in str(caught.value)
