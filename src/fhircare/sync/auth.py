"""How fhircare authenticates to a target FHIR server: not at all, with a static bearer
token, or with OAuth2 client credentials (a client secret, or a ``private_key_jwt`` client
assertion as SMART Backend Services asks), the access token refreshed before it expires
and once more if the server says 401.

Secrets come from settings (environment variables), never from command-line arguments,
which other users of the machine can read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Generator
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from fhircare.errors import TargetAuthError, UsageError
from fhircare.settings import Settings

#: a token is renewed when it has less than this long to live
REFRESH_MARGIN_SECONDS = 60.0
#: a client assertion is valid this long (SMART Backend Services: at most 5 minutes)
ASSERTION_LIFETIME_SECONDS = 300
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class ClientCredentialsAuth(httpx.Auth):
    """OAuth2 client credentials against ``token_url``; thread-safe (sync workers share it)."""

    requires_response_body = False

    def __init__(
        self,
        token_url: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        private_key_pem: bytes | None = None,
        key_id: str | None = None,
        scope: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (client_secret is None) == (private_key_pem is None):
            raise UsageError("client credentials need either a client secret or a private key, not both")
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._key = _load_key(private_key_pem) if private_key_pem is not None else None
        self._key_id = key_id
        self._scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._http = httpx.Client(transport=transport, timeout=30.0)

    # --- tokens ---------------------------------------------------------------------------

    def _assertion(self) -> str:
        assert self._key is not None
        algorithm, key = self._key
        now = int(self._clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
        }
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    def _fetch(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        auth: httpx.BasicAuth | None = None
        if self._secret is not None:
            auth = httpx.BasicAuth(self.client_id, self._secret)
        else:
            form["client_assertion_type"] = JWT_BEARER
            form["client_assertion"] = self._assertion()
        try:
            response = self._http.post(
                self.token_url, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise TargetAuthError(
                f"the token endpoint {self.token_url} did not answer ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            status = response.status_code
            raise TargetAuthError(
                f"the token endpoint {self.token_url} refused fhircare's client credentials ({status})"
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise TargetAuthError(f"the token endpoint {self.token_url} gave no usable access token") from None
        self._token = token
        self._expires_at = self._clock() + lifetime

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._fetch()
            assert self._token is not None
            return self._token

    # --- httpx ------------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        used = self.token()
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code == 401:
            # revoked or expired early: one fresh token, one more try
            with self._lock:
                stale = self._token == used
            request.headers["Authorization"] = f"Bearer {self.token(renew=stale)}"
            yield request


def _load_key(pem: bytes) -> tuple[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey]:
    """(JWS algorithm, key) for an RSA (RS384) or EC P-384 (ES384) private key."""
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise UsageError("the private key is not an unencrypted PEM private key") from None
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS384", key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return "ES384", key
    raise UsageError("the private key must be RSA (RS384) or EC P-384 (ES384)")


def auth_from_settings(settings: Settings) -> httpx.Auth | None:
    """The target authentication the settings describe (None: no authentication)."""
    if settings.target_token_url:
        if not settings.target_client_id:
            raise UsageError("FHIRCARE_TARGET_TOKEN_URL needs FHIRCARE_TARGET_CLIENT_ID")
        key = _read_key(settings.target_private_key) if settings.target_private_key else None
        return ClientCredentialsAuth(
            settings.target_token_url,
            settings.target_client_id,
            client_secret=settings.target_client_secret,
            private_key_pem=key,
            key_id=settings.target_key_id,
            scope=settings.target_scope,
        )
    if settings.target_token:
        return BearerAuth(settings.target_token)
    return None


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"FHIRCARE_TARGET_PRIVATE_KEY: cannot read {path}: {exc.strerror}") from None
