"""Arcadier adapter: an admin token by client credentials, then the invoice payments update, the invoice
email and the transaction read, each with `Authorization: Bearer`.

The token endpoint also names the admin (`UserId`) whose id every admin path carries, so both are cached
together. Arcadier documents no idempotency key: the payments update is a PUT that sets each order's state, so
repeating it is harmless, and the change's idempotency key is not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from invoices.lifecycle import label
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
    UnsupportedOperation,
)
from providers.http import HttpResponse
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.redaction import MASK, redact_body, redact_headers, redact_url
from providers.registry import register

from . import payloads
from .rules import refusal_for_edit, refusal_for_transition
from .status import to_payment_status

TOKEN_MARGIN_S = 60.0  # renew this long before Arcadier's expiry, so a token never lapses mid-request
DEFAULT_TOKEN_LIFETIME_S = 10799.0
# The admin id is learnt with the first token; a preview made before that shows this placeholder in the path.
ADMIN_PLACEHOLDER = "{adminID}"


@dataclass(frozen=True)
class _Session:
    admin_id: str
    access_token: str
    expires_in: float = 0.0


@register
class ArcadierAdapter(ProviderAdapter):
    kind = "arcadier"
    supports = frozenset({Operation.PUSH, Operation.EMAIL, Operation.FETCH})

    # -- rules -----------------------------------------------------------------------------------------------
    @classmethod
    def check_transition(cls, invoice: InvoiceData, to_status: str) -> None:
        detail = refusal_for_transition(invoice, to_status)
        if detail:
            raise cls.refuse(invoice, to_status, detail)

    @classmethod
    def check_edit(cls, invoice: InvoiceData, changed_fields: set[str]) -> None:
        detail = refusal_for_edit(invoice, changed_fields)
        if detail:
            raise ProviderRuleError(detail)

    # -- operations ------------------------------------------------------------------------------------------
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        session = self._cached_session()
        previews = []
        if session is None:
            body = urlencode(payloads.token_form(self.account.credentials))
            headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
            previews.append(self._masked("POST", self._url("/token"), headers, body))
        method, url, body = self._outbound(invoice, change, session.admin_id if session else ADMIN_PLACEHOLDER)
        previews.append(self._masked(method, url, self._headers(MASK, body), body))
        return previews

    def push(self, invoice: InvoiceData, change: Change) -> Result:
        number = payloads.invoice_no(invoice)
        _, _, body = self._outbound(invoice, change, ADMIN_PLACEHOLDER)
        trail: list[Exchange] = []
        with _recorded(trail):
            response = self._call("PUT", lambda admin: self._invoice_url("invoices", admin, number), body, trail)
            self._raise_for(response)
            state = self._read(response, lambda answer: payloads.read_payments(answer, number))
        remote_number = state.invoice_no or number
        return Result(
            ok=True,
            message=f"Arcadier updated {len(state.orders)} payment(s) of invoice {remote_number}.",
            remote_number=remote_number,
            remote_status=state.remote_status,
            status=state.status,
            data=state.as_data(),
            exchanges=tuple(trail),
        )

    def send_email(self, invoice: InvoiceData, change: Change) -> Result:
        number = payloads.invoice_no(invoice)
        body = dumps_compact(payloads.email_body(invoice))
        trail: list[Exchange] = []
        with _recorded(trail):
            response = self._call("POST", lambda _admin: self._url("/api/v2/emails"), body, trail)
            self._raise_for(response)
            answer = self._read(response, lambda answer: answer)
            if isinstance(answer, dict) and answer.get("Result") is False:
                raise RejectedError(
                    "Arcadier did not send the invoice email",
                    status_code=response.status_code,
                    exchanges=(response.exchange,),
                )
        return Result(
            ok=True,
            message=f"Arcadier sent the invoice email for {number}.",
            remote_number=number,
            exchanges=tuple(trail),
        )

    def fetch_remote(self, invoice: InvoiceData) -> RemoteState:
        number = payloads.invoice_no(invoice)
        trail: list[Exchange] = []
        with _recorded(trail):
            response = self._call(
                "GET",
                lambda admin: self._invoice_url("transactions", admin, number),
                None,
                trail,
                safe_to_retry=True,
            )
            if response.status_code == 404:
                return RemoteState(exists=False, exchanges=tuple(trail))
            self._raise_for(response)
            state = self._read(response, payloads.read_transaction)
        return RemoteState(
            exists=True,
            status=state.status,
            remote_status=state.remote_status,
            data=state.as_data(),
            exchanges=tuple(trail),
        )

    def test_connection(self) -> str:
        self.tokens.clear()
        session = self._obtain([])
        lifetime = f"{session.expires_in:.0f} s"
        return f"Obtained an Arcadier admin token for admin {session.admin_id}, valid for {lifetime}."

    # -- requests --------------------------------------------------------------------------------------------
    def _outbound(self, invoice: InvoiceData, change: Change, admin_id: str) -> tuple[str, str, str]:
        number = payloads.invoice_no(invoice)
        if change.operation == Operation.EMAIL:
            return "POST", self._url("/api/v2/emails"), dumps_compact(payloads.email_body(invoice))
        if change.operation != Operation.PUSH:
            raise UnsupportedOperation(f"arcadier does not send {change.operation}")
        status = change.to_status or invoice.status
        if to_payment_status(status) is None:
            raise RejectedError(f"Arcadier has no {label(status)} state: there is nothing to push.")
        if not invoice.orders:
            raise RejectedError("Arcadier invoices tie up orders: this invoice has none to update.")
        body = dumps_compact(payloads.payments_body(invoice, status))
        return "PUT", self._invoice_url("invoices", admin_id, number), body

    def _call(
        self,
        method: str,
        url_for: Callable[[str], str],
        body: str | None,
        trail: list[Exchange],
        *,
        safe_to_retry: bool = False,
    ) -> HttpResponse:
        session = self._cached_session() or self._obtain(trail)
        response = self._send(method, url_for(session.admin_id), session, body, safe_to_retry)
        trail.append(response.exchange)
        if response.status_code == 401:
            # A token can die before its expiry (credentials rotated, sessions revoked): renew once; a second
            # 401 is then a configuration problem, which raise_for_status reports as such.
            self.tokens.clear()
            session = self._obtain(trail)
            response = self._send(method, url_for(session.admin_id), session, body, safe_to_retry)
            trail.append(response.exchange)
        return response

    def _send(self, method: str, url: str, session: _Session, body: str | None, safe_to_retry: bool) -> HttpResponse:
        return self.http.request(
            method,
            url,
            headers=self._headers(session.access_token, body),
            body=body,
            safe_to_retry=safe_to_retry,
        )

    def _cached_session(self) -> _Session | None:
        cached = self.tokens.get(margin=TOKEN_MARGIN_S)
        if cached is None:
            return None
        admin_id, _, access_token = cached.value.partition("|")
        if not admin_id or not access_token:
            return None
        self.http.add_secret(access_token)
        return _Session(admin_id, access_token)

    def _obtain(self, trail: list[Exchange]) -> _Session:
        response = self.http.request(
            "POST",
            self._url("/token"),
            headers={"Accept": "application/json"},
            form=payloads.token_form(self.account.credentials),
            safe_to_retry=True,  # asking for a token twice has no effect worth guarding against
        )
        trail.append(response.exchange)
        if 400 <= response.status_code < 500 and response.status_code != 429:
            code, description = _oauth_error(response)
            raise ConfigurationError(
                f"Arcadier refused the client credentials: {description or code or 'no reason given'}",
                status_code=response.status_code,
                provider_code=code,
                exchanges=(response.exchange,),
            )
        self._raise_for(response)
        token = self._read(response, payloads.read_token)
        self.http.add_secret(token.access_token)
        self.http.add_secret(token.refresh_token)
        lifetime = token.expires_in or DEFAULT_TOKEN_LIFETIME_S
        self.tokens.put(f"{token.admin_id}|{token.access_token}", lifetime)
        return _Session(token.admin_id, token.access_token, lifetime)

    def _raise_for(self, response: HttpResponse) -> None:
        if response.status_code >= 300:
            message, code = _api_error(response)
            self.http.raise_for_status(response, message, code)

    def _read(self, response: HttpResponse, reader: Callable[[Any], Any]) -> Any:
        try:
            return reader(loads_decimal(response.text))
        except ValueError as exc:  # json's decode error and UnreadableAnswer alike
            what = str(exc) if isinstance(exc, payloads.UnreadableAnswer) else "an unreadable answer"
            raise self.http.malformed(response, what) from None

    # -- building blocks -------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.account.base_url}{path}"

    def _invoice_url(self, collection: str, admin_id: str, number: str) -> str:
        return self._url(f"/api/v2/admins/{quote(admin_id, safe='{}')}/{collection}/{quote(number, safe='')}")

    @staticmethod
    def _headers(access_token: str, body: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def _masked(self, method: str, url: str, headers: dict[str, str], body: str) -> OutboundRequest:
        secrets = self.http.secrets
        return OutboundRequest(
            method=method,
            url=redact_url(url, secrets),
            headers=redact_headers(headers, secrets),
            body=redact_body(body, secrets),
        )


@contextmanager
def _recorded(trail: list[Exchange]) -> Iterator[None]:
    """Give an error raised mid-operation every exchange of the operation (the token request included)."""
    try:
        yield
    except ProviderError as exc:
        exc.exchanges = tuple(trail) + tuple(e for e in exc.exchanges if e not in trail)
        raise


def _json_object(response: HttpResponse) -> dict[str, Any]:
    try:
        answer = loads_decimal(response.text)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _api_error(response: HttpResponse) -> tuple[str, str]:
    """Arcadier's error body (ASP.NET Web API's `{"Message": …}`, here with a `Code`) -> (message, code)."""
    answer = _json_object(response)
    message = answer.get("Message") or answer.get("message") or answer.get("error_description") or ""
    code = answer.get("Code") or answer.get("code") or answer.get("error") or ""
    return str(message), str(code)


def _oauth_error(response: HttpResponse) -> tuple[str, str]:
    """The token endpoint answers OAuth-style: `{"error": "invalid_client"}`, sometimes with a description."""
    answer = _json_object(response)
    return str(answer.get("error") or ""), str(answer.get("error_description") or answer.get("Message") or "")
