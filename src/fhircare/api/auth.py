"""SMART Backend Services: the token endpoint and the access tokens it issues.

A partner asks for a token with ``client_credentials`` and a client assertion
(``private_key_jwt``) signed with a key of its registered JWKS, RS384 or ES384. The
assertion must be addressed to this token endpoint, name the partner as ``iss`` and
``sub``, expire within five minutes, and carry a ``jti`` never used before (kept in the
store until it expires, so a replay is refused by every worker on the store). The scopes
granted are those asked for that the partner is registered with.

Access tokens are JWTs signed by the API (HS256, the key in settings or kept in the
store), addressed to the FHIR base URL and short-lived. Each request also finds the
partner still registered (remembered for a few seconds), so a removed partner's tokens
stop working.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from sqlalchemy import Engine

from fhircare.api.keys import ALGORITHMS, check_jwks
from fhircare.api.scopes import Grants, parse
from fhircare.errors import AuthenticationError, UsageError
from fhircare.store import partners
from fhircare.store.db import writer
from fhircare.store.partners import Partner

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: a client assertion may be dated this far in the future of the server's clock
CLOCK_SKEW_SECONDS = 5
_JWKS_TTL_SECONDS = 300.0
_JWKS_MIN_REFETCH_SECONDS = 10.0


class OAuthError(Exception):
    """A refused token request (RFC 6749 §5.2), with the client it named, if any."""

    def __init__(self, error: str, description: str, status: int = 400, client_id: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.client_id = client_id

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    grants: Grants
    expires_at: float
    token_id: str


class KeySets:
    """Partners' key sets: registered ones as they are, URLs fetched and remembered."""

    def __init__(self, transport: httpx.BaseTransport | None = None, clock: Callable[[], float] = time.monotonic):
        self._http = httpx.Client(transport=transport, timeout=10.0, follow_redirects=False)
        self._fetched: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def keys(self, partner: Partner, kid: str | None) -> list[dict[str, Any]]:
        if partner.jwks is not None:
            found = list(partner.jwks.get("keys", ()))
        elif partner.jwks_url is not None:
            found = self._from_url(partner.jwks_url, kid)
        else:
            found = []
        return [k for k in found if kid is None or k.get("kid") == kid]

    def _from_url(self, url: str, kid: str | None) -> list[dict[str, Any]]:
        now = self._clock()
        with self._lock:
            cached = self._fetched.get(url)
        fresh = cached is not None and now - cached[0] < _JWKS_TTL_SECONDS
        known = cached is not None and (kid is None or any(k.get("kid") == kid for k in cached[1]["keys"]))
        # a key set is fetched again when stale, or when it lacks the kid asked for (a
        # rotated key), but not more often than every few seconds
        if cached is None or not fresh or (not known and now - cached[0] >= _JWKS_MIN_REFETCH_SECONDS):
            try:
                response = self._http.get(url)
                response.raise_for_status()
                key_set = check_jwks(response.json(), url)
            except (httpx.HTTPError, ValueError, UsageError):
                return list(cached[1]["keys"]) if cached is not None else []
            with self._lock:
                self._fetched[url] = (now, key_set)
            return list(key_set["keys"])
        return list(cached[1]["keys"])


class TokenService:
    """Issues and checks access tokens (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        *,
        base_url: str,
        signing_key: str,
        lifetime_seconds: int,
        partner_cache_seconds: float,
        key_sets: KeySets | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.base_url = base_url
        self.token_url = f"{base_url}/auth/token"
        self.signing_key = signing_key
        self._lifetime = lifetime_seconds
        self._partner_ttl = partner_cache_seconds
        self._key_sets = key_sets or KeySets()
        self._clock = clock
        self._partners: dict[str, tuple[float, Partner | None]] = {}
        self._tokens: OrderedDict[str, AccessToken] = OrderedDict()
        self._lock = threading.Lock()

    # --- partners -----------------------------------------------------------------------

    def partner(self, client_id: str) -> Partner | None:
        """The registered, not removed, partner (remembered for a few seconds)."""
        now = time.monotonic()
        with self._lock:
            cached = self._partners.get(client_id)
        if cached is not None and now - cached[0] < self._partner_ttl:
            return cached[1]
        with self.engine.connect() as conn:
            found = partners.find(conn, client_id)
        if found is not None and not found.active:
            found = None
        with self._lock:
            self._partners[client_id] = (now, found)
        return found

    # --- the token endpoint ---------------------------------------------------------------

    def issue(self, form: Mapping[str, str]) -> tuple[dict[str, Any], str]:
        """The token response for a token request, and the client it was issued to."""
        if form.get("grant_type") != "client_credentials":
            raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            raise OAuthError("invalid_request", f"a client_assertion of type {JWT_BEARER} is required")
        if not form.get("scope"):
            raise OAuthError("invalid_scope", "scope is required")
        client_id, partner = self._authenticate(form["client_assertion"])
        asked = form["scope"].split()
        granted = [s for s in asked if s in partner.scopes]
        try:
            grants = Grants.of(granted)
        except UsageError:
            grants = Grants(())
        if not grants.scopes:
            raise OAuthError(
                "invalid_scope", "none of the scopes asked for is registered for this client", 400, client_id
            )
        now = int(self._clock())
        claims = {
            "iss": self.base_url,
            "aud": self.base_url,
            "sub": client_id,
            "iat": now,
            "exp": now + self._lifetime,
            "jti": str(uuid.uuid4()),
            "scope": grants.text,
        }
        token = jwt.encode(claims, self.signing_key, algorithm="HS256")
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self._lifetime,
            "scope": grants.text,
        }, client_id

    def _authenticate(self, assertion: str) -> tuple[str, Partner]:
        def refuse(description: str, client_id: str | None = None) -> OAuthError:
            return OAuthError("invalid_client", description, 401, client_id)

        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise refuse("the client assertion is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise refuse("the client assertion must be signed with RS384 or ES384")
        client_id = unverified.get("iss")
        if not isinstance(client_id, str) or unverified.get("sub") != client_id:
            raise refuse("the client assertion's iss and sub must both be the client_id")
        partner = self.partner(client_id)
        if partner is None:
            raise refuse("unknown client")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        candidates = [k for k in self._key_sets.keys(partner, kid) if k.get("alg") in (None, algorithm)]
        claims = None
        for jwk in candidates:
            try:
                key = jwt.PyJWK(jwk, algorithm=algorithm)
                claims = jwt.decode(
                    assertion,
                    key,
                    algorithms=[algorithm],
                    audience=self.token_url,
                    issuer=client_id,
                    options={"require": ["iss", "sub", "aud", "exp", "jti"]},
                )
                break
            except jwt.InvalidAudienceError:
                raise refuse(f"the client assertion's aud must be {self.token_url}", client_id) from None
            except jwt.ExpiredSignatureError:
                raise refuse("the client assertion has expired", client_id) from None
            except jwt.MissingRequiredClaimError as exc:
                raise refuse(f"the client assertion lacks {exc.claim}", client_id) from None
            except (jwt.PyJWTError, ValueError):
                continue
        if claims is None:
            raise refuse("the client assertion's signature does not verify with a registered key", client_id)
        now = self._clock()
        expires = float(claims["exp"])
        if expires - now > 300 + CLOCK_SKEW_SECONDS:
            raise refuse("the client assertion's exp must be at most five minutes ahead", client_id)
        with writer(self.engine).begin() as conn:
            fresh = partners.use_assertion(
                conn,
                client_id,
                str(claims["jti"]),
                datetime.fromtimestamp(expires + CLOCK_SKEW_SECONDS, UTC),
                datetime.fromtimestamp(now, UTC),
            )
        if not fresh:
            raise refuse("the client assertion's jti was used before", client_id)
        return client_id, partner

    # --- access tokens --------------------------------------------------------------------

    def verify(self, token: str) -> AccessToken:
        """The access token's grants, or AuthenticationError (401)."""
        now = self._clock()
        with self._lock:
            cached = self._tokens.get(token)
        if cached is None:
            try:
                claims = jwt.decode(
                    token,
                    self.signing_key,
                    algorithms=["HS256"],
                    audience=self.base_url,
                    issuer=self.base_url,
                    options={"require": ["exp", "sub", "aud", "iss", "jti"]},
                )
                cached = AccessToken(
                    str(claims["sub"]), Grants.of(str(claims.get("scope", "")).split()), claims["exp"], claims["jti"]
                )
            except jwt.ExpiredSignatureError:
                raise AuthenticationError("the access token has expired") from None
            except jwt.InvalidAudienceError:
                raise AuthenticationError("the access token is not for this server") from None
            except (jwt.PyJWTError, UsageError, KeyError):
                raise AuthenticationError("the access token is not valid") from None
            with self._lock:
                self._tokens[token] = cached
                while len(self._tokens) > 10_000:
                    self._tokens.popitem(last=False)
        if cached.expires_at <= now:
            raise AuthenticationError("the access token has expired")
        if self.partner(cached.client_id) is None:
            raise AuthenticationError("the client is no longer registered")
        return cached

    def unverified_client(self, token: str) -> str | None:
        """Who a refused token claims to be (for the AuditEvent of the refusal only)."""
        try:
            sub = jwt.decode(token, options={"verify_signature": False}).get("sub")
        except jwt.PyJWTError:
            return None
        return sub if isinstance(sub, str) and len(sub) <= 64 else None


__all__ = ["AccessToken", "KeySets", "OAuthError", "TokenService", "parse"]
