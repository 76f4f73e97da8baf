"""The Rapyd adapter over real HTTP against the sandbox: every operation, and the answer mapped back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from providers.base import InvoiceData, TemporaryError
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.models import ProviderAccount
from providers.rapyd.adapter import RapydAdapter
from providers.registry import adapter_for
from providers.sandbox import rapyd as emulator
from providers.sandbox.models import SandboxRequest
from tests.providers.faults import effects, script_faults

from .helpers import CUSTOMER, load_seed, push_change

Build = Callable[..., InvoiceData]
LINES = [
    {"sku": "SKU-1", "description": "Widget", "quantity": Decimal("2"), "unit_price": Decimal("10.00")},
    {"sku": "SKU-2", "description": "Gadget", "quantity": Decimal("1"), "unit_price": Decimal("5.50")},
]


def test_a_new_draft_is_created_at_rapyd_and_its_id_returned(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    # given a draft Rapyd has not seen
    data = rapyd_invoice(lines=LINES, description="November", metadata={"order": "A-1"})

    # when its fields are pushed
    result = adapter.push(data, push_change())

    # then Rapyd holds it, with our lines and amounts
    assert result.ok
    assert result.remote_id.startswith("invoice_")
    assert (result.remote_status, result.status) == ("draft", "draft")
    stored = emulator.stored_invoice(result.remote_id)
    assert stored is not None
    assert stored["customer"] == CUSTOMER
    assert [(line["description"], line["amount"]) for line in stored["lines"]] == [
        ("Widget", Decimal("20.00")),
        ("Gadget", Decimal("5.50")),
    ]
    assert stored["total"] == data.total == Decimal("25.50")
    assert stored["description"] == "November"
    assert stored["due_date"] == 1796083200  # 2026-12-01, the factory's due date
    assert result.data["total"] == "25.50"
    assert effects("rapyd") == [f"created {result.remote_id}"]
    assert [e.method for e in result.exchanges] == ["POST"]
    assert result.exchanges[0].url.endswith("/sandbox/rapyd/v1/invoices")


def test_a_draft_moved_to_open_is_created_then_finalized(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    data = rapyd_invoice(status="open", lines=LINES)

    result = adapter.push(data, push_change("open", "draft"))

    assert (result.remote_status, result.status) == ("open", "open")
    assert result.remote_number.isdigit()
    assert [e.url.rsplit("/v1/", 1)[1] for e in result.exchanges] == [
        "invoices",
        f"invoices/{result.remote_id}/finalize",
    ]
    assert effects("rapyd") == [f"created {result.remote_id}", f"open {result.remote_id}"]


def test_an_invoice_paid_before_it_was_ever_pushed_walks_rapyds_states(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    data = rapyd_invoice(status="paid", lines=LINES)

    result = adapter.push(data, push_change("paid", "open"))

    assert result.status == "paid"
    assert [effect.split()[0] for effect in effects("rapyd")] == ["created", "open", "paid"]


@pytest.mark.parametrize(
    ("from_status", "to_status", "method", "tail", "remote_status"),
    [
        ("draft", "open", "POST", "/finalize", "open"),
        ("open", "paid", "POST", "/pay", "paid"),
        ("open", "uncollectible", "POST", "/mark_uncollectible", "uncollectible"),
        ("open", "void", "POST", "/void", "void"),
        ("uncollectible", "paid", "POST", "/pay", "paid"),
        ("uncollectible", "void", "POST", "/void", "void"),
        ("draft", "void", "DELETE", "", "deleted"),
    ],
)
def test_each_status_move_is_sent_to_rapyds_endpoint_and_mapped_back(
    adapter: RapydAdapter,
    rapyd_invoice: Build,
    from_status: str,
    to_status: str,
    method: str,
    tail: str,
    remote_status: str,
) -> None:
    # given an invoice Rapyd holds in the status we are leaving
    held = emulator.seed_invoice(status=from_status)
    data = rapyd_invoice(status=to_status, remote_id=held["id"])

    # when the move is pushed
    result = adapter.push(data, push_change(to_status, from_status))

    # then one call to Rapyd's own endpoint made it, and the answer maps to our status
    (exchange,) = result.exchanges
    assert exchange.method == method
    assert exchange.url.endswith(f"/sandbox/rapyd/v1/invoices/{held['id']}{tail}")
    assert exchange.request_body == ""
    assert (result.remote_id, result.remote_status, result.status) == (held["id"], remote_status, to_status)
    assert len(effects("rapyd")) == 1


def test_a_fields_only_push_sends_rapyds_update_body(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    # given a draft at Rapyd, and our copy with new fields
    held = emulator.seed_invoice()
    data = rapyd_invoice(
        remote_id=held["id"],
        lines=[{"unit_price": Decimal("10"), "tax_rate": Decimal("10")}],
        description="Café ☕ order",
        due_date=dt.date(2026, 12, 31),
        metadata={"order": "A-1"},
        provider_fields={"statement_descriptor": "ACME*NOVEMBER"},
    )

    # when
    result = adapter.push(data, push_change())

    # then
    (exchange,) = result.exchanges
    assert exchange.method == "POST"
    assert json.loads(exchange.request_body) == {
        "due_date": 1798675200,
        "description": "Café ☕ order",
        "metadata": {"order": "A-1"},
        "statement_descriptor": "ACME*NOVEMBER",
        "tax_percent": 10,
    }
    stored = emulator.stored_invoice(held["id"])
    assert stored is not None
    assert stored["description"] == "Café ☕ order"
    assert stored["statement_descriptor"] == "ACME*NOVEMBER"
    assert stored["tax_percent"] == 10
    assert result.remote_status == "draft"
    changed = "days_until_due, description, due_date, metadata, statement_descriptor, tax_percent"
    assert effects("rapyd") == [f"updated {held['id']}: {changed}"]


def test_the_seed_example_is_what_the_adapter_sends_for_an_equivalent_invoice(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    held = emulator.seed_invoice()
    data = rapyd_invoice(
        remote_id=held["id"],
        lines=[],
        due_date=None,
        metadata={"merchant_defined": "updated"},
        provider_fields={"days_until_due": 40},
    )

    result = adapter.push(data, push_change())

    assert json.loads(result.exchanges[0].request_body) == load_seed("rapyd_update_invoice_request.json")
    assert result.exchanges[0].status_code == 200


def test_a_draft_that_never_reached_rapyd_is_voided_without_a_call(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    data = rapyd_invoice(status="void")

    result = adapter.push(data, push_change("void", "draft"))

    assert result.ok
    assert result.exchanges == ()
    assert not SandboxRequest.objects.filter(kind="rapyd").exists()


def test_the_remote_invoice_is_read_back(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    held = emulator.seed_invoice(
        status="uncollectible", lines=[{"amount": Decimal("12.30"), "description": "x"}], tax_percent=10
    )

    state = adapter.fetch_remote(rapyd_invoice(status="uncollectible", remote_id=held["id"]))

    assert state.exists
    assert (state.remote_status, state.status) == ("uncollectible", "uncollectible")
    assert state.data["total"] == "13.53"
    assert [e.method for e in state.exchanges] == ["GET"]


def test_a_deleted_or_unknown_invoice_reads_back_as_missing(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    held = emulator.seed_invoice(status="deleted")

    gone = adapter.fetch_remote(rapyd_invoice(remote_id=held["id"]))
    never = adapter.fetch_remote(rapyd_invoice())

    assert gone.exists is False
    assert gone.exchanges[0].status_code == 404
    assert never.exists is False
    assert never.exchanges == ()


def test_a_read_is_retried_once_after_a_dropped_connection(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    held = emulator.seed_invoice()
    script_faults("rapyd", ["drop"])

    state = adapter.fetch_remote(rapyd_invoice(remote_id=held["id"]))

    assert state.exists
    assert SandboxRequest.objects.filter(kind="rapyd").count() == 2


def test_test_connection_says_a_signed_request_was_accepted(adapter: RapydAdapter) -> None:
    message = adapter.test_connection()

    assert "Rapyd accepted a signed request" in message
    assert SandboxRequest.objects.get(kind="rapyd").status_code == 200


def test_the_preview_is_exactly_what_push_sends_with_secrets_masked(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    # given a draft Rapyd has not seen, moved to open
    data = rapyd_invoice(status="open", lines=LINES, description="Straße ☕")
    change = push_change("open", "draft")

    # when previewed (no network), then pushed
    previewed = adapter.preview(data, change)
    assert not SandboxRequest.objects.filter(kind="rapyd").exists()
    result = adapter.push(data, change)

    # then the preview shows each request that went out: method, URL, compact body, secrets masked
    assert len(previewed) == len(result.exchanges) == 2
    created_id = result.remote_id
    for preview, exchange in zip(previewed, result.exchanges, strict=True):
        assert preview.method == exchange.method
        assert preview.url.replace("{invoice}", created_id) == exchange.url
        assert preview.body == exchange.request_body
        assert set(preview.headers) == set(exchange.request_headers)
        assert preview.headers["access_key"] == preview.headers["signature"] == "***"
        assert preview.headers["Content-Type"] == "application/json"
        assert 8 <= len(preview.headers["salt"]) <= 16
    assert previewed[0].body == dumps_compact(loads_decimal(previewed[0].body)), "compact JSON"
    assert [p.headers["idempotency"] for p in previewed] == [
        f"{change.idempotency_key}:create",
        change.idempotency_key,
    ]


def test_a_push_repeated_with_the_same_key_applies_once(adapter: RapydAdapter, rapyd_invoice: Build) -> None:
    held = emulator.seed_invoice(status="open")
    data = rapyd_invoice(status="paid", remote_id=held["id"])
    change = push_change("paid", "open")

    first = adapter.push(data, change)
    second = adapter.push(data, change)

    assert first.data == second.data
    assert effects("rapyd") == [f"paid {held['id']}"]


def test_a_push_whose_answer_was_lost_is_settled_by_rapyds_replay(
    sandbox_account: Callable[..., ProviderAccount], rapyd_invoice: Build
) -> None:
    # given a push that Rapyd applied but whose answer never arrived
    adapter = adapter_for(sandbox_account("rapyd", read_timeout=1))
    held = emulator.seed_invoice()
    data = rapyd_invoice(status="open", remote_id=held["id"])
    change = push_change("open", "draft")
    script_faults("rapyd", ["timeout"], timeout_s=2)
    with pytest.raises(TemporaryError) as excinfo:
        adapter.push(data, change)
    assert excinfo.value.uncertain

    # when the relay retries with the same key
    result = adapter.push(data, change)

    # then Rapyd answers with the first response and finalizes only once
    assert result.status == "open"
    assert effects("rapyd") == [f"open {held['id']}"]


def test_a_retried_create_returns_the_same_invoice_rather_than_a_second_one(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    # given a create that succeeded and a finalize that met a 503
    data = rapyd_invoice(status="open", lines=LINES)
    change = push_change("open", "draft")
    script_faults("rapyd", ["ok", "503"])
    with pytest.raises(TemporaryError) as excinfo:
        adapter.push(data, change)
    assert [e.status_code for e in excinfo.value.exchanges] == [200, 503], "both exchanges are reported"

    # when the push is retried
    result = adapter.push(data, change)

    # then
    assert effects("rapyd") == [f"created {result.remote_id}", f"open {result.remote_id}"]
    assert len(emulator.list_objects("rapyd", "invoices")) == 1


def test_pushing_an_invoice_as_it_stands_makes_only_the_call_rapyd_still_misses(
    adapter: RapydAdapter, rapyd_invoice: Build
) -> None:
    # given an invoice Rapyd already holds as open
    from dataclasses import replace

    opened = adapter.push(rapyd_invoice(status="open", lines=LINES), push_change("open", "draft"))
    data = replace(rapyd_invoice(status="open", lines=LINES), remote_id=opened.remote_id)

    # when it is pushed as it stands (no recorded move), twice
    again = adapter.push(data, push_change("open"))
    twice = adapter.push(data, push_change("open"))

    # then Rapyd is only read: no second finalize, which its state machine would refuse
    assert again.ok
    assert twice.ok
    assert [e.method for e in again.exchanges] == ["GET"]
    assert effects("rapyd") == [f"created {opened.remote_id}", f"open {opened.remote_id}"]

    # and when our invoice is paid but Rapyd still shows it open, only the pay call is made
    paid = adapter.push(replace(data, status="paid"), push_change("paid"))
    assert [e.url.rsplit("/v1/", 1)[1] for e in paid.exchanges] == [
        f"invoices/{opened.remote_id}",
        f"invoices/{opened.remote_id}/pay",
    ]
    assert (paid.remote_status, paid.status) == ("paid", "paid")
