"""The validator's public face: build one from settings, validate, get an OperationOutcome."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B.operationoutcome import OperationOutcome

from fhircare.errors import DefinitionError, InputError, PackageError
from fhircare.settings import Settings
from fhircare.validation.archives import ArchiveLimits, unpack_ig
from fhircare.validation.context import DefinitionContext
from fhircare.validation.engine import Validator as _Walker
from fhircare.validation.packages import CORE_PACKAGE, PackageCache


def _ig_folder(ig: Path, limits: ArchiveLimits | None = None) -> Path:
    """A folder of conformance resources for an IG given as folder, package root or .tgz
    (a .tgz is unpacked, within the archive limits, into a private folder of this run)."""
    if ig.is_dir():
        return ig / "package" if (ig / "package").is_dir() else ig
    if ig.is_file() and ig.name.endswith((".tgz", ".tar.gz")):
        try:
            return unpack_ig(ig, limits)
        except PackageError as exc:
            raise DefinitionError(f"Cannot unpack {ig}: {exc.message}", file=ig) from exc
        except OSError as exc:
            raise DefinitionError(f"Cannot unpack {ig}: {exc.strerror or exc}", file=ig) from exc
    raise InputError(f"No such IG folder or .tgz: {ig}", file=ig)


class Validator(_Walker):
    """A validator over the core R4 package plus any IG folders or packages."""

    @classmethod
    def create(
        cls,
        igs: Sequence[Path] = (),
        *,
        settings: Settings | None = None,
        cache: PackageCache | None = None,
    ) -> Validator:
        settings = settings or Settings()
        cache = cache or PackageCache.from_settings(settings)
        context = DefinitionContext()
        context.add_folder(cache.ensure(CORE_PACKAGE), persist_index=True)
        if settings.profiles_package is not None and settings.profiles_package.is_dir():
            # fhircare's own profiles: the contract its output is validated against
            context.add_folder(settings.profiles_package)
        for ig in igs:
            context.add_folder(_ig_folder(Path(ig), ArchiveLimits.from_settings(settings)))
        # a profile an IG makes global that nothing loaded defines would be reported once per
        # resource as "not checked" (a warning --quiet hides): every resource would pass
        # unchecked against it, so the validator is not made at all
        made_global = {p for wanted in context.global_profiles.values() for p in wanted}
        # by the index alone: reading them (and making their snapshots) would be start-up work
        unknown = sorted(p for p in made_global if context.type_of(p) != "StructureDefinition")
        if unknown:
            named = ", ".join(unknown[:3]) + (", ..." if len(unknown) > 3 else "")
            raise DefinitionError(
                f"an --ig makes {len(unknown)} profile(s) global that no loaded package defines ({named}"
                + "): add the package that defines them with --ig (UK Core: see 'FHIR packages' in the README)"
            )
        return cls(context)


_default: Validator | None = None


def _as_json(resource: Any) -> Any:
    if isinstance(resource, dict):
        return resource
    if hasattr(resource, "model_dump_json"):
        return orjson.loads(resource.model_dump_json(by_alias=True, exclude_none=True))
    if isinstance(resource, str | bytes):
        return orjson.loads(resource)
    return resource


def validate(resource: Any, profiles: Sequence[str] = (), *, validator: Validator | None = None) -> OperationOutcome:
    """Validate one resource (dict, JSON text or fhir.resources model) → OperationOutcome.

    Uses a process-wide validator over the core package unless one is given.
    """
    global _default
    if validator is None:
        if _default is None:
            _default = Validator.create()
        validator = _default
    result = validator.validate(_as_json(resource), profiles)
    return OperationOutcome.model_validate(result.to_operation_outcome())
