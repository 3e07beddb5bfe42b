"""Schemathesis over the whole OpenAPI document, as the API's own users would call it: a valid token
of several roles, cases in the database, every operation. No server error, every response as the
document says (status, content type, headers, body), invalid input refused."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance, negative_data_rejection, not_a_server_error, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from caseflow.services.api_tokens import create_token
from tests.conftest import COUNTS, OPERATIONS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request):
    """Schemathesis 4.32 renames the test by ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def tokens(make):
    """A token per role over a small world: a unit's case assigned, one registered, result classes."""
    unit = make.unit(name="区民政局")
    dispatcher = make.user("dispatcher")
    handler = make.user("handler", unit=unit)
    proposer = make.user("proposer")
    make.result_classes()
    make.assigned_case(dispatcher, [unit], lead_proposer=proposer.proposer)
    make.case(lead_proposer=proposer.proposer)
    users = {"dispatcher": dispatcher, "handler": handler, "proposer": proposer}
    return {role: create_token(user, user.id, "schemathesis")[1] for role, user in users.items()}


FUZZ = settings(max_examples=5, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])


def call(case, secret: str) -> None:
    OPERATIONS.add(case.operation.label)
    COUNTS["requests"] += 1
    headers = {"Authorization": f"Bearer {secret}"}
    response = case.call(headers=headers)
    COUNTS["server_errors"] += response.status_code >= 500
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
@FUZZ
def test_as_dispatcher(case, tokens):
    call(case, tokens["dispatcher"])


@schema.parametrize()
@FUZZ
def test_as_handler(case, tokens):
    call(case, tokens["handler"])


@schema.parametrize()
@FUZZ
def test_as_proposer(case, tokens):
    call(case, tokens["proposer"])


def test_following_the_links(app, tokens):
    """Schemathesis's state machine: from a case list or a registration to the case, and on to its
    files, letters and actions with the row's version from the answer (the document's links)."""
    machine = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).as_state_machine()

    for role in ("dispatcher", "handler"):
        headers = {"Authorization": f"Bearer {tokens[role]}"}

        class AsRole(machine):
            def get_call_kwargs(self, case):
                OPERATIONS.add(case.operation.label)
                COUNTS["requests"] += 1
                COUNTS["stateful_requests"] += 1
                return {"headers": headers}

            def validate_response(self, response, case, **kwargs):
                COUNTS["server_errors"] += response.status_code >= 500
                case.validate_response(response, checks=CHECKS, headers=headers)

        AsRole.run(settings=settings(max_examples=10, stateful_step_count=6, deadline=None, derandomize=True,
                                     suppress_health_check=list(HealthCheck)))
