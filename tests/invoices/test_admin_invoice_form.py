"""The invoice page: creating and editing go through the services; bad input comes back as a form error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from invoices.models import Invoice, StatusChange
from providers.models import ProviderAccount
from tests.factories import ProviderAccountFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

ADD = reverse("admin:invoices_invoice_add")


def change_url(invoice: Invoice) -> str:
    return reverse("admin:invoices_invoice_change", args=[invoice.pk])


def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(role="operator"))
    return client


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would post back unchanged: every field of the form and of each inline, as rendered."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if value is None or value is False:
                continue
            if hasattr(bound.field, "fields"):  # a split date/time: one input per part
                for index, part in enumerate(bound.field.widget.decompress(value)):
                    if part is not None:
                        data[f"{bound.html_name}_{index}"] = str(part)
                continue
            data[bound.html_name] = "on" if value is True else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def new_invoice_data(client: Client, account: ProviderAccount, **overrides: Any) -> dict[str, Any]:
    data = form_data(client.get(ADD))
    data.update(
        {
            "number": "INV-ADMIN-1",
            "account": str(account.pk),
            "invoice_type": "sale",
            "customer_name": "Grace Hopper",
            "customer_email": "grace@example.com",
            "currency": "EUR",
            "issue_date": "2026-11-01",
            "due_date": "2026-12-01",
            "discount": "5.00",
            "lines-0-sku": "SKU-9",
            "lines-0-description": "Compiler licence",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "19.99",
            "lines-0-tax_rate": "20",
        }
    )
    data.update(overrides)
    return data


def errors_of(response: Any) -> dict[str, list[str]]:
    """Form errors by field: the inline forms' under "<prefix>-<index>-<field>", the whole form's under
    "__all__"."""
    errors = {name: list(messages) for name, messages in response.context["adminform"].form.errors.items()}
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            for name, messages in form.errors.items():
                errors[form.add_prefix(name)] = list(messages)
    return errors


def test_an_invoice_added_in_the_admin_is_created_by_the_service_with_totals_and_history() -> None:
    # given
    client = operator()
    account = ProviderAccountFactory(kind="generic")

    # when
    response = client.post(ADD, new_invoice_data(client, account))

    # then
    assert response.status_code == 302
    invoice = Invoice.objects.get(number="INV-ADMIN-1")
    assert invoice.status == "draft"
    # 3 x 19.99 = 59.97; tax 20% = 11.99 (half-up per line); total = 59.97 - 5.00 + 11.99
    assert (invoice.subtotal, invoice.tax, invoice.discount, invoice.total) == (
        Decimal("59.97"),
        Decimal("11.99"),
        Decimal("5.00"),
        Decimal("66.96"),
    )
    [line] = invoice.lines.all()
    assert (line.sku, line.quantity, line.unit_price, line.tax_rate) == ("SKU-9", 3, Decimal("19.99"), 20)
    [created] = StatusChange.objects.filter(invoice=invoice)
    assert (created.from_status, created.to_status, created.door, created.actor_type) == (
        "",
        "draft",
        "admin",
        "user",
    )


def test_the_form_cannot_set_the_status() -> None:
    client = operator()
    account = ProviderAccountFactory(kind="generic")

    client.post(ADD, new_invoice_data(client, account, status="paid"))

    assert Invoice.objects.get(number="INV-ADMIN-1").status == "draft"


def test_an_edit_goes_through_the_service_which_recomputes_totals_and_bumps_the_version() -> None:
    # given
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    data = form_data(client.get(change_url(invoice)))

    # when
    data.update({"customer_name": "Ada King", "lines-0-quantity": "5", "status": "void"})
    response = client.post(change_url(invoice), data)

    # then
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.customer_name == "Ada King"
    assert invoice.total == Decimal("50.00")  # 5 x 10.00
    assert invoice.version == 2
    assert invoice.status == "draft"


def test_an_untouched_save_changes_nothing() -> None:
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))

    response = client.post(change_url(invoice), form_data(client.get(change_url(invoice))))

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.version == 1


def test_a_deleted_line_is_removed_and_the_order_keeps_its_gateway_data() -> None:
    client = operator()
    invoice = make_invoice(
        account=ProviderAccountFactory(kind="generic"),
        lines=[
            {"sku": "A", "quantity": Decimal("1"), "unit_price": Decimal("10.00")},
            {"sku": "B", "quantity": Decimal("1"), "unit_price": Decimal("5.00")},
        ],
        orders=[{"order_id": "ORD-1", "gateway": {"TransactionID": "tx-77"}, "amount": Decimal("15.00")}],
    )
    data = form_data(client.get(change_url(invoice)))
    data.update({"lines-1-DELETE": "on", "orders-0-payment_status": "Paid"})

    response = client.post(change_url(invoice), data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert [line.sku for line in invoice.lines.all()] == ["A"]
    assert invoice.total == Decimal("10.00")
    [order] = invoice.orders.all()
    assert (order.payment_status, order.gateway) == ("Paid", {"TransactionID": "tx-77"})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("lines-0-quantity", "-2", "The quantity must be greater than zero."),
        ("lines-0-quantity", "0", "The quantity must be greater than zero."),
        ("lines-0-unit_price", "-1.00", "The unit price cannot be negative"),
        ("currency", "XYZ", "Unknown currency XYZ"),
        ("due_date", "2026-10-01", "The due date cannot be before the issue date."),
        ("discount", "100.00", "The discount cannot exceed the subtotal of the lines."),
    ],
)
def test_bad_input_on_add_gets_an_error_on_its_field_and_saves_nothing(field: str, value: str, expected: str) -> None:
    client = operator()
    account = ProviderAccountFactory(kind="generic")

    response = client.post(ADD, new_invoice_data(client, account, **{field: value}))

    assert response.status_code == 200
    errors = errors_of(response)
    assert any(expected in message for message in errors.get(field, [])), errors
    assert not Invoice.objects.filter(number="INV-ADMIN-1").exists()
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("lines-0-quantity", "-1", "The quantity must be greater than zero."),
        ("currency", "EURO", "Unknown currency EURO"),
        ("due_date", "2026-01-01", "The due date cannot be before the issue date."),
        ("discount", "20.01", "The discount cannot exceed the subtotal of the lines."),
    ],
)
def test_bad_input_on_edit_gets_an_error_on_its_field_and_changes_nothing(
    field: str, value: str, expected: str
) -> None:
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))  # 2 x 10.00
    data = form_data(client.get(change_url(invoice)))
    data.update({"customer_name": "Someone Else", field: value})

    response = client.post(change_url(invoice), data)

    assert response.status_code == 200
    assert any(expected in message for message in errors_of(response).get(field, []))
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.customer_name, fresh.version, fresh.total) == ("Ada Lovelace", 1, Decimal("20.00"))


def test_a_provider_rule_refusal_is_a_form_error_not_a_server_error() -> None:
    # given an open Rapyd invoice: Rapyd updates invoices only while they are drafts
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="rapyd"), status="open")
    data = form_data(client.get(change_url(invoice)))

    # when
    data.update({"lines-0-quantity": "7"})
    response = client.post(change_url(invoice), data)

    # then
    assert response.status_code == 200
    [message] = errors_of(response)["__all__"]
    assert message.startswith("The invoice's provider would refuse this change: ")
    assert "draft" in message
    assert response.context["inline_admin_formsets"][0].formset.forms[0]["quantity"].value() == "7"
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.version, fresh.total, fresh.lines.get().quantity) == (1, Decimal("20.00"), 2)


def test_a_save_over_someone_elses_newer_change_is_refused() -> None:
    # given the page was loaded, then someone else changed the invoice
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    data = form_data(client.get(change_url(invoice)))
    other = form_data(client.get(change_url(invoice)))
    other["customer_name"] = "First Writer"
    assert client.post(change_url(invoice), other).status_code == 302

    # when
    data["customer_name"] = "Second Writer"
    response = client.post(change_url(invoice), data)

    # then
    assert response.status_code == 200
    assert "changed by someone else" in errors_of(response)["__all__"][0]
    assert Invoice.objects.get(pk=invoice.pk).customer_name == "First Writer"


def test_the_invoice_page_shows_totals_status_and_history_read_only() -> None:
    client = operator()
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"), status="open")

    response = client.get(change_url(invoice))

    form = response.context["adminform"].form
    assert not {"status", "sync_state", "version", "subtotal", "tax", "total", "number", "account"} & set(form.fields)
    html = response.content.decode()
    assert "status-badge status-open" in html
    assert "20.00 EUR" in html
    history = response.context["inline_admin_formsets"][2]
    assert history.formset.model is StatusChange
    assert not history.has_add_permission
    assert not history.has_change_permission
    assert not history.has_delete_permission


def test_a_viewer_sees_the_invoice_page_but_cannot_post_it() -> None:
    viewer = Client()
    viewer.force_login(UserFactory(role="viewer"))
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))
    data = form_data(operator().get(change_url(invoice)))
    data["customer_name"] = "Viewer Was Here"

    page = viewer.get(change_url(invoice))
    post = viewer.post(change_url(invoice), data)
    add = viewer.get(ADD)

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert post.status_code == 403
    assert add.status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).customer_name == "Ada Lovelace"


def test_invoices_are_never_deleted_from_the_admin_even_by_a_superuser() -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    invoice = make_invoice(account=ProviderAccountFactory(kind="generic"))

    page = client.get(reverse("admin:invoices_invoice_delete", args=[invoice.pk]))
    post = client.post(reverse("admin:invoices_invoice_delete", args=[invoice.pk]), {"post": "yes"})

    assert (page.status_code, post.status_code) == (403, 403)
    assert Invoice.objects.filter(pk=invoice.pk).exists()
