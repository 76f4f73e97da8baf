"""Adapter for modulus® invoicing v1: Authenticate for a token, then create (POST) or update (PATCH) invoices.

Every call carries `?token=`; tokens expire 15 minutes after creation, so they are cached with that expiry,
renewed a minute before it, and renewed once more if modulus answers 401 anyway (a token revoked early).
modulus documents no idempotency key and no read endpoint: Change.idempotency_key is not sent, and
fetch_remote stays unsupported. A status update is naturally repeatable (STATUS_VOID twice leaves the invoice
void); a create is not, which is why a create that times out is reported as uncertain and never retried here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

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
    Result,
)
from providers.http import HttpResponse
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.redaction import MASK, redact_data
from providers.registry import register

from .payloads import (
    MissingMapping,
    PayloadError,
    create_body,
    error_parts,
    parse_void_date,
    read_created,
    update_body,
    void_date_in_future,
)
from .status import CREATABLE, UPDATABLE

AUTH_PATH = "/api/cmn/Authenticate"
INVOICE_PATH = "/api/inv/v1/Invoice"
TOKEN_LIFETIME_S = 15 * 60
RENEW_MARGIN_S = 60
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
ONLY_SENT_AND_VOID = "modulus accepts only STATUS_SENT and STATUS_VOID"
FUTURE_VOID_DATE = "The void date cannot be in the future."
# Fields modulus keeps once an invoice exists there; its API has no way to change them afterwards.
HELD_FIELDS = frozenset(
    {
        "lines",
        "currency",
        "customer_name",
        "customer_ref",
        "customer_email",
        "issue_date",
        "due_date",
        "discount",
        "description",
    }
)


@register
class ModulusAdapter(ProviderAdapter):
    kind = "modulus"

    # -- rules ----------------------------------------------------------------------------------------------
    @classmethod
    def check_transition(cls, invoice: InvoiceData, to_status: str) -> None:
        if to_status not in UPDATABLE:
            raise cls.refuse(invoice, to_status, ONLY_SENT_AND_VOID)
        if to_status == InvoiceStatus.VOID:
            try:
                in_future = void_date_in_future(invoice, datetime.now(UTC))
            except PayloadError as exc:
                raise cls.refuse(invoice, to_status, str(exc)) from None
            if in_future:
                raise cls.refuse(invoice, to_status, FUTURE_VOID_DATE)

    @classmethod
    def check_edit(cls, invoice: InvoiceData, changed_fields: set[str]) -> None:
        held = sorted(changed_fields & HELD_FIELDS)
        if invoice.remote_id and held:
            raise ProviderRuleError(
                f"modulus cannot change {', '.join(held)} of an invoice it already holds: "
                "its API updates only the status"
            )
        if "provider_fields" in changed_fields and invoice.provider_fields.get("void_date"):
            try:
                parse_void_date(invoice.provider_fields["void_date"])
            except PayloadError as exc:
                raise ProviderRuleError(str(exc)) from None

    @classmethod
    def edit_operations(cls, invoice: InvoiceData, changed_fields: set[str]) -> tuple[Operation, ...]:
        # Once modulus holds the invoice an edit has nothing to carry (only status moves are sent).
        if invoice.remote_id:
            return ()
        return super().edit_operations(invoice, changed_fields)

    # -- requests -------------------------------------------------------------------------------------------
    def _plan(self, invoice: InvoiceData, change: Change) -> tuple[str, dict[str, Any]] | str:
        """What a push sends: (method, body), or the reason nothing needs sending."""
        target = change.to_status or invoice.status
        try:
            if not invoice.remote_id:
                if target == InvoiceStatus.VOID:
                    return "modulus never received this invoice: nothing to void there"
                if target not in CREATABLE:
                    raise RejectedError(f"{ONLY_SENT_AND_VOID} (this invoice is {target})")
                return "POST", create_body(invoice, target, self.account.settings)
            if change.to_status is None:
                return "modulus updates only an invoice's status: nothing to send"
            if target not in UPDATABLE:
                raise RejectedError(ONLY_SENT_AND_VOID)
            now = datetime.now(UTC)
            if target == InvoiceStatus.VOID and void_date_in_future(invoice, now):
                raise RejectedError(FUTURE_VOID_DATE)
            return "PATCH", update_body(invoice, target, now)
        except MissingMapping as exc:
            raise ConfigurationError(str(exc)) from None
        except PayloadError as exc:
            raise RejectedError(str(exc)) from None

    def _invoice_url(self, token: str) -> str:
        return f"{self.account.base_url}{INVOICE_PATH}?token={quote(token, safe='')}"

    def _credentials(self) -> dict[str, str]:
        app, secret = self.account.credentials.get("app", ""), self.account.credentials.get("secret", "")
        if not app or not secret:
            raise ConfigurationError("a modulus account needs its app and secret")
        return {"app": app, "secret": secret}

    def _authenticate(self, exchanges: list[Exchange]) -> str:
        response = self.http.request("POST", self.account.base_url + AUTH_PATH, form=self._credentials())
        exchanges.append(response.exchange)
        answer = _json(response)
        if response.status_code >= 300:
            message, code = error_parts(answer, "modulus refused to authenticate")
            if response.status_code == 400:
                # Missing parameters: a setup problem, not a refusal of the invoice.
                raise ConfigurationError(message, status_code=400, provider_code=code)
            self.http.raise_for_status(response, message, code)
        obj = answer.get("object") if isinstance(answer, Mapping) else None
        token = obj.get("token") if isinstance(obj, Mapping) else None
        if not isinstance(token, str) or not token or answer.get("result") is not True:
            raise self.http.malformed(response, "an authentication answer without a token")
        self.http.add_secret(token)
        self.tokens.put(token, TOKEN_LIFETIME_S)
        return token

    def _token(self, exchanges: list[Exchange]) -> str:
        cached = self.tokens.get(margin=RENEW_MARGIN_S)
        if cached is not None:
            self.http.add_secret(cached.value)
            return cached.value
        return self._authenticate(exchanges)

    def _call(self, method: str, body: dict[str, Any], exchanges: list[Exchange]) -> HttpResponse:
        payload = dumps_compact(body).encode()
        token = self._token(exchanges)
        response = self.http.request(method, self._invoice_url(token), headers=JSON_HEADERS, body=payload)
        exchanges.append(response.exchange)
        if response.status_code == 401:
            # Expired or revoked early on modulus' side: a 401 applied nothing, so renew and resend once.
            self.tokens.clear()
            token = self._authenticate(exchanges)
            response = self.http.request(method, self._invoice_url(token), headers=JSON_HEADERS, body=payload)
            exchanges.append(response.exchange)
        return response

    def _answer(self, response: HttpResponse) -> Mapping[str, Any]:
        answer = _json(response)
        if response.status_code >= 300:
            message, code = error_parts(answer, f"HTTP {response.status_code} from modulus")
            self.http.raise_for_status(response, message, code)
        if not isinstance(answer, Mapping) or "result" not in answer:
            raise self.http.malformed(response)
        if answer.get("result") is not True:
            message, code = error_parts(answer, "modulus did not accept the request")
            raise RejectedError(message, status_code=response.status_code, provider_code=code)
        return answer

    # -- operations -----------------------------------------------------------------------------------------
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        plan = self._plan(invoice, change)
        if isinstance(plan, str):
            return []
        method, body = plan
        requests = []
        if self.tokens.get(margin=RENEW_MARGIN_S) is None:
            form = f"app={MASK}&secret={MASK}"
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            requests.append(OutboundRequest("POST", self.account.base_url + AUTH_PATH, headers, form))
        url = f"{self.account.base_url}{INVOICE_PATH}?token={MASK}"
        requests.append(OutboundRequest(method, url, dict(JSON_HEADERS), dumps_compact(body)))
        return requests

    def push(self, invoice: InvoiceData, change: Change) -> Result:
        plan = self._plan(invoice, change)
        if isinstance(plan, str):
            return Result(ok=True, message=plan, remote_id=invoice.remote_id, remote_number=invoice.remote_number)
        method, body = plan
        exchanges: list[Exchange] = []
        try:
            response = self._call(method, body, exchanges)
            answer = self._answer(response)
            created = read_created(answer) if method == "POST" else None
            if created is not None and not created["remote_id"]:
                raise self.http.malformed(response, "a create answer without the invoice id")
        except ProviderError as exc:
            exc.exchanges = _all_exchanges(exchanges, exc)
            raise
        details = body["customer_details"]
        common: dict[str, Any] = {
            "ok": True,
            "message": str(answer.get("message") or ""),
            "remote_status": str(body.get("status") or details.get("status")),
            "status": change.to_status or invoice.status,
            "data": redact_data(dict(answer), self.account.secret_values()),
            "exchanges": tuple(exchanges),
        }
        if created is not None:
            return Result(remote_id=created["remote_id"], remote_number=created["remote_number"], **common)
        return Result(remote_id=invoice.remote_id, remote_number=details["invoice_number"], **common)

    def test_connection(self) -> str:
        exchanges: list[Exchange] = []
        try:
            self._authenticate(exchanges)
        except ProviderError as exc:
            exc.exchanges = _all_exchanges(exchanges, exc)
            raise
        return "modulus accepted the app and secret and issued a token (valid 15 minutes)."


def _all_exchanges(earlier: list[Exchange], error: ProviderError) -> tuple[Exchange, ...]:
    """The operation's exchanges: those before the failure, then the failed one the error carries."""
    return tuple(earlier) + tuple(e for e in error.exchanges if e not in earlier)


def _json(response: HttpResponse) -> Any:
    try:
        return loads_decimal(response.text)
    except ValueError:
        return None
