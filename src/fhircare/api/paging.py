"""Page links of a search: in the clear for a GET search, sealed for a posted one.

A search is posted (``POST [type]/_search``, a form) to keep what it names out of URLs:
an NHS number in a query string is written to every proxy's and server's access log on
the way. A ``next`` link that repeated the posted parameters would put them back into the
URL the client then GETs. So a posted search's ``next`` link carries only a sealed token
(``_page=s.…``): the search's parameters and where the page starts, encrypted and
authenticated (AES-GCM, a key derived from the API's token key), bound to the client it
was given to and to the resource type, and good for ``LIFETIME_SECONDS``. Its pages are
again posted-search pages: their ``next`` links are sealed too.

A GET search's ``next`` link keeps every parameter in the clear (they were in its URL
already), with an unsealed ``_page`` that says only where the page starts.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Sequence

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fhircare.api.bundles import link
from fhircare.errors import UsageError

#: a sealed token starts so (an unsealed one is base64url, which has no '.')
SEALED = "s."
#: how long a posted search's page links can be followed
LIFETIME_SECONDS = 3600
#: parameters a GET of a sealed page link may add (how the answer is written, not what it holds)
_PRESENTATION = frozenset({"_format", "_pretty"})
_NONCE = 12


def encode_after(after: str) -> str:
    """An unsealed page token: where the next page starts (a resource id, nothing personal)."""
    return base64.urlsafe_b64encode(orjson.dumps({"after": after})).decode().rstrip("=")


def decode_after(token: str) -> str:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = data["after"]
        if not isinstance(after, str) or len(after) > 64:
            raise ValueError
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise UsageError("_page: not a paging token this server gave") from None
    return after


def is_sealed(params: Sequence[tuple[str, str]]) -> bool:
    return any(k == "_page" and v.startswith(SEALED) for k, v in params)


class PageLinks:
    """Writes a search's ``next`` link, and opens the sealed ones it wrote."""

    def __init__(self, token_key: str, clock: Callable[[], float] = time.time) -> None:
        derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fhircare search page links")
        self._aead = AESGCM(derive.derive(token_key.encode()))
        self._clock = clock

    def page_url(
        self,
        base_url: str,
        path: str,
        given: Sequence[tuple[str, str]],
        after: str | None,
        *,
        sealed_for: str | None,
    ) -> str:
        """The URL of the page starting after ``after`` (the first page: None): ``given`` in
        the clear, or sealed for the client ``sealed_for`` (a posted search's ``self`` and
        ``next`` links alike)."""
        kept = [(k, v) for k, v in given if k != "_page" and (sealed_for is None or k not in _PRESENTATION)]
        shown = [(k, v) for k, v in given if k in _PRESENTATION]
        if sealed_for is None:
            return link(base_url, path, kept if after is None else [*kept, ("_page", encode_after(after))])
        body = orjson.dumps({"params": kept, "after": after, "expires": int(self._clock()) + LIFETIME_SECONDS})
        nonce = os.urandom(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, body, _bound(sealed_for, path))
        token = SEALED + base64.urlsafe_b64encode(sealed).decode().rstrip("=")
        return link(base_url, path, [*shown, ("_page", token)])

    def open(self, params: Sequence[tuple[str, str]], client_id: str, path: str) -> list[tuple[str, str]]:
        """The parameters of the posted search a sealed page link continues, with where its
        page starts (UsageError when it was not sealed for this client and type, or expired)."""
        tokens = [v for k, v in params if k == "_page"]
        others = [k for k, _ in params if k != "_page" and k not in _PRESENTATION]
        if len(tokens) != 1 or others:
            raise UsageError("a page link of a posted search takes no other search parameters")
        raw = tokens[0][len(SEALED) :]
        try:
            sealed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            body = orjson.loads(self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], _bound(client_id, path)))
            kept = [(str(k), str(v)) for k, v in body["params"]]
            after, expires = body["after"], int(body["expires"])
            if after is not None and not isinstance(after, str):
                raise TypeError
        except (ValueError, InvalidTag, KeyError, TypeError, orjson.JSONDecodeError):
            raise UsageError("_page: not a paging token this server gave this client for this search") from None
        if expires < self._clock():
            raise UsageError("_page: this page link has expired: search again")
        shown = [(k, v) for k, v in params if k in _PRESENTATION]
        return [*kept, *shown, *([] if after is None else [("_page", encode_after(after))])]


def _bound(client_id: str, path: str) -> bytes:
    # what the token is sealed to: another client, or another type's search, cannot open it
    return orjson.dumps([client_id, path])


__all__ = ["LIFETIME_SECONDS", "SEALED", "PageLinks", "decode_after", "encode_after", "is_sealed"]
