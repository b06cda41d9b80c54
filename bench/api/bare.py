"""The baseline of bench/api: a bare FastAPI app over the same record store, returning
stored JSON bytes with no authentication, no access policy, no audit and no FHIR
processing. Started by bench/api/run.py as ``uvicorn`` with one worker, like the API.

- ``GET /bare/{type}/{id}``: the stored content of one resource (the same driver-level
  lookup the API's read makes);
- ``GET /bare/{type}?patient=Patient/<id>``: the stored contents of the resources the
  search index finds for that patient (at most 20), joined into a JSON array (the same
  index lookup, in the same plain SQL, the API's search makes).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from starlette.responses import Response

from fhircare.api.reads import candidates, driver_query
from fhircare.store.db import create_store_engine

engine = create_store_engine(os.environ["FHIRCARE_STORE_URL"], pool_size=8)
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/bare/{rtype}/{rid}")
async def read(rtype: str, rid: str) -> Response:
    with engine.connect() as conn:
        # the same driver-level lookup the API makes for a read
        rows = driver_query(
            conn, "SELECT content FROM resources WHERE resource_type = ? AND resource_id = ?", (rtype, rid)
        )
    if not rows:
        return Response(status_code=404)
    return Response(content=rows[0][0], media_type="application/fhir+json")


@app.get("/bare/{rtype}")
async def search(rtype: str, patient: str) -> Response:
    # the same index lookup, in the same plain SQL, the API's search makes
    condition = (
        "resource_id IN (SELECT resource_id FROM search_index WHERE resource_type = ? AND param = ? AND (value = ?))",
        (rtype, "patient", patient),
    )
    with engine.connect() as conn:
        found = candidates(conn, rtype, [condition], after=None, limit=21)
    return Response(content=b"[" + b",".join(s.content for s in found[:20]) + b"]", media_type="application/fhir+json")
