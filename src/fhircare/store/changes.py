"""What a new extract changes, worked out per service user: created, updated, unchanged
or ended. Pure: given what the store holds and what the mapping made, it says what to
write. Nothing is ever deleted: a resource the extract no longer holds is ended by the
rules of :mod:`fhircare.mapping.ending`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import orjson

from fhircare.mapping.ending import carry_over, end_resource, hold_back, release
from fhircare.mapping.fhir import Json
from fhircare.store.canonical import StoredForm, restamp


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ENDED = "ended"
    #: marked not current: the service user's latest extract was rejected
    HELD_BACK = "held back"


class State(StrEnum):
    CURRENT = "current"
    ENDED = "ended"


@dataclass(frozen=True)
class Held:
    """What the store holds for one resource now."""

    resource_type: str
    resource_id: str
    version: int
    content_hash: str
    state: State
    content: bytes
    service_user_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.resource_id


@dataclass(frozen=True)
class Planned:
    """One resource's change, and the form to store (the held one when unchanged)."""

    change: Change
    form: StoredForm
    #: the version the store holds now (None when created)
    held_version: int | None

    @property
    def state(self) -> State:
        return State.ENDED if self.change is Change.ENDED else State.CURRENT

    @property
    def writes(self) -> bool:
        return self.change is not Change.UNCHANGED


def _compare(form: StoredForm, held: Held | None) -> Planned:
    if held is None:
        return Planned(Change.CREATED, form, None)
    if held.content_hash == form.content_hash and held.state is State.CURRENT:
        return Planned(Change.UNCHANGED, form, held.version)
    return Planned(Change.UPDATED, form, held.version)


def plan_mapped(forms: Iterable[StoredForm], held: Mapping[tuple[str, str], Held], day: date) -> list[Planned]:
    """The changes of resources the extract holds (``held`` has what the store holds for
    them, by key). A care team keeps the members the extract no longer lists, ended."""
    planned = []
    for form in forms:
        before = held.get(form.key)
        if before is not None and form.resource_type == "CareTeam":
            merged = carry_over(orjson.loads(form.content), orjson.loads(before.content), day)
            form = restamp(form, merged)
        planned.append(_compare(form, before))
    return planned


def plan_gone(held: Iterable[Held], present: set[tuple[str, str]], day: date) -> list[Planned]:
    """The endings of a service user's held resources that the extract no longer holds
    (``present`` are the keys it does hold). Ended ones stay as they are."""
    planned = []
    for item in held:
        if item.key in present or item.state is State.ENDED:
            continue
        ended = end_resource(orjson.loads(item.content), day)
        planned.append(Planned(Change.ENDED, _rewritten(item, ended), item.version))
    return planned


def plan_kept(held: Iterable[Held]) -> list[Planned]:
    """Safeguards kept in force though the extract no longer holds them
    (``ending.safeguards_to_keep``): left as they are, but for the held-back mark of an
    earlier rejected extract, which goes now that the service user's extract loads (a
    refusal in force is not "not current")."""
    planned = []
    for item in held:
        before = orjson.loads(item.content)
        released = release(before)
        if released is not before:
            planned.append(Planned(Change.UPDATED, _rewritten(item, released), item.version))
    return planned


def plan_held_back(held: Iterable[Held], day: date) -> list[Planned]:
    """The marks on a rejected service user's current resources: kept as they were loaded
    last (the shared record goes on showing them), each marked not current since ``day``.
    Ended ones, and ones already marked, stay as they are."""
    planned = []
    for item in held:
        if item.state is State.ENDED:
            continue
        before = orjson.loads(item.content)
        marked = hold_back(before, day)
        if marked is before:
            continue
        planned.append(Planned(Change.HELD_BACK, _rewritten(item, marked), item.version))
    return planned


def _rewritten(item: Held, resource: Json) -> StoredForm:
    """A held resource's new form, made by the store rather than the mapping (its origin
    is kept where it is stored: ``records.write_changes``)."""
    return restamp(StoredForm(item.resource_type, item.resource_id, item.service_user_id, None, b"", ""), resource)
