"""Each role signs in and finds what it may do, and nothing more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from invoices.models import Invoice

pytestmark = pytest.mark.browser

STATUS_ACTIONS = ["Change status to Open (sent)…", "Push to provider…", "Send invoice email…"]


def model_link(page: Page, url: str) -> Locator:
    """The link to a list on the index (the admin repeats it as "View"/"Change" beside the model name)."""
    return page.locator(f"#content-main th a[href='{url}']")


@pytest.mark.parametrize(
    ("role", "may_act", "may_administer"),
    [("viewer", False, False), ("operator", True, False), ("administrator", True, True)],
)
def test_each_role_sees_only_what_it_may(
    role: str,
    may_act: bool,
    may_administer: bool,
    page: Page,
    sign_in: Callable[[str], Any],
    generic_invoice: Callable[..., Invoice],
) -> None:
    # given
    invoice = generic_invoice(number="INV-2026-0101", customer_name="Lovelace Analytical Ltd")

    # when the role signs in, it lands on the index, the dashboard first
    sign_in(role)

    # then the index lists what the role may open
    expect(page.locator("#dashboard-module")).to_be_visible()
    for url, visible in [
        ("/admin/invoices/invoice/", True),
        ("/admin/invoices/delivery/", True),
        ("/admin/providers/provideraccount/", True),
        ("/admin/invoices/apiclient/", may_administer),
        ("/admin/sandbox/sandboxfault/", may_administer),
    ]:
        expect(model_link(page, url)).to_have_count(1 if visible else 0)
    expect(page.locator("a.addlink[href='/admin/invoices/invoice/add/']")).to_have_count(1 if may_act else 0)

    # the invoice list offers the actions the role may run, and only to those who may
    model_link(page, "/admin/invoices/invoice/").click()
    expect(page.get_by_role("link", name="INV-2026-0101")).to_be_visible()
    actions = page.locator("select[name=action] option")
    if may_act:
        for label in STATUS_ACTIONS:
            expect(actions.filter(has_text=label)).to_have_count(1)
    else:
        expect(page.locator("select[name=action]")).to_have_count(0)

    # and the invoice page has the buttons that change things only for those who may change them
    page.get_by_role("link", name="INV-2026-0101").click()
    expect(page.locator("h1")).to_have_text("Change invoice" if may_act else "View invoice")
    expect(page.get_by_role("link", name="Change status")).to_have_count(1 if may_act else 0)
    expect(page.get_by_role("link", name="Push", exact=True)).to_have_count(1 if may_act else 0)
    expect(page.locator("input[name=_save]")).to_have_count(1 if may_act else 0)
    expect(page.locator("#timeline")).to_contain_text("Created as Draft")

    # a page the role may not open is refused outright
    response = page.goto("/admin/invoices/apiclient/")
    assert response is not None
    assert response.status == (200 if may_administer else 403)
    page.goto(f"/admin/invoices/invoice/{invoice.pk}/change/")
