"""Partner keys: reading a registered JWKS, and (for a partner's developer) making a key
pair and signing a SMART Backend Services client assertion with it.

Only RS384 and ES384 are accepted (SMART Backend Services); a registered key set must hold
public keys only, each usable with one of them.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from fhircare.errors import UsageError

ALGORITHMS = ("RS384", "ES384")
#: a client assertion lives this long (SMART: at most five minutes)
ASSERTION_SECONDS = 300


def check_jwks(data: Any, where: str) -> dict[str, Any]:
    """A key set of public RS384/ES384 keys (a single JWK is taken as a set of one)."""
    if isinstance(data, dict) and "kty" in data:
        data = {"keys": [data]}
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise UsageError(f'{where}: not a JWKS (a JSON object with a non-empty "keys" list)')
    for key in data["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise UsageError(f"{where}: every key must be an RSA or EC key (RS384 or ES384)")
        if "d" in key:
            raise UsageError(f"{where}: holds a private key; register the public key set only")
        if key.get("alg") not in (None, *ALGORITHMS):
            raise UsageError(f"{where}: key alg {key.get('alg')!r} is not RS384 or ES384")
        try:
            (RSAAlgorithm if key["kty"] == "RSA" else ECAlgorithm).from_jwk(key)
        except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{where}: unusable key ({type(exc).__name__})") from None
        if key["kty"] == "EC" and key.get("crv") != "P-384":
            raise UsageError(f"{where}: an EC key must be on curve P-384 (ES384)")
    return {"keys": data["keys"]}


def read_jwks_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON (line {exc.lineno})") from None
    return check_jwks(data, str(path))


def generate(algorithm: str) -> tuple[bytes, dict[str, Any]]:
    """A new private key (PEM) and the JWKS of its public key, with a ``kid``."""
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ES384":
        private = ec.generate_private_key(ec.SECP384R1())
        public_jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    elif algorithm == "RS384":
        private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        public_jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    else:
        raise UsageError(f"--alg {algorithm}: use RS384 or ES384")
    public_jwk.update({"kid": str(uuid.uuid4()), "alg": algorithm, "use": "sig", "key_ops": ["verify"]})
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, {"keys": [public_jwk]}


def load_private_key(pem: bytes) -> tuple[str, Any]:
    """The algorithm and key of a PEM private key (EC P-384 → ES384, RSA → RS384)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise UsageError("the private key is not an unencrypted PEM private key") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES384", key
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS384", key
    raise UsageError("the private key must be an EC P-384 or RSA key")


def client_assertion(pem: bytes, client_id: str, token_url: str, *, key_id: str | None = None) -> str:
    """A signed client assertion (private_key_jwt) for ``token_url``, valid five minutes."""
    algorithm, key = load_private_key(pem)
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + ASSERTION_SECONDS,
    }
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": key_id} if key_id else None)
