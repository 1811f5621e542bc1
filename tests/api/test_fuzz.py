"""Schemathesis against the live server's /openapi.json, on each backend: generated requests
(valid and invalid) never get a 5xx, and every answer matches the documented status codes,
content types and schemas. Bounded: a fixed number of examples per operation, no deadline.

(schemathesis' own pytest plugin, `from_fixture`, does not run under pytest 9, so the test walks
the operations itself with each operation's Hypothesis strategy.)"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TenantFixture
from tests.server import Server

EXAMPLES_PER_OPERATION = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_as_documented(server: Server, tenant: TenantFixture) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(headers={"x-api-key": tenant.api_key}, checks=CHECKS, timeout=30)

        answers_as_documented()
