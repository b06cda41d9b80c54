"""Shared fixtures for unit tests: small fake FHIR packages built in tmp_path."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

#: resources every fake package holds unless told otherwise
DEFAULT_RESOURCES: dict[str, Any] = {
    "StructureDefinition-Example.json": {
        "resourceType": "StructureDefinition",
        "url": "http://example.org/StructureDefinition/Example",
        "version": "1.0.0",
        "name": "Example",
        "type": "Patient",
        "kind": "resource",
        "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
    },
    "ValueSet-example.json": {
        "resourceType": "ValueSet",
        "url": "http://example.org/ValueSet/example",
        "name": "ExampleCodes",
    },
    "Patient-example.json": {"resourceType": "Patient", "id": "example"},
}


class FakePackages:
    """Builds fake FHIR packages (folders and .tgz files) under one folder."""

    def __init__(self, where: Path) -> None:
        self.where = where

    def root(
        self,
        name: str = "example.fhir.pkg",
        version: str = "1.0.0",
        *,
        resources: Mapping[str, Any] | None = None,
        manifest: Mapping[str, Any] | None = None,
    ) -> Path:
        """A package root (``<root>/package/...``); ``resources`` values may be raw bytes."""
        root = self.where / f"{name}#{version}"
        package = root / "package"
        package.mkdir(parents=True, exist_ok=True)
        if manifest is None:
            manifest = {"name": name, "version": version, "fhirVersions": ["4.0.1"]}
        (package / "package.json").write_bytes(orjson.dumps(dict(manifest)))
        for filename, content in (DEFAULT_RESOURCES if resources is None else resources).items():
            data = content if isinstance(content, bytes) else orjson.dumps(content)
            (package / filename).write_bytes(data)
        return root

    def tgz(self, name: str = "example.fhir.pkg", version: str = "1.0.0", **kwargs: Any) -> Path:
        """The same package packed as an npm-style ``.tgz`` (members under ``package/``)."""
        root = self.root(name, version, **kwargs)
        dest = self.where / f"{name}-{version}.tgz"
        with tarfile.open(dest, "w:gz") as tar:
            tar.add(root / "package", arcname="package")
        return dest

    @staticmethod
    def add_member(tgz: Path, name: str, *, symlink_to: str | None = None) -> Path:
        """Rewrite ``tgz`` with one more (possibly hostile) member."""
        with tarfile.open(tgz, "r:gz") as tar:
            members = []
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                members.append((member, handle.read() if handle else None))
        with tarfile.open(tgz, "w:gz") as tar:
            for member, content in members:
                tar.addfile(member, io.BytesIO(content) if content is not None else None)
            extra = tarfile.TarInfo(name)
            if symlink_to is not None:
                extra.type = tarfile.SYMTYPE
                extra.linkname = symlink_to
                tar.addfile(extra)
            else:
                extra.size = 2
                tar.addfile(extra, io.BytesIO(b"{}"))
        return tgz


@pytest.fixture
def fake_packages(tmp_path: Path) -> FakePackages:
    where = tmp_path / "sources"
    where.mkdir()
    return FakePackages(where)
