"""Registered partners of the API (``fhircare partners``), the client assertions they have
used (a ``jti`` is accepted once), and the key the API signs its access tokens with."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from fhircare.store.schema import client_assertions, partners, store_meta

_TOKEN_KEY = "api_token_key"


@dataclass(frozen=True)
class Partner:
    client_id: str
    name: str
    #: none for a partner known only by its ``organization_identifier``
    ods_code: str | None
    #: ``system|value`` of the Organization the extract knows the partner by, besides its ODS code
    organization_identifier: str | None
    organisation_type: str
    jwks: dict[str, Any] | None
    jwks_url: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def summary(self) -> dict[str, Any]:
        """What ``partners list`` shows (no keys)."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "ods_code": self.ods_code,
            "organization_identifier": self.organization_identifier,
            "type": self.organisation_type,
            "scopes": " ".join(self.scopes),
            "jwks": self.jwks_url or "registered key set",
            "created_at": self.created_at.isoformat(),
            "removed_at": self.removed_at.isoformat() if self.removed_at else None,
        }


def _partner(row: Any) -> Partner:
    return Partner(
        client_id=row.client_id,
        name=row.name,
        ods_code=row.ods_code,
        organization_identifier=row.organization_identifier,
        organisation_type=row.organisation_type,
        jwks=row.jwks,
        jwks_url=row.jwks_url,
        scopes=tuple(row.scopes.split()),
        created_at=row.created_at,
        removed_at=row.removed_at,
    )


def add(
    conn: Connection,
    *,
    name: str,
    ods_code: str | None,
    organisation_type: str,
    scopes: list[str],
    jwks: dict[str, Any] | None,
    jwks_url: str | None,
    organization_identifier: str | None,
    now: datetime,
) -> str:
    """Register a partner; returns the client_id assigned to it. It is known by its ODS
    code, its ``organization_identifier`` (``system|value``), or both."""
    if ods_code is None and organization_identifier is None:
        raise ValueError("a partner needs an ODS code or an organisation identifier")
    client_id = str(uuid.uuid4())
    conn.execute(
        insert(partners).values(
            client_id=client_id,
            name=name,
            ods_code=ods_code,
            organization_identifier=organization_identifier,
            organisation_type=organisation_type,
            jwks=jwks,
            jwks_url=jwks_url,
            scopes=" ".join(scopes),
            created_at=now,
        )
    )
    return client_id


def find(conn: Connection, client_id: str) -> Partner | None:
    row = conn.execute(select(partners).where(partners.c.client_id == client_id)).first()
    return None if row is None else _partner(row)


def listed(conn: Connection, *, include_removed: bool = False) -> list[Partner]:
    query = select(partners).order_by(partners.c.created_at, partners.c.client_id)
    if not include_removed:
        query = query.where(partners.c.removed_at.is_(None))
    return [_partner(r) for r in conn.execute(query)]


def remove(conn: Connection, client_id: str, now: datetime) -> bool:
    """Mark a partner removed (kept, so that its AuditEvents still name it)."""
    result = conn.execute(
        update(partners)
        .where(partners.c.client_id == client_id, partners.c.removed_at.is_(None))
        .values(removed_at=now)
    )
    return result.rowcount == 1


def use_assertion(conn: Connection, client_id: str, jti: str, expires_at: datetime, now: datetime) -> bool:
    """Record a client assertion's ``jti``; False if it was used before (a replay)."""
    conn.execute(delete(client_assertions).where(client_assertions.c.expires_at < now))
    try:
        with conn.begin_nested():
            conn.execute(insert(client_assertions).values(client_id=client_id, jti=jti, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def token_key(conn: Connection) -> str:
    """The key the API signs access tokens with, made on first use and kept in the store,
    so that every API worker on one store accepts the tokens of the others."""
    found = conn.execute(select(store_meta.c.value).where(store_meta.c.key == _TOKEN_KEY)).scalar()
    if found is not None:
        return str(found)
    key = secrets.token_urlsafe(48)
    try:
        with conn.begin_nested():
            conn.execute(insert(store_meta).values(key=_TOKEN_KEY, value=key))
    except IntegrityError:  # another worker made it first
        return str(conn.execute(select(store_meta.c.value).where(store_meta.c.key == _TOKEN_KEY)).scalar_one())
    return key
