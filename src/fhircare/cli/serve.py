"""``fhircare serve``: the partner FHIR API over the record store (one worker process).

The store's schema is brought up to date and its search index rebuilt if fhircare's
registry of search parameters changed. Uvicorn's access log is off: request lines carry
query strings, which can hold an NHS number; the API logs its own lines without them.
"""

from __future__ import annotations

from typing import Annotated

import structlog
import typer

from fhircare.cli.common import _errors_reported, _settings
from fhircare.cli.sync import StoreOption, open_engine

SERVE_EPILOG = (
    "Examples:\n\n"
    "  fhircare serve --store sqlite:///store.sqlite --port 8080\n\n"
    "  FHIRCARE_API_BASE_URL=https://fhir.example.nhs.uk fhircare serve --host 0.0.0.0\n\n"
    "Partners are registered with `fhircare partners add`; the SMART configuration is at"
    " /.well-known/smart-configuration and the CapabilityStatement at /metadata.\n\n"
    "Exit codes: 0 stopped; 2 the store cannot be used."
)

_log = structlog.get_logger("fhircare.serve")


def serve_command(
    ctx: typer.Context,
    store: StoreOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
) -> None:
    """Serve the record store as a read-only FHIR R4 API to registered partners."""
    import uvicorn

    from fhircare.api.app import create_app
    from fhircare.store.db import writer
    from fhircare.store.search_index import ensure_current

    settings = _settings(ctx)
    with _errors_reported():
        engine = open_engine(settings, store, pool_size=8)
        with writer(engine).begin() as conn:
            if ensure_current(conn):
                _log.warning("search index rebuilt for this fhircare's search parameters")
        base_url = (settings.api_base_url or f"http://{host}:{port}").rstrip("/")
        app = create_app(settings, engine, base_url=base_url)
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=1,
        access_log=False,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
    )
