"""The OpenAPI description at /api/schema/: valid OpenAPI 3, complete, and true to the API.

Schemathesis generates requests for every operation, valid and invalid ones, sends them to the app in-process
(WSGI) and checks that none is answered with a 5xx and that every answer matches what the schema says.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from invoices.actors import Actor
from invoices.deliveries import invoice_push
from tests.api.v1.helpers import generic_invoice
from tests.factories import ProviderAccountFactory, make_invoice

# v1: no 5xx, and every answer as documented (status, content type, headers, body).
V1_CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# The mirrors answer in their providers' envelopes, as their own part of the schema documents them.
MIRROR_CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
SCHEMA_URL = "/api/schema/?format=json"
MAX_EXAMPLES = 25  # per operation and generation mode: a few minutes on two cores for the whole schema
V1_OPERATIONS = {
    ("GET", "/api/v1/invoices/"),
    ("POST", "/api/v1/invoices/"),
    ("GET", "/api/v1/invoices/{id}/"),
    ("PATCH", "/api/v1/invoices/{id}/"),
    ("POST", "/api/v1/invoices/{id}/transitions/"),
    ("GET", "/api/v1/invoices/{id}/history/"),
    ("GET", "/api/v1/invoices/{id}/deliveries/"),
    ("POST", "/api/v1/invoices/{id}/push/"),
    ("POST", "/api/v1/invoices/{id}/emails/"),
    ("GET", "/api/v1/deliveries/{id}/"),
    ("POST", "/api/v1/deliveries/{id}/retry/"),
}


@pytest.fixture
def schema_json(client: Any) -> dict[str, Any]:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema_json: dict[str, Any]) -> None:
    validate(schema_json)  # raises on any violation of the OpenAPI 3 specification

    assert schema_json["openapi"].startswith("3.")


def test_the_schema_describes_every_v1_operation_with_its_errors_and_the_token_scheme(
    schema_json: dict[str, Any],
) -> None:
    operations = {
        (method.upper(), path): operation
        for path, item in schema_json["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert set(operations) >= V1_OPERATIONS
    for key in V1_OPERATIONS:
        operation = operations[key]
        assert operation["summary"], key
        assert operation["tags"], key
        assert {"401", "403", "429"} <= set(operation["responses"]), key
        assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert {"tokenAuth": []} in operation["security"], key
    assert schema_json["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema_json["components"]["securitySchemes"]["tokenAuth"]["description"],
    }
    patch = operations[("PATCH", "/api/v1/invoices/{id}/")]
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert {"200", "409", "412"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert "status" not in schema_json["components"]["schemas"]["PatchedInvoiceUpdateRequest"]["properties"]
    description = schema_json["info"]["description"]
    assert "/api/v1/" in description
    assert "mirror" in description.lower()


def test_swagger_ui_is_served(client: Any) -> None:
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content


# --- Schemathesis ------------------------------------------------------------------------------------------
@pytest.fixture
def no_throttling(settings: Any) -> None:
    # Schemathesis sends hundreds of requests a minute: with throttles on, most would come back 429.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": None, "staff_user": None, "auth_failure": None},
    }


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@dataclass
class Tally:
    cases: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"schemathesis: {sum(self.cases.values())} cases over {len(self.cases)} operations"]
        lines += [f"  {count:5d}  {label}" for label, count in sorted(self.cases.items())]
        lines.append("  statuses: " + ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())))
        return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """How to call one part of the API: credentials to add, real ids to aim at, the checks to run."""

    checks: list[Any]
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    real_ids: dict[str, list[int]] = field(default_factory=dict)


def run_operation(operation: Any, mode: GenerationMode, target: Target, tally: Tally, *, tag: str = "") -> None:
    label = f"{operation.label} [{mode.value}{tag}]"
    tally.cases.setdefault(label, 0)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), existing=st.booleans())
    def run(case: Any, existing: bool) -> None:
        # Half the cases aim at objects that exist, so the operations get past their 404s.
        if existing and target.real_ids and "id" in (case.path_parameters or {}):
            kind = "deliveries" if "/deliveries/{id}" in operation.path else "invoices"
            case.path_parameters["id"] = random.choice(target.real_ids[kind])
        if existing and target.real_ids and isinstance(case.body, dict) and "account" in case.body:
            case.body["account"] = target.real_ids["accounts"][0]
        response = case.call(headers=target.headers or None, params=target.params or None)
        tally.cases[label] += 1
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=target.checks)

    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # schemathesis raises failure groups; keep going, report every operation
        tally.failures.append(f"{label}: {type(exc).__name__}: {exc}"[:3000])


def load_schema() -> Any:
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema_in_v1(
    db: None, issue_api_client: Any, no_throttling: None, in_process_requests: None, capsys: Any
) -> None:
    # given an operator client and a few invoices and deliveries it may act on
    account = ProviderAccountFactory(kind="generic")
    credentials = issue_api_client(account, role="operator", name="schemathesis")
    invoices = [generic_invoice(account) for _ in range(3)] + [make_invoice(account=account, status="paid")]
    deliveries = [invoice_push(invoice_id=i.pk, actor=Actor.system("tests")) for i in invoices[:2]]
    target = Target(
        checks=V1_CHECKS,
        headers={"Authorization": f"Token {credentials.token}"},
        real_ids={
            "accounts": [account.pk],
            "invoices": [i.pk for i in invoices],
            "deliveries": [d.pk for d in deliveries],
        },
    )
    tally = Tally()

    # when schemathesis tries every operation of the normalized API with valid and invalid data
    for result in load_schema().get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/v1/"):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run_operation(operation, mode, target, tally)

    # then nothing failed, and every operation was really exercised
    with capsys.disabled():  # the number of cases run, shown whatever the outcome
        print("\n" + tally.report())
    assert not tally.failures, "\n\n".join(tally.failures)
    assert {label.split(" [")[0] for label in tally.cases} == {f"{m} {p}" for m, p in V1_OPERATIONS}
    assert all(count > 0 for count in tally.cases.values()), tally.report()
    assert any(200 <= code < 300 for code in tally.statuses), tally.report()


def mirror_credentials(path: str, issued: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query parameters that authenticate a mirror call the way the provider's clients do (Rapyd
    signs each request: its cases go unauthenticated)."""
    if path.startswith(("/api/arcadier/", "/api/generic/")):
        return {"Authorization": f"Bearer {issued.token}"}, {}
    if path.startswith("/api/modulus/"):
        return {}, {"token": issued.token}
    if path.startswith("/api/vtex/"):
        return {"X-VTEX-API-AppKey": issued.app_key, "X-VTEX-API-AppToken": issued.app_token}, {}
    return {}, {}


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema_in_the_mirrors(
    sandbox_account: Any, issue_api_client: Any, no_throttling: None, capsys: Any
) -> None:
    # The accounts point at the sandbox over real HTTP: a case that gets through validation is recorded, queued and
    # delivered within the mirror's budget like any other call (the data is committed: transactional test).
    mirrors = [r.ok() for r in load_schema().get_all_operations() if not r.ok().path.startswith("/api/v1/")]
    assert {m.path.split("/")[2] for m in mirrors} == {"arcadier", "modulus", "generic", "vtex", "rapyd"}
    accounts = [sandbox_account(kind) for kind in ("arcadier", "modulus", "generic", "vtex", "rapyd")]
    issued = issue_api_client(*accounts, role="operator", name="schemathesis-mirrors")
    tally = Tally()

    # when schemathesis calls every mirror operation, without credentials and with the provider-style ones
    for operation in mirrors:
        headers, params = mirror_credentials(operation.path, issued)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, mode, Target(checks=MIRROR_CHECKS), tally, tag=", anonymous")
            if headers or params:
                target = Target(checks=MIRROR_CHECKS, headers=headers, params=params)
                run_operation(operation, mode, target, tally, tag=", authenticated")

    # then none of them answered with a server error, nor off their part of the schema
    with capsys.disabled():  # the number of cases run, shown whatever the outcome
        print("\n" + tally.report())
    assert not tally.failures, "\n\n".join(tally.failures)
    assert all(count > 0 for count in tally.cases.values()), tally.report()
