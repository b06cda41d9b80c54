"""Outbound authentication: a bearer token; OAuth2 client credentials with a client
secret or a private_key_jwt assertion (RS384 / ES384, verified here with the public key),
the token renewed before it expires and once more after a 401."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhircare.errors import TargetAuthError, UsageError
from fhircare.sync.auth import BearerAuth, ClientCredentialsAuth
from fhircare.sync.client import FhirClient

TOKEN_URL = "https://auth.test/token"


class TokenServer:
    """A token endpoint that records what it was sent and hands out numbered tokens."""

    def __init__(self, lifetime: int = 300, status: int = 200) -> None:
        self.forms: list[dict[str, list[str]]] = []
        self.headers: list[httpx.Headers] = []
        self.lifetime = lifetime
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(parse_qs(request.content.decode()))
        self.headers.append(request.headers)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "invalid_client"})
        return httpx.Response(
            200, json={"access_token": f"token-{len(self.forms)}", "expires_in": self.lifetime, "token_type": "bearer"}
        )


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def fhir_server(seen: list[str], refuse_first: bool = False) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        if refuse_first and len(seen) == 1:
            return httpx.Response(401)
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": []})

    return httpx.MockTransport(handler)


def test_a_bearer_token_is_sent() -> None:
    seen: list[str] = []
    FhirClient("http://f.test", auth=BearerAuth("abc"), transport=fhir_server(seen)).transaction(b"{}")
    assert seen == ["Bearer abc"]


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS384"),
        (ec.generate_private_key(ec.SECP384R1()), "ES384"),
    ],
)
def test_private_key_jwt_assertions_verify_with_the_public_key(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: str
) -> None:
    server = TokenServer()
    auth = ClientCredentialsAuth(
        TOKEN_URL,
        "fhircare-trust",
        private_key_pem=pem(key),
        key_id="key-1",
        scope="system/*.write",
        transport=httpx.MockTransport(server),
    )
    assert auth.token() == "token-1"
    form = server.forms[0]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["system/*.write"]
    assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    assertion = form["client_assertion"][0]
    assert jwt.get_unverified_header(assertion) == {"alg": algorithm, "kid": "key-1", "typ": "JWT"}
    claims = jwt.decode(assertion, key.public_key(), algorithms=[algorithm], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == "fhircare-trust"
    assert claims["exp"] - claims["iat"] <= 300 and claims["jti"]


def test_a_client_secret_goes_as_basic_authentication() -> None:
    server = TokenServer()
    auth = ClientCredentialsAuth(TOKEN_URL, "me", client_secret="s3cret", transport=httpx.MockTransport(server))
    auth.token()
    assert server.headers[0]["Authorization"].startswith("Basic ")
    assert "client_assertion" not in server.forms[0]


def test_tokens_are_reused_renewed_before_expiry_and_after_a_401() -> None:
    now = [1000.0]
    server = TokenServer(lifetime=120)
    auth = ClientCredentialsAuth(
        TOKEN_URL, "me", client_secret="s", transport=httpx.MockTransport(server), clock=lambda: now[0]
    )
    assert auth.token() == "token-1"
    now[0] += 30
    assert auth.token() == "token-1", "still valid for more than the margin"
    now[0] += 40  # 50 s left: under the 60 s margin
    assert auth.token() == "token-2"

    seen: list[str] = []
    FhirClient("http://f.test", auth=auth, transport=fhir_server(seen, refuse_first=True)).transaction(b"{}")
    assert seen == ["Bearer token-2", "Bearer token-3"]


def test_a_refusing_token_endpoint_is_an_authentication_error() -> None:
    auth = ClientCredentialsAuth(
        TOKEN_URL, "me", client_secret="bad", transport=httpx.MockTransport(TokenServer(status=401))
    )
    with pytest.raises(TargetAuthError, match="refused"):
        auth.token()


def test_a_key_that_is_neither_rsa_nor_p384_is_refused() -> None:
    with pytest.raises(UsageError, match="RS384"):
        ClientCredentialsAuth(TOKEN_URL, "me", private_key_pem=pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(UsageError, match="not an unencrypted PEM"):
        ClientCredentialsAuth(TOKEN_URL, "me", private_key_pem=b"not a key")
