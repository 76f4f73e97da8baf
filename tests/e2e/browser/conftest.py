"""The admin driven in Debian's Chromium through Playwright's sync API, against pytest-django's live server.

Playwright cannot download a browser here, so it drives /usr/bin/chromium (apt-get install chromium). Each test
gets a fresh browser context (its own cookies and storage; the browser itself runs on a fresh temporary profile)
and leaves a full-page screenshot of its last page under test-artifacts/screenshots/, pass or fail.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from invoices.models import Invoice
from providers.models import ProviderAccount
from providers.sandbox.generic import seed_invoice
from tests.factories import UserFactory, make_invoice

CHROMIUM = Path("/usr/bin/chromium")
# No first-run work, no background connections (the machine has no internet: each one would fail, slowly).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery-staple"
# Staff as finance teams name them, one per role.
USERNAMES = {"viewer": "vera", "operator": "omar", "administrator": "ada"}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`.")
    # The sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running loop
    # unless told this is deliberate. The tests call the ORM between page loads, never concurrently with them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"


@pytest.fixture
def page(chromium: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, accept_downloads=True, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        try:
            tab.screenshot(path=screenshot_path(request.node.name), full_page=True)
        finally:
            context.close()


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], None]:
    """A screenshot of the page as it is now, for a step worth seeing on its own (the last page is kept anyway)."""

    def take(step: str) -> None:
        page.screenshot(path=screenshot_path(f"{request.node.name}--{step}"), full_page=True)

    return take


@pytest.fixture
def sign_in(page: Page, transactional_db: None) -> Callable[[str], Any]:
    """Sign in through the login form as a new staff member of `role`."""

    def sign_in_as(role: str) -> Any:
        user = UserFactory(role=role, username=USERNAMES[role], first_name=USERNAMES[role].title(), password=PASSWORD)
        page.goto("/admin/login/?next=/admin/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#user-tools")).to_contain_text(user.first_name.upper(), ignore_case=True)
        return user

    return sign_in_as


@pytest.fixture
def generic_invoice(sandbox_account: Callable[..., ProviderAccount]) -> Callable[..., Invoice]:
    """An invoice of a generic account pointing at the live server's sandbox (/sandbox/generic); the sandbox
    knows the invoice unless `known_to_sandbox=False`, in which case the provider refuses updates to it."""
    accounts: dict[str, ProviderAccount] = {}

    def build(*, known_to_sandbox: bool = True, account_name: str = "Generic invoicing", **fields: Any) -> Invoice:
        if account_name not in accounts:
            accounts[account_name] = sandbox_account("generic", name=account_name)
        remote_id, customer, receiver = (str(uuid.uuid4()) for _ in range(3))
        if known_to_sandbox:
            seed_invoice(remote_id, counter_party_id=customer, receiving_account_id=receiver)
        lines = [
            {
                "sku": str(uuid.uuid4()),  # the generic API identifies products by uuid
                "description": "Analytical engine maintenance",
                "quantity": Decimal("2"),
                "unit_price": Decimal("420.50"),
                "tax_rate": Decimal("0"),
            }
        ]
        return make_invoice(
            account=accounts[account_name],
            currency="USD",
            remote_id=remote_id,
            customer_ref=customer,
            receiving_account_ref=receiver,
            lines=lines,
            **fields,
        )

    return build
