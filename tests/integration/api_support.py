"""A real partner API for the integration tests: a record store filled by ``fhircare synth``
and ``fhircare load``, partners registered with ``fhircare partners add`` and keys of their
own, and ``fhircare serve`` (uvicorn, one worker) on a free port. Tokens are got the way a
partner gets them: a client assertion signed with the partner's private key (PyJWT, not
fhircare's own helper), posted to the token endpoint."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

REPO = Path(__file__).resolve().parents[2]
FHIRCARE = str(Path(sys.executable).parent / "fhircare")
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PATIENTS = 24
_BUILT: dict[str, Path] = {}


def fhircare(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([FHIRCARE, *args], env=env, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), f"fhircare {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


def _built_store(tmp: Path) -> Path:
    """A loaded store, built once per test process and copied for each server."""
    if "store" not in _BUILT:
        folder = tmp / "built"
        folder.mkdir()
        env = {**os.environ, "FHIRCARE_STORE_URL": f"sqlite:///{folder / 'store.sqlite'}"}
        fhircare(
            "synth", "--patients", str(PATIENTS), "--seed", "5", "--layout", "rio-like", str(folder / "x"), env=env
        )
        mapping = str(REPO / "mappings" / "rio-like.yaml")
        # the rejects file goes with the store, not into the directory the tests run from
        fhircare(
            "load",
            "--extract",
            str(folder / "x"),
            "--mapping",
            mapping,
            "--rejects",
            str(folder / "rejects.jsonl"),
            env=env,
        )
        _BUILT["store"] = folder / "store.sqlite"
    return _BUILT["store"]


@dataclass
class Partner:
    name: str
    client_id: str
    key: Path
    kid: str
    scopes: str


@dataclass
class Api:
    base: str
    store: Path
    env: dict[str, str]
    partners: dict[str, Partner] = field(default_factory=dict)
    log: Path | None = None

    @property
    def token_url(self) -> str:
        return f"{self.base}/auth/token"

    def assertion(self, partner: Partner, **changes: Any) -> str:
        """A client assertion signed with the partner's key; ``changes`` override claims
        (None removes one), ``_key`` another key, ``_alg`` another algorithm."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": partner.client_id,
            "sub": partner.client_id,
            "aud": self.token_url,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 240,
        }
        key = changes.pop("_key", None) or partner.key.read_bytes()
        algorithm = changes.pop("_alg", "ES384")
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": partner.kid})

    def token_response(self, assertion: str, scope: str) -> httpx.Response:
        return httpx.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
                "scope": scope,
            },
        )

    def token(self, name: str, scope: str | None = None) -> str:
        partner = self.partners[name]
        response = self.token_response(self.assertion(partner), scope or partner.scopes)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def get(self, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.get(f"{self.base}/{path}", headers=headers, timeout=30, **kwargs)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.store)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _register(api: Api, tmp: Path, name: str, kind: str, ods: str, scopes: str, identifier: str | None = None) -> None:
    key, jwks = tmp / f"{name}.pem", tmp / f"{name}.jwks.json"
    fhircare("partners", "keygen", "--out", str(key), "--jwks", str(jwks), env=api.env)
    args = ["partners", "add", "--name", name, "--ods", ods, "--type", kind, "--jwks", str(jwks), "--scopes", scopes]
    if identifier:
        args += ["--identifier", identifier]
    client_id = json.loads(fhircare(*args, "--format", "json", env=api.env))["client_id"]
    kid = json.loads(jwks.read_text())["keys"][0]["kid"]
    api.partners[name] = Partner(name, client_id, key, kid, scopes)


def organisation_ods(store: Path, kind: str) -> str:
    """The ODS code of the organisation of this partner-organisation-type that the most
    service users are registered with (GP) or, for other types, the first one."""
    db = sqlite3.connect(store)
    if kind == "gp-practice":
        practice = db.execute(
            "SELECT value FROM search_index WHERE resource_type='Patient' AND param='general-practitioner'"
            " GROUP BY value ORDER BY count(*) DESC, value LIMIT 1"
        ).fetchone()[0]
        organisation = practice.split("/")[1]
    else:
        organisation = db.execute(
            "SELECT resource_id FROM search_index WHERE resource_type='Organization' AND param='type' AND value=?"
            " ORDER BY resource_id LIMIT 1",
            (kind,),
        ).fetchone()[0]
    return str(
        db.execute(
            "SELECT value FROM search_index WHERE resource_type='Organization' AND resource_id=? AND"
            " param='identifier' AND system='https://fhir.nhs.uk/Id/ods-organization-code'",
            (organisation,),
        ).fetchone()[0]
    )


@pytest.fixture(scope="module", name="api")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A running API over a store of its own (one per test module)."""
    tmp = tmp_path_factory.mktemp("api")
    store = tmp / "store.sqlite"
    shutil.copy(_built_store(tmp_path_factory.getbasetemp()), store)
    port = _free_port()
    env = {
        **os.environ,
        "FHIRCARE_STORE_URL": f"sqlite:///{store}",
        "FHIRCARE_API_PARTNER_CACHE_SECONDS": "0",
        "FHIRCARE_LOG_LEVEL": "INFO",
    }
    api = Api(f"http://127.0.0.1:{port}", store, env, log=tmp / "serve.log")
    _register(api, tmp, "gp", "gp", organisation_ods(store, "gp-practice"), "system/*.rs")
    _register(api, tmp, "trust", "nhs-trust", "ZZT1", "system/*.read")
    _register(api, tmp, "urgent", "urgent-care", "UCC01", "system/*.rs")
    _register(api, tmp, "la", "local-authority", organisation_ods(store, "local-authority"), "system/*.rs")
    _register(
        api,
        tmp,
        "vcse",
        "vcse",
        "VCSE01",
        "system/*.rs",
        identifier="https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/organisation|ORG-VCSE1",
    )
    _register(api, tmp, "patients-only", "gp", organisation_ods(store, "gp-practice"), "system/Patient.rs")
    _register(api, tmp, "admin", "admin", "ZZT1", "system/AuditEvent.rs")
    assert api.log is not None
    with api.log.open("wb") as log:
        server = subprocess.Popen([FHIRCARE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{api.base}/metadata", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            else:
                pytest.fail(f"fhircare serve did not start: {api.log.read_text()[-2000:]}")
            yield api
        finally:
            server.terminate()
            server.wait(timeout=30)


def audit_count(api: Api, **params: str) -> int:
    """How many AuditEvents the administrator finds with these search parameters."""
    found = api.get("AuditEvent", api.token("admin"), params={**params, "_summary": "count"})
    assert found.status_code == 200, found.text
    return int(found.json()["total"])
