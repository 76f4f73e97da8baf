"""The modulus emulator's documented refusals, sent raw as any client would."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from providers.sandbox import modulus as sandbox

from .conftest import invoice_effects, raw_invoice_call, raw_token

CREATE: dict[str, Any] = {
    "customer_details": {"code": "CUST-7", "name": "Ada Lovelace", "type": "organization", "currency": "EUR"},
    "branch_code": "HQ",
    "issue_date": "2026-11-01",
    "due_date": "2026-12-01",
    "book_id": 3,
    "status": "STATUS_SENT",
    "payment_term_id": 2,
    "items": [{"item_code": "SKU-1", "unit_id": 1, "quantity": 2, "unit_price": 10.5}],
}


def changed(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(CREATE)
    *parents, last = path.split(".")
    target: Any = body
    for name in parents:
        target = target[int(name)] if name.isdigit() else target[name]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "code", "message"),
    [
        ("customer_details", "CUST-7", 5500, "Invalid Customer."),
        ("customer_details.code", _DELETE, 5677, "Missing customer code."),
        ("customer_details.name", "", 5675, "Missing customer name."),
        ("customer_details.currency", "EURO", 5609, "Invalid currency."),
        ("branch_code", _DELETE, 5522, "Missing branch code."),
        ("issue_date", "01/11/2026", 5523, "Missing or invalid issue date."),
        ("due_date", _DELETE, 5524, "Missing or invalid due date."),
        ("due_date", "2026-10-01", 5506, "Issue date can not be after due date."),
        ("book_id", _DELETE, 5525, "Missing invoice book."),
        ("status", _DELETE, 5526, "Missing status."),
        ("status", "STATUS_VOID", 5505, "Invalid status."),
        ("payment_term_id", _DELETE, 5527, "Missing payment term."),
        ("payment_term_id", "net30", 5512, "Invalid payment term."),
        ("items", [], 5528, "Document must has one or more item row."),
        ("items.0.unit_id", _DELETE, 5529, "Missing code, unit or quantity in item row with index 0."),
        ("items.0.quantity", 0, 5507, "Some rows are invalid."),
    ],
)
def test_a_create_missing_what_modulus_requires_is_refused_with_its_error_code(
    sandbox_url: str, transactional_db: None, path: str, value: Any, code: int, message: str
) -> None:
    response = raw_invoice_call(sandbox_url, "POST", changed(path, value), raw_token(sandbox_url))

    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "title": "Error",
        "message": message,
        "object": {"error_code": code},
    }
    assert invoice_effects() == []


def test_a_valid_create_is_answered_with_the_new_id_and_number(sandbox_url: str, transactional_db: None) -> None:
    sandbox.seed_invoice(1500, "INV_OLD")

    response = raw_invoice_call(sandbox_url, "POST", CREATE, raw_token(sandbox_url))

    assert response.status_code == 200
    assert response.json() == {
        "result": True,
        "title": "Success",
        "message": "Invoice added successfully.",
        "object": {"invoice_id": 1501, "invoice_number": "INV_2026_11_01_1501"},
    }


@pytest.mark.parametrize(
    ("details", "code", "message"),
    [
        ({"invoice_id": 35, "invoice_number": "INV_35"}, 5526, "Missing status."),
        ({"invoice_id": 35, "invoice_number": "INV_35", "status": "STATUS_PAID"}, 5505, "Invalid status."),
    ],
)
def test_an_update_without_a_valid_status_is_refused_with_its_error_code(
    sandbox_url: str, transactional_db: None, details: dict[str, Any], code: int, message: str
) -> None:
    sandbox.seed_invoice(35, "INV_35")

    response = raw_invoice_call(sandbox_url, "PATCH", {"customer_details": details}, raw_token(sandbox_url))

    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "title": "Error",
        "message": message,
        "object": {"error_code": code},
    }


def test_a_voided_invoice_cannot_be_sent_again(sandbox_url: str, transactional_db: None) -> None:
    sandbox.seed_invoice(35, "INV_35", "STATUS_VOID")
    body = {"customer_details": {"invoice_id": "35", "status": "STATUS_SENT", "invoice_number": "INV_35"}}

    response = raw_invoice_call(sandbox_url, "PATCH", body, raw_token(sandbox_url))

    assert response.status_code == 400
    assert response.json()["object"] == {"error_code": 5505}


@pytest.mark.parametrize("void_date", ["2026-13-01 00:00:00", "14/01/2025"])
def test_an_unreadable_void_date_is_refused(sandbox_url: str, transactional_db: None, void_date: str) -> None:
    sandbox.seed_invoice(35, "INV_35")
    details = {"invoice_id": 35, "status": "STATUS_VOID", "invoice_number": "INV_35", "void_date": void_date}

    response = raw_invoice_call(sandbox_url, "PATCH", {"customer_details": details}, raw_token(sandbox_url))

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid void date."


def test_a_call_without_token_is_refused(sandbox_url: str, transactional_db: None) -> None:
    response = raw_invoice_call(sandbox_url, "POST", CREATE, "")

    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_only_post_and_patch_reach_the_invoice_endpoint(sandbox_url: str, transactional_db: None) -> None:
    response = raw_invoice_call(sandbox_url, "GET", "", raw_token(sandbox_url))

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, PATCH"
