"""Schemathesis fuzzes every GET operation of /openapi.json against the app holding the demo.

A bounded run (a few examples per operation, derandomized so a failure reproduces) as a super admin, who
passes every gate and so reaches the deepest code: no answer may be a 5xx, and every answer must match
the document's schema and media type.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from sqlalchemy.engine import Connection

from app import create_app
from tests.auth_support import demo_connection, demo_tokens

EXAMPLES_PER_OPERATION = 4
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def demo() -> Iterator[Connection]:
    with demo_connection() as conn:
        yield conn


def _fuzz(operation, headers: dict[str, str], checks: list) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    run()


def test_no_get_operation_fails_or_breaks_its_schema(demo):
    app = create_app({"TESTING": True, "DB_CONNECTION": demo, "ADMIN_TOKEN": None})
    headers = demo_tokens(demo)["super_admin"]
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(method="GET")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, headers, CHECKS)
        except (AssertionError, BaseExceptionGroup) as err:
            failures.append(f"{operation.label}: {str(err)[:1500]}")
    assert operations > 50
    assert failures == [], "\n\n".join(failures)
