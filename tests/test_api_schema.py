"""Schemathesis against the served OpenAPI description, with a valid token: whatever it generates
from the description, the server answers no 5xx and every answer conforms to the description
(status, content type, headers, body schema). Kept short: a few examples per operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import issue_token
from tests.support import Org, case_in
from tests.test_web_fixtures import make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]  # fmt: skip
EXAMPLES = 15


@pytest.fixture
def api_app(rt: Any, org: Org, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    return make_app(rt, API_RATE_LIMIT="100000 per minute")


def test_every_operation_conforms_to_the_description(api_app: Flask, org: Org) -> None:
    for state in ("reported", "assessed", "published"):
        case_in(org, state)
    # identity: the in-process WSGI client does not undo the app's gzip as an HTTP client would
    headers = {"Authorization": f"Bearer {issue_token(org, 'assessor')}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def conforms(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        conforms()
