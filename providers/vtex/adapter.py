"""Adapter for VTEX's Orders API: the invoice notification, the tracking update and the order read back.

VTEX takes no idempotency key, so `Change.idempotency_key` is not sent. Its own rule stands in for one: re-
sending an invoiceNumber it already holds only issues a new receipt, so a resend of an uncertain push never
invoices twice. The client retries reads by itself but never writes: an uncertain write goes back to the
relay, which settles it by reading the order back before resending.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from invoices.lifecycle import InvoiceStatus
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
    UnsupportedOperation,
)
from providers.http import HttpResponse
from providers.redaction import redact_data, redact_headers
from providers.registry import register

from . import payloads
from .payloads import INPUT, ORDERS_PATH, SENT_FIELDS, TRACKING_FIELDS, PayloadError

logger = logging.getLogger("providers.vtex")

S = InvoiceStatus
FINAL = "VTEX: an invoiced order's status cannot change"


@register
class VtexAdapter(ProviderAdapter):
    kind = "vtex"
    supports = frozenset({Operation.PUSH, Operation.TRACKING, Operation.FETCH})

    # -- rules -----------------------------------------------------------------------------------------------
    @classmethod
    def check_transition(cls, invoice: InvoiceData, to_status: str) -> None:
        # VTEX knows no invoice status: once it holds the invoice, the order is invoiced for good. So a draft
        # is either sent (open) or dropped before it ever reached VTEX (void), and nothing moves after that.
        if invoice.status != S.DRAFT:
            raise cls.refuse(invoice, to_status, FINAL)
        if to_status == S.OPEN:
            found = payloads.problems(invoice)
            if found:
                raise cls.refuse(invoice, to_status, "; ".join(found))
        elif to_status != S.VOID:
            raise cls.refuse(invoice, to_status, "VTEX: a draft is either sent (open) or dropped (void)")

    @classmethod
    def check_edit(cls, invoice: InvoiceData, changed_fields: set[str]) -> None:
        if invoice.status in (S.DRAFT, S.VOID):
            return  # VTEX has never seen it
        frozen = sorted(changed_fields & SENT_FIELDS)
        if frozen:
            raise ProviderRuleError(
                f"VTEX keeps an invoice as first sent: {', '.join(frozen)} cannot change once the order is "
                "invoiced (only the courier and tracking details can)"
            )

    @classmethod
    def transition_operations(cls, invoice: InvoiceData, to_status: str) -> tuple[Operation, ...]:
        # Only sending the invoice reaches VTEX: a voided draft was never there.
        return (Operation.PUSH,) if to_status == S.OPEN else ()

    @classmethod
    def edit_operations(cls, invoice: InvoiceData, changed_fields: set[str]) -> tuple[Operation, ...]:
        # Once VTEX holds the invoice, its tracking details are all that still travel; other edits stay ours.
        if invoice.status != S.OPEN or not changed_fields & TRACKING_FIELDS:
            return ()
        if not (invoice.tracking_number or "tracking_number" in changed_fields):
            return ()  # VTEX takes tracking only with its number: it goes out once the number is known
        return (Operation.TRACKING,)

    # -- requests --------------------------------------------------------------------------------------------
    def _headers(self, *, masked: bool, body: bool) -> dict[str, str]:
        key = self.account.credentials.get("app_key", "")
        token = self.account.credentials.get("app_token", "")
        if not masked and not (key and token):
            raise ConfigurationError("VTEX needs the account's app key and app token")
        headers = {"Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        headers["X-VTEX-API-AppKey"] = key
        headers["X-VTEX-API-AppToken"] = token
        return redact_headers(headers, self.account.secret_values()) if masked else headers

    def _url(self, path: str) -> str:
        return self.account.base_url + path

    def _notification_request(self, invoice: InvoiceData, *, masked: bool) -> OutboundRequest:
        try:
            order_id = payloads.order_id_of(invoice)
            body = payloads.invoice_body(invoice, timezone=str(self.account.settings.get("timezone") or "UTC"))
        except PayloadError as exc:
            raise RejectedError(str(exc)) from None
        headers = self._headers(masked=masked, body=True)
        return OutboundRequest("POST", self._url(payloads.invoice_path(order_id)), headers, payloads.compact(body))

    def _order_request(self, order_id: str, *, masked: bool) -> OutboundRequest:
        return OutboundRequest(
            "GET", self._url(payloads.order_path(order_id)), self._headers(masked=masked, body=False), ""
        )

    def _tracking_request(self, invoice: InvoiceData, *, masked: bool) -> OutboundRequest:
        try:
            order_id = payloads.order_id_of(invoice)
            body = payloads.tracking_body(invoice)
        except PayloadError as exc:
            raise RejectedError(str(exc)) from None
        url = self._url(payloads.invoice_number_path(order_id, payloads.invoice_number_of(invoice)))
        return OutboundRequest("PATCH", url, self._headers(masked=masked, body=True), payloads.compact(body))

    @staticmethod
    def _sends(change: Change) -> bool:
        """Whether a push carries something VTEX accepts; refuses what VTEX would refuse."""
        if change.to_status == S.OPEN:
            return True
        if change.to_status is None:
            return False  # VTEX keeps an invoice as first sent: a fields-only push has nothing to say
        if change.to_status == S.VOID and change.from_status in (None, S.DRAFT):
            return False  # never sent, so there is nothing to cancel at VTEX
        if change.to_status == S.DRAFT:
            raise RejectedError("VTEX has no draft invoices: a draft reaches VTEX when it is opened (invoiced)")
        raise RejectedError(FINAL)

    def _call(
        self, request: OutboundRequest, exchanges: list[Exchange], *, safe_to_retry: bool = False
    ) -> tuple[HttpResponse, Any]:
        """Send, record the exchange, map a non-2xx answer with VTEX's message and code; return the JSON."""
        try:
            response = self.http.request(
                request.method,
                request.url,
                headers=request.headers,
                body=request.body.encode() if request.body else None,
                safe_to_retry=safe_to_retry,
            )
        except ProviderError as exc:
            exc.exchanges = (*exchanges, *exc.exchanges)
            raise
        exchanges.append(response.exchange)
        try:
            answer: Any = json.loads(response.text) if response.text.strip() else None
        except ValueError:
            answer = None
            if response.status_code < 300:
                raise self._unreadable(response, exchanges, "an answer that is not JSON") from None
        if response.status_code >= 300:
            message, code = payloads.error_of(answer)
            try:
                self.http.raise_for_status(response, message or f"VTEX answered HTTP {response.status_code}", code)
            except ProviderError as exc:
                exc.exchanges = tuple(exchanges)
                raise
        return response, answer

    def _unreadable(self, response: HttpResponse, exchanges: list[Exchange], what: str) -> TemporaryError:
        error = self.http.malformed(response, what)
        error.exchanges = tuple(exchanges)
        return error

    def _redacted(self, data: Mapping[str, Any]) -> dict[str, Any]:
        redacted: dict[str, Any] = redact_data(data, self.account.secret_values())
        return redacted

    # -- operations ------------------------------------------------------------------------------------------
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        if change.operation == Operation.TRACKING:
            return [self._tracking_request(invoice, masked=True)]
        if change.operation != Operation.PUSH:
            raise UnsupportedOperation(f"{change.operation} is not an outbound change")
        if not self._sends(change):
            return []
        notification = self._notification_request(invoice, masked=True)
        if payloads.vtex_type(invoice) == INPUT:
            return [self._order_request(payloads.order_id_of(invoice), masked=True), notification]
        return [notification]

    def push(self, invoice: InvoiceData, change: Change) -> Result:
        if not self._sends(change):
            return Result(
                ok=True,
                message="Nothing to send: VTEX keeps an invoice as first sent.",
                status=change.to_status,
            )
        request = self._notification_request(invoice, masked=False)
        order_id, number = payloads.order_id_of(invoice), payloads.invoice_number_of(invoice)
        exchanges: list[Exchange] = []
        if payloads.vtex_type(invoice) == INPUT:
            self._require_fully_invoiced(order_id, number, exchanges)
        logger.debug("VTEX: sending invoice %s of order %s", number, order_id)
        response, answer = self._call(request, exchanges)
        try:
            receipt = payloads.read_receipt(answer)
        except PayloadError as exc:
            raise self._unreadable(response, exchanges, str(exc)) from None
        return Result(
            ok=True,
            message=f"VTEX received invoice {number} for order {order_id} (receipt {receipt['receipt']}).",
            remote_number=number,
            status=S.OPEN,
            data=self._redacted({**receipt, "invoice_number": number, "type": payloads.vtex_type(invoice)}),
            exchanges=tuple(exchanges),
        )

    def _require_fully_invoiced(self, order_id: str, number: str, exchanges: list[Exchange]) -> None:
        # VTEX refunds a return (Input) invoice only once the whole order was invoiced: read the order first,
        # so the refusal is ours and clear, and nothing is sent that VTEX would turn down.
        response, answer = self._call(self._order_request(order_id, masked=False), exchanges, safe_to_retry=True)
        try:
            order = payloads.read_order(answer, number)
        except PayloadError as exc:
            raise self._unreadable(response, exchanges, str(exc)) from None
        if order.package is None and not order.fully_invoiced:
            raise RejectedError(
                "VTEX: a return (Input) invoice is accepted only after the order is fully invoiced; order "
                f"{order_id} is '{order.remote_status}' with {order.invoiced_cents} of {order.value_cents} "
                "cents invoiced",
                exchanges=tuple(exchanges),
            )

    def send_tracking(self, invoice: InvoiceData, change: Change) -> Result:
        request = self._tracking_request(invoice, masked=False)
        number = payloads.invoice_number_of(invoice)
        exchanges: list[Exchange] = []
        response, answer = self._call(request, exchanges)
        try:
            receipt = payloads.read_receipt(answer)
        except PayloadError as exc:
            raise self._unreadable(response, exchanges, str(exc)) from None
        return Result(
            ok=True,
            message=f"VTEX recorded tracking {invoice.tracking_number} on invoice {number} "
            f"(receipt {receipt['receipt']}).",
            remote_number=number,
            data=self._redacted({**receipt, "invoice_number": number}),
            exchanges=tuple(exchanges),
        )

    def fetch_remote(self, invoice: InvoiceData) -> RemoteState:
        try:
            order_id = payloads.order_id_of(invoice)
        except PayloadError as exc:
            return RemoteState(exists=False, data={"reason": str(exc)})
        number = payloads.invoice_number_of(invoice)
        exchanges: list[Exchange] = []
        try:
            response, answer = self._call(self._order_request(order_id, masked=False), exchanges, safe_to_retry=True)
        except RejectedError as exc:
            if exc.status_code == 404 and exc.provider_code:  # VTEX's own "no such order", not a wrong path
                return RemoteState(
                    exists=False, data={"order_id": order_id, "reason": exc.message}, exchanges=exc.exchanges
                )
            raise
        try:
            order = payloads.read_order(answer, number)
            invoice_fields = payloads.package_fields(order.package, invoice.currency) if order.package else None
        except PayloadError as exc:
            raise self._unreadable(response, exchanges, str(exc)) from None
        data: dict[str, Any] = {
            "order_id": order.order_id or order_id,
            "order_status": order.remote_status,
            "order_value_cents": order.value_cents,
            "invoiced_cents": order.invoiced_cents,
            "returned_cents": order.returned_cents,
            "fully_invoiced": order.fully_invoiced,
        }
        if invoice_fields is not None:
            data["invoice"] = {k: (v if v is None else str(v)) for k, v in invoice_fields.items()}
        return RemoteState(
            exists=invoice_fields is not None,
            status=S.OPEN if invoice_fields is not None else None,
            remote_status=order.remote_status,
            data=self._redacted(data),
            exchanges=tuple(exchanges),
        )

    def test_connection(self) -> str:
        request = OutboundRequest(
            "GET", self._url(f"{ORDERS_PATH}?per_page=1"), self._headers(masked=False, body=False), ""
        )
        exchanges: list[Exchange] = []
        try:
            response, answer = self._call(request, exchanges, safe_to_retry=True)
        except RejectedError as exc:
            if exc.status_code == 404:
                raise ConfigurationError(
                    f"no VTEX orders API under {self.account.base_url}: check the base URL",
                    status_code=404,
                    exchanges=exc.exchanges,
                ) from None
            raise
        if not isinstance(answer, Mapping) or not isinstance(answer.get("list"), list):
            raise self._unreadable(response, exchanges, "an answer that is not VTEX's order list")
        return "VTEX accepted the app key and token: the orders list is readable."
