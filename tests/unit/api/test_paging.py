"""Page links: a posted search's next link is sealed (what it names stays out of URLs),
bound to its client and type, and expires; a GET search's keeps its parameters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from fhircare.api.paging import LIFETIME_SECONDS, PageLinks, decode_after, is_sealed
from fhircare.errors import UsageError

BASE = "https://api.example.org/fhir"
NHS = "https://fhir.nhs.uk/Id/nhs-number|9434765919"
POSTED = [("identifier", NHS), ("_count", "1"), ("_pretty", "true")]


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_a_get_search_next_link_keeps_every_parameter_in_the_clear() -> None:
    url = PageLinks("k").page_url(BASE, "Patient", [*POSTED, ("_page", "old")], "p2", sealed_for=None)
    query = _query(url)
    assert ("identifier", NHS) in query and ("_count", "1") in query
    assert decode_after(dict(query)["_page"]) == "p2"


def test_a_posted_search_next_link_holds_nothing_of_the_search_and_opens_to_it() -> None:
    pages = PageLinks("k")
    url = pages.page_url(BASE, "Patient", POSTED, "p2", sealed_for="client-a")
    assert "9434765919" not in url and "identifier" not in url and "_count" not in url
    query = _query(url)
    assert is_sealed(query) and dict(query)["_pretty"] == "true"
    opened = pages.open(query, "client-a", "Patient")
    assert opened[:3] == [("identifier", NHS), ("_count", "1"), ("_pretty", "true")]
    assert opened[-1][0] == "_page" and decode_after(opened[-1][1]) == "p2"
    # sealed afresh each time: two links to the same page do not look alike
    assert pages.page_url(BASE, "Patient", POSTED, "p2", sealed_for="client-a") != url


@pytest.mark.parametrize(
    ("client", "path", "extra", "key"),
    [
        ("client-b", "Patient", [], "k"),  # another client
        ("client-a", "CarePlan", [], "k"),  # another type's search
        ("client-a", "Patient", [("active", "true")], "k"),  # the search changed
        ("client-a", "Patient", [("_count", "100")], "k"),
        ("client-a", "Patient", [], "another key"),  # another server (or a new token key)
    ],
)
def test_a_sealed_link_opens_only_for_its_client_type_and_search(
    client: str, path: str, extra: list[tuple[str, str]], key: str
) -> None:
    url = PageLinks("k").page_url(BASE, "Patient", POSTED, "p2", sealed_for="client-a")
    with pytest.raises(UsageError):
        PageLinks(key).open([*_query(url), *extra], client, path)


def test_a_tampered_or_expired_link_is_refused() -> None:
    now = [1_000_000.0]
    pages = PageLinks("k", clock=lambda: now[0])
    query = _query(pages.page_url(BASE, "Patient", POSTED, "p2", sealed_for="c"))
    token = dict(query)["_page"]
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(UsageError):
        pages.open([("_page", tampered)], "c", "Patient")
    now[0] += LIFETIME_SECONDS + 1
    with pytest.raises(UsageError, match="expired"):
        pages.open(query, "c", "Patient")


def test_the_first_page_of_a_posted_search_has_a_sealed_self_link_too() -> None:
    pages = PageLinks("k")
    url = pages.page_url(BASE, "Patient", POSTED, None, sealed_for="client-a")
    assert "9434765919" not in url
    assert pages.open(_query(url), "client-a", "Patient") == POSTED  # no _page: the first page
