"""The conformance resources a validation can see, found by canonical URL.

Definitions come from package folders (the FHIR package cache, an IG folder or
tgz, the project's ``profiles/``) and from resources handed over in memory. Only
the index is read up front; a resource's JSON is parsed the first time it is
asked for, and a StructureDefinition is compiled into a ``StructureModel`` once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fhircare.errors import DefinitionError, UnknownProfileError
from fhircare.validation.errata import corrected
from fhircare.validation.package_index import index_folder
from fhircare.validation.snapshot import MalformedDifferential, generate_snapshot
from fhircare.validation.structure import (
    CORE_SD_PREFIX,
    ElementNode,
    StructureModel,
    build_model,
    mark_profile_relevance,
)

#: Questionnaires too: a QuestionnaireResponse is checked against the one it names
_INDEXED_TYPES = {"StructureDefinition", "ValueSet", "CodeSystem", "Questionnaire", "SearchParameter"}


@dataclass(slots=True)
class _Candidate:
    url: str
    version: str | None
    resource_type: str
    path: Path | None = None
    resource: dict[str, Any] | None = None
    derivation: str | None = None


def split_canonical(canonical: str) -> tuple[str, str | None]:
    url, _, version = canonical.partition("|")
    return url, (version or None)


class DefinitionContext:
    def __init__(self) -> None:
        self._by_url: dict[str, list[_Candidate]] = {}
        self._snapshots: dict[str, dict[str, Any]] = {}
        self._snapshot_problems: dict[str, list[tuple[int, str]]] = {}
        self._models: dict[str, StructureModel] = {}
        self._core_types: set[str] = set()
        self._in_progress: set[str] = set()
        #: resource type → profiles every resource of that type must meet (IG ``global``)
        self.global_profiles: dict[str, list[str]] = {}

    def overlay(self) -> DefinitionContext:
        """A copy that sees everything this one does; what is added to it stays in it.

        Compiled models are shared, so a per-request or per-test overlay is cheap.
        """
        other = DefinitionContext()
        other._by_url = {url: list(c) for url, c in self._by_url.items()}
        other._snapshots = dict(self._snapshots)
        other._snapshot_problems = dict(self._snapshot_problems)
        other._models = dict(self._models)
        other._core_types = set(self._core_types)
        other.global_profiles = {t: list(p) for t, p in self.global_profiles.items()}
        return other

    # -- loading -------------------------------------------------------------
    def add_folder(self, folder: Path, *, persist_index: bool = False) -> int:
        """Index a package folder (``package/`` or any folder of JSON resources).

        The index is saved beside the files only when asked (the package cache):
        other folders are indexed in memory and left as they are.
        """
        count = 0
        for entry in index_folder(folder, persist=persist_index):
            if entry.resource_type == "ImplementationGuide":
                # its global profiles apply to every resource of their types (as with
                # the HL7 validator's -ig)
                self.add_resource(orjson.loads((folder / entry.filename).read_bytes()))
                continue
            if entry.resource_type not in _INDEXED_TYPES or not entry.url:
                continue
            self._add(
                _Candidate(
                    url=entry.url,
                    version=entry.version,
                    resource_type=entry.resource_type,
                    path=folder / entry.filename,
                    derivation=entry.derivation,
                )
            )
            if (
                entry.resource_type == "StructureDefinition"
                and entry.derivation != "constraint"
                and entry.url.startswith(CORE_SD_PREFIX)
                and entry.kind in ("resource", "complex-type", "primitive-type")
            ):
                self._core_types.add(entry.url)
            count += 1
        return count

    def add_resource(self, resource: dict[str, Any]) -> None:
        """Make an in-memory conformance resource visible (a supporting profile, ...).

        An ImplementationGuide contributes its ``global`` profiles: every resource of
        that type is then checked against them.
        """
        url = resource.get("url")
        if resource.get("resourceType") == "ImplementationGuide":
            for g in resource.get("global", ()):
                if isinstance(g, dict) and isinstance(g.get("type"), str) and isinstance(g.get("profile"), str):
                    self.global_profiles.setdefault(g["type"], []).append(g["profile"])
            return
        if resource.get("resourceType") not in _INDEXED_TYPES or not isinstance(url, str):
            raise DefinitionError(
                "Only StructureDefinition, ValueSet, CodeSystem and Questionnaire resources with a url can be loaded"
            )
        self._add(
            _Candidate(
                url=url,
                version=resource.get("version"),
                resource_type=resource["resourceType"],
                resource=resource,
                derivation=resource.get("derivation"),
            )
        )
        # a replaced definition invalidates what was derived from it
        self._snapshots.pop(url, None)
        self._models.pop(url, None)

    def _add(self, candidate: _Candidate) -> None:
        self._by_url.setdefault(candidate.url, []).append(candidate)

    # -- look-up -------------------------------------------------------------
    def has(self, canonical: str) -> bool:
        url, _ = split_canonical(canonical)
        return url in self._by_url

    def fetch(self, canonical: str, resource_type: str | None = None) -> dict[str, Any] | None:
        """The resource for a canonical (``url`` or ``url|version``); the last added wins."""
        url, version = split_canonical(canonical)
        candidates = self._by_url.get(url)
        if not candidates:
            return None
        chosen = None
        for c in reversed(candidates):
            if resource_type and c.resource_type != resource_type:
                continue
            if version is None or c.version == version:
                chosen = c
                break
        if chosen is None:
            # a versioned canonical whose version we lack: use what we have
            chosen = next(
                (c for c in reversed(candidates) if not resource_type or c.resource_type == resource_type),
                None,
            )
            if chosen is None:
                return None
        if chosen.resource is None and chosen.path is not None:
            try:
                chosen.resource = orjson.loads(chosen.path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise DefinitionError(f"Cannot read {chosen.path.name}: {exc}", file=chosen.path) from exc
        return chosen.resource

    def type_of(self, canonical: str) -> str | None:
        """The resource type of what ``canonical`` names among the loaded definitions (the
        last added), without reading it; None when nothing is loaded under that url."""
        candidates = self._by_url.get(split_canonical(canonical)[0])
        return candidates[-1].resource_type if candidates else None

    def is_core_type(self, url: str) -> bool:
        return url in self._core_types

    def value_set(self, canonical: str) -> dict[str, Any] | None:
        return self.fetch(canonical, "ValueSet")

    def code_system(self, canonical: str) -> dict[str, Any] | None:
        return self.fetch(canonical, "CodeSystem")

    def questionnaire(self, canonical: str) -> dict[str, Any] | None:
        """The Questionnaire a response names; with ``|version``, only that version (another
        version's items would give wrong answers about this response)."""
        url, version = split_canonical(canonical)
        if version is not None and not any(
            c.resource_type == "Questionnaire" and c.version == version for c in self._by_url.get(url, ())
        ):
            return None
        try:
            return self.fetch(canonical, "Questionnaire")
        except DefinitionError:
            return None

    # -- structure definitions ------------------------------------------------
    def structure_definition(self, canonical: str) -> dict[str, Any] | None:
        """The StructureDefinition with a snapshot (generated when it has none)."""
        url, _ = split_canonical(canonical)
        if url in self._snapshots:
            return self._snapshots[url]
        sd = self.fetch(canonical, "StructureDefinition")
        if sd is None:
            return None
        sd = corrected(sd)
        if not sd.get("snapshot", {}).get("element"):
            sd = self._with_snapshot(sd)
        self._snapshots[url] = sd
        return sd

    def _with_snapshot(self, sd: dict[str, Any]) -> dict[str, Any]:
        url = sd.get("url", "?")
        base_url = sd.get("baseDefinition")
        if not base_url:
            raise DefinitionError(f"Profile {url} has no snapshot and no baseDefinition")
        if url in self._in_progress:
            raise DefinitionError(f"Profile {url} derives from itself")
        self._in_progress.add(url)
        try:
            base = self.structure_definition(base_url)
            if base is None:
                raise UnknownProfileError(f"Profile {url} is based on {base_url}, which is not in any loaded package")
            generated = generate_snapshot(sd, base, self.resolve_type)
        except MalformedDifferential as exc:
            raise DefinitionError(f"Profile {url}: its differential holds values of the wrong shape") from exc
        finally:
            self._in_progress.discard(url)
        self._snapshot_problems[url] = generated.unplaced
        return {**sd, "snapshot": {"element": generated.elements}}

    def resolve_type(self, code_or_url: str) -> dict[str, Any] | None:
        if not isinstance(code_or_url, str) or not code_or_url:
            return None  # a malformed type code in a hand-written profile
        if "/" not in code_or_url:
            code_or_url = CORE_SD_PREFIX + code_or_url
        try:
            return self.structure_definition(code_or_url)
        except DefinitionError:
            return None

    def snapshot_problems(self, canonical: str) -> list[tuple[int, str]]:
        """The differential elements of a profile generated here that match nothing in its
        base (diff index, text): constraints its snapshot does not hold."""
        self.structure_definition(canonical)
        return self._snapshot_problems.get(split_canonical(canonical)[0], [])

    def model_and_problems(self, canonical: str) -> tuple[StructureModel, list[tuple[int, str]]]:
        """``model(canonical)`` and ``snapshot_problems(canonical)`` at once, as a validation
        asks them of every profile it walks (the canonical split once, not three times)."""
        url, _ = split_canonical(canonical)
        found = self._models.get(url)
        if found is None:
            found = self.model(canonical)  # (its snapshot made, and any problems noted)
        return found, self._snapshot_problems.get(url, [])

    def model(self, canonical: str) -> StructureModel:
        """The compiled model of a StructureDefinition; raises UnknownProfileError."""
        url, _ = split_canonical(canonical)
        found = self._models.get(url)
        if found is not None:
            return found
        sd = self.structure_definition(canonical)
        if sd is None:
            raise UnknownProfileError(f"Unknown profile or type: {canonical}")
        try:
            model = build_model(sd, self.is_core_type)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            # a hand-written profile whose elements hold values of the wrong shape: the
            # profile cannot be used (and `fhircare validate` of it says where it is wrong)
            raise DefinitionError(f"Profile {url}: its elements hold values of the wrong shape") from exc
        if model.derivation == "constraint" and model.type:
            core = self.type_model(model.type)
            if core is not None and core is not model:
                mark_profile_relevance(model, core, self._type_root)
        self._models[url] = model
        return model

    def _type_root(self, type_code: str) -> ElementNode | None:
        found = self.type_model(type_code)
        return found.root if found else None

    def type_model(self, type_code: str) -> StructureModel | None:
        try:
            return self.model(type_code if "/" in type_code else CORE_SD_PREFIX + type_code)
        except DefinitionError:
            return None
