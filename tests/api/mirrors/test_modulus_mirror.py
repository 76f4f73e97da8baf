"""The modulus mirror's pure mapping (providers/modulus/mirror.py): the "Update Invoice" body read as modulus
reads it, and modulus' envelope. No database, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from providers.modulus import mirror

PAGE_DATE = datetime(2024, 12, 26, 14, 8, 19, tzinfo=UTC)


def update(**fields: Any) -> mirror.StatusUpdate:
    details = {"invoice_id": "35", "status": "STATUS_SENT", "invoice_number": "INV_2023_01_01_828", **fields}
    return mirror.read_update({"customer_details": details})


@pytest.mark.parametrize("given", [35, "35", " 35 ", "035"])
def test_the_invoice_id_is_read_as_an_integer_or_its_digits(given: Any) -> None:
    assert update(invoice_id=given).invoice_id == "35"


def test_the_statuses_are_read_into_ours_and_the_number_is_trimmed() -> None:
    sent = update(invoice_number=" INV_2023_01_01_828 ", void_date="2023-01-14 19:59:22")
    void = update(status="STATUS_VOID", void_date="2023-01-14 19:59:22 ")

    assert (sent.status, sent.invoice_number, sent.raw_void_date) == ("open", "INV_2023_01_01_828", None)
    assert (void.status, void.raw_void_date) == ("void", "2023-01-14 19:59:22 ")


def test_a_body_that_is_not_a_json_object_is_refused() -> None:
    for body, message in (
        (b"{", "The request body is not valid JSON."),
        (b"[1]", "The request body must be a JSON object."),
    ):
        with pytest.raises(mirror.Refusal) as refused:
            mirror.read_body(body)
        assert (refused.value.status, refused.value.message, refused.value.error_code) == (400, message, None)


@pytest.mark.parametrize(
    ("fields", "message", "code"),
    [
        ({"invoice_id": None}, "Invalid invoice id.", None),
        ({"invoice_id": 3.5}, "Invalid invoice id.", None),
        ({"status": None}, "Missing status.", 5526),
        ({"status": "STATUS_DRAFT"}, "Invalid status.", 5505),
        ({"invoice_number": 828}, "Missing invoice number.", None),
    ],
)
def test_details_modulus_would_refuse_are_refused_with_its_message_and_code(
    fields: dict[str, Any], message: str, code: int | None
) -> None:
    with pytest.raises(mirror.Refusal) as refused:
        update(**fields)

    assert (refused.value.message, refused.value.error_code) == (message, code)


def test_the_status_is_checked_before_the_number_as_modulus_does() -> None:
    with pytest.raises(mirror.Refusal) as refused:
        update(status="STATUS_PAID", invoice_number="")

    assert refused.value.error_code == mirror.INVALID_STATUS


def test_a_void_date_is_kept_trimmed_when_it_has_passed() -> None:
    voiding = update(status="STATUS_VOID", void_date=" 2023-01-14 19:59:22 ")

    assert mirror.void_date(voiding, PAGE_DATE) == "2023-01-14 19:59:22"
    assert mirror.void_date(update(status="STATUS_VOID"), PAGE_DATE) is None


def test_a_void_date_in_the_future_is_refused_with_modulus_message() -> None:
    voiding = update(status="STATUS_VOID", void_date="2025-01-14 19:59:22")

    with pytest.raises(mirror.Refusal) as refused:
        mirror.void_date(voiding, PAGE_DATE)

    assert (refused.value.status, refused.value.message) == (400, "The void date cannot be in the future.")
    assert mirror.void_date(voiding, datetime(2025, 1, 14, 19, 59, 22, tzinfo=UTC)) == "2025-01-14 19:59:22"


def test_a_void_date_not_written_as_modulus_writes_it_is_refused() -> None:
    with pytest.raises(mirror.Refusal) as refused:
        mirror.void_date(update(status="STATUS_VOID", void_date="2023-01-14T19:59:22"), PAGE_DATE)

    assert refused.value.message == "Invalid void date."


def test_the_envelopes_are_modulus() -> None:
    assert mirror.success() == {"result": True, "title": "Success", "message": "Invoice Status changed successfully"}
    assert mirror.success({"result": True, "title": "Success", "message": "Done."})["message"] == "Done."
    assert mirror.success({"result": False})["message"] == "Invoice Status changed successfully"
    assert mirror.accepted(9) == {
        "result": True,
        "title": "Accepted",
        "message": "Invoice Status change accepted and queued",
        "object": {"delivery_id": 9},
    }
    assert mirror.error(400, "Invalid status.", 5505) == {
        "result": False,
        "title": "Error",
        "message": "Invalid status.",
        "object": {"error_code": 5505},
    }
    assert mirror.error(401, mirror.INVALID_TOKEN)["title"] == "Unauthorized"
    assert mirror.error(400, mirror.TOKEN_REQUIRED, title="Bad Request")["title"] == "Bad Request"
    assert (mirror.error_code("5505"), mirror.error_code("PAYLOAD_TOO_LARGE"), mirror.error_code("")) == (
        5505,
        None,
        None,
    )
