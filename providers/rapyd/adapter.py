"""Rapyd Collect invoices: create, update while draft, and move through Rapyd's own state machine.

Every request is signed (signing.py); writes carry Rapyd's `idempotency` header, which Rapyd answers with the
first response for 24 h. Writes are not retried inside a call: the relay retries them later with the same key,
so an applied-but-unanswered request is settled by Rapyd's replay rather than by holding a worker through
several read timeouts.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from providers.base import (
    Change,
    ConfigurationError,
    Exchange,
    InvoiceData,
    Operation,
    OutboundRequest,
    ProviderAdapter,
    ProviderError,
    ProviderRuleError,
    RejectedError,
    RemoteState,
    Result,
    TemporaryError,
)
from providers.http import HttpResponse
from providers.redaction import MASK, redact_data, redact_headers
from providers.registry import register

from . import signing
from .payloads import (
    Envelope,
    PayloadError,
    RapydInvoice,
    create_body,
    json_safe,
    parse_envelope,
    parse_invoice,
)
from .plan import INVOICE_PLACEHOLDER, Step, invoice_path, plan
from .status import MOVES, to_rapyd

# Fields Rapyd holds; any change to them needs Rapyd's Update Invoice, which only works on drafts.
PROVIDER_VISIBLE_FIELDS = frozenset(
    {
        "description",
        "due_date",
        "metadata",
        "provider_fields",
        "lines",
        "currency",
        "customer_ref",
        "discount",
    }
)
# Fields fixed when the invoice is created: Update Invoice has no parameter for them.
CREATION_FIELDS = frozenset({"lines", "currency", "customer_ref", "discount"})


@register
class RapydAdapter(ProviderAdapter):
    kind = "rapyd"
    supports = frozenset({Operation.PUSH, Operation.FETCH})

    # -- rules -----------------------------------------------------------------------------------------------
    @classmethod
    def check_transition(cls, invoice: InvoiceData, to_status: str) -> None:
        if to_rapyd(to_status) is None:
            raise cls.refuse(
                invoice,
                to_status,
                "Rapyd invoices have no refunded state (a refund belongs to the Rapyd payment)",
            )
        if (invoice.status, to_status) not in MOVES:
            raise cls.refuse(invoice, to_status, "Rapyd's invoice state machine has no such move")
        if to_status == "paid" and invoice.provider_fields.get("type") == "payout":
            raise cls.refuse(invoice, to_status, "Rapyd pays only payment invoices, not payout invoices")
        if not invoice.remote_id and to_status != "void":
            if not invoice.customer_ref:
                raise cls.refuse(invoice, to_status, "Rapyd needs the customer's id (cus_…) to create it")
            try:
                create_body(invoice)
            except PayloadError as exc:
                raise cls.refuse(invoice, to_status, str(exc)) from None

    @classmethod
    def check_edit(cls, invoice: InvoiceData, changed_fields: set[str]) -> None:
        visible = changed_fields & PROVIDER_VISIBLE_FIELDS
        if not visible:
            return
        if invoice.status != "draft":
            raise ProviderRuleError("Rapyd updates an invoice only while it is draft")
        if invoice.provider_fields.get("type") == "payout":
            raise ProviderRuleError("Rapyd does not update payout invoices")
        if invoice.remote_id and visible & CREATION_FIELDS:
            names = ", ".join(sorted(visible & CREATION_FIELDS))
            raise ProviderRuleError(f"Rapyd cannot change {names} of an invoice it has already created")

    # -- operations ------------------------------------------------------------------------------------------
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        requests = []
        for step in self._plan(invoice, change):
            text = signing.body_string(step.body)
            headers = self._headers(step.method, step.path, text, step.idempotency_key, sign=False)
            requests.append(
                OutboundRequest(
                    method=step.method,
                    url=self._url(step.path),
                    headers=redact_headers(headers, self.http.secrets),
                    body=text,
                )
            )
        return requests

    def push(self, invoice: InvoiceData, change: Change) -> Result:
        exchanges: list[Exchange] = []
        if change.from_status is None and change.to_status and invoice.remote_id:
            # A push of the invoice as it stands (no recorded move): Rapyd's state machine refuses a repeated
            # finalize or pay, so read where Rapyd is first and make only the call that is still missing.
            remote = self.fetch_remote(invoice)
            exchanges.extend(remote.exchanges)
            if not remote.exists:
                raise RejectedError(
                    f"Rapyd has no invoice {invoice.remote_id}", status_code=404, exchanges=tuple(exchanges)
                )
            if remote.status == change.to_status and remote.status != "draft":
                return Result(
                    ok=True,
                    message=f"Rapyd already shows invoice {invoice.remote_id} as {remote.remote_status}",
                    remote_id=invoice.remote_id,
                    remote_status=remote.remote_status,
                    status=remote.status,
                    data=remote.data,
                    exchanges=tuple(exchanges),
                )
            if remote.status == "draft" and change.to_status == "draft":
                change = replace(change, to_status=None)  # a draft as it stands: send its fields
            else:
                change = replace(change, from_status=remote.status)
        steps = self._plan(invoice, change)
        if not steps:
            return Result(ok=True, message="Rapyd never received this invoice: nothing to void there.")
        remote_id = invoice.remote_id
        for step in steps:
            path = step.path.replace(INVOICE_PLACEHOLDER, remote_id)
            envelope = self._call(step.method, path, step.body, step.idempotency_key, exchanges)
            answer, data = self._invoice_of(envelope, exchanges), envelope.data
            remote_id = answer.remote_id
        done = " → ".join(step.name for step in steps)
        return Result(
            ok=True,
            message=f"Rapyd {done}: invoice {answer.remote_id} is {answer.remote_status}",
            remote_id=answer.remote_id,
            remote_number=answer.remote_number,
            remote_status=answer.remote_status,
            status=answer.status,
            data=redact_data(json_safe(data), self.http.secrets),
            exchanges=tuple(exchanges),
        )

    def fetch_remote(self, invoice: InvoiceData) -> RemoteState:
        if not invoice.remote_id:
            return RemoteState(exists=False)
        exchanges: list[Exchange] = []
        try:
            envelope = self._call("GET", invoice_path(invoice.remote_id), None, "", exchanges, safe_to_retry=True)
        except RejectedError as exc:
            if exc.status_code == 404 and exc.provider_code == "ERROR_GET_INVOICE":
                return RemoteState(exists=False, exchanges=exc.exchanges)
            raise
        answer = self._invoice_of(envelope, exchanges)
        return RemoteState(
            exists=True,
            status=answer.status,
            remote_status=answer.remote_status,
            data=redact_data(json_safe(envelope.data), self.http.secrets),
            exchanges=tuple(exchanges),
        )

    def test_connection(self) -> str:
        path = "/v1/invoices?limit=1"
        self._call("GET", path, None, "", [], safe_to_retry=True)
        return f"Rapyd accepted a signed request (GET {path})."

    # -- plumbing --------------------------------------------------------------------------------------------
    def _plan(self, invoice: InvoiceData, change: Change) -> list[Step]:
        try:
            return plan(invoice, change)
        except PayloadError as exc:
            raise RejectedError(str(exc)) from None

    def _url(self, path: str) -> str:
        # The signed path starts at /v1; the base URL may carry a prefix (the sandbox's /sandbox/rapyd).
        return f"{self.account.base_url.rstrip('/')}{path}"

    def _keys(self) -> tuple[str, str]:
        access_key = self.account.credentials.get("access_key", "")
        secret_key = self.account.credentials.get("secret_key", "")
        if not access_key or not secret_key:
            raise ConfigurationError("The Rapyd account needs both an access key and a secret key.")
        return access_key, secret_key

    def _headers(self, method: str, path: str, body: str, idempotency_key: str, *, sign: bool) -> dict[str, str]:
        if sign:
            access_key, secret_key = self._keys()
            headers = signing.signed_headers(method, path, body, access_key=access_key, secret_key=secret_key)
        else:
            headers = {"access_key": MASK, "salt": signing.new_salt(), "timestamp": str(int(time.time()))}
            headers["signature"] = MASK
        headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["idempotency"] = idempotency_key
        return headers

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        idempotency_key: str,
        exchanges: list[Exchange],
        *,
        safe_to_retry: bool = False,
    ) -> Envelope:
        """Send one signed request, keep its exchange; return Rapyd's envelope or raise with all exchanges."""
        text = signing.body_string(body)
        headers = self._headers(method, path, text, idempotency_key, sign=True)
        earlier = tuple(exchanges)
        try:
            # Bytes, so that what goes on the wire is exactly the UTF-8 string that was signed.
            response = self.http.request(
                method,
                self._url(path),
                headers=headers,
                body=text.encode("utf-8") if text else None,
                safe_to_retry=safe_to_retry,
            )
        except ProviderError as exc:
            _prepend(exc, earlier)
            raise
        exchanges.append(response.exchange)
        if response.status_code >= 300:
            message, code = _error_of(response)
            try:
                self.http.raise_for_status(response, message, code)
            except ProviderError as exc:
                _prepend(exc, earlier)
                raise
        try:
            envelope = parse_envelope(response.text)
        except ValueError:
            raise _prepend(self.http.malformed(response), earlier) from None
        if envelope.status != "SUCCESS":
            raise _prepend(self.http.malformed(response, "a 2xx answer without SUCCESS"), earlier)
        return envelope

    def _invoice_of(self, envelope: Envelope, exchanges: list[Exchange]) -> RapydInvoice:
        try:
            return parse_invoice(envelope.data)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            # The call was answered SUCCESS, so it most likely took effect: uncertain, settled by a read-back.
            raise TemporaryError(
                "Rapyd answered SUCCESS without an invoice object", uncertain=True, exchanges=tuple(exchanges)
            ) from None


def _error_of(response: HttpResponse) -> tuple[str, str]:
    """Rapyd's own message and error code from its error envelope, when it sent one."""
    try:
        envelope = parse_envelope(response.text)
    except ValueError:
        return "", ""
    return envelope.message, envelope.error_code


def _prepend(error: ProviderError, earlier: tuple[Exchange, ...]) -> ProviderError:
    """A failed push reports every exchange it made, not just the last one."""
    error.exchanges = earlier + tuple(error.exchanges)
    return error
