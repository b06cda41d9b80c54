"""Schemathesis against the API's own OpenAPI document, with valid tokens: whatever it
generates for every operation (ids, search parameters, bodies), no answer is a 5xx, and
every error is an OperationOutcome."""

from __future__ import annotations

import os

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.integration.api_support import Api
from tests.integration.api_support import api_server as api_server  # the api fixture

#: examples per operation (about 100 operations); FHIRCARE_SCHEMATHESIS_EXAMPLES for more
EXAMPLES = int(os.environ.get("FHIRCARE_SCHEMATHESIS_EXAMPLES", "8"))


def test_no_server_errors_for_anything_the_schema_allows(api: Api) -> None:
    served = httpx.get(f"{api.base}/openapi.json")
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    headers = {"Authorization": f"Bearer {api.token('trust')}"}
    admin = {"Authorization": f"Bearer {api.token('admin')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 90
    calls: list[tuple[str, int]] = []
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            auth = admin if case.path.startswith("/AuditEvent") else headers
            response = case.call(base_url=api.base, headers=auth, timeout=60)
            calls.append((case.path, response.status_code))
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
            if response.status_code >= 400 and case.path != "/auth/token":
                assert response.json()["resourceType"] == "OperationOutcome"

        call()
    print(
        f"\nschemathesis: {len(calls)} calls over {len(operations)} operations, no 5xx;"
        f" statuses {sorted({s for _, s in calls})}"
    )
    assert len(calls) >= len(operations)
