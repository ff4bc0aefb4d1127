"""Property-based run of the published OpenAPI description against the app (through WSGI) on a
seeded district: no request schemathesis generates may cause a server error, and every response
must match the description (status code, content type, body schema).

One test per operation (listed from the description at collection time). Reads use the
officer's token (the whole district); self-inspection and item writes the company's, weekly
report writes the street office's, so the success paths are exercised as well as refusals.
Examples per operation are limited to keep the run short."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supervision import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 15

_spec_app = create_app({"SECRET_KEY": "spec-only", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
LABELS = sorted(result.ok().label for result in
                schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _spec_app).get_all_operations())


def _user_for(method: str, path: str) -> str:
    if method == "GET":
        return "officer"
    return "street" if path.startswith("/api/v1/reports") else "company"


def test_every_operation_is_fuzzed():
    assert len(LABELS) >= 20 and "PUT /api/v1/enrolments/{enrolment_id}/self-inspection" in LABELS


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("label", LABELS)
def test_operation_conforms_to_the_openapi_description(api_schema, district, bearer, label):
    operation = api_schema.find_operation_by_label(label)
    method, path = label.split(" ", 1)
    users = {"officer": district.officer, "company": district.company_user, "street": district.street_user}
    headers = bearer(users[_user_for(method, path)])

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
