"""Adapter for the generic invoicing API: `PUT /api/v1/Invoice/Update` (full invoice; auth per account).

The API documents no idempotency key, so none is sent: a repeated full replace leaves the invoice as the first
one did, which is what makes the relay's retries of an uncertain push harmless here. No read endpoint either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.base import (
    Change,
    ConfigurationError,
    InvoiceData,
    OutboundRequest,
    ProviderAdapter,
    RejectedError,
    Result,
)
from providers.http import HttpResponse
from providers.jsonnumbers import dumps_compact, loads_decimal
from providers.kinds import GENERIC_AUTH_SCHEMES
from providers.redaction import MASK, redact_data
from providers.registry import register

from .payloads import MissingMapping, PayloadError, error_text, read_answer, update_body

UPDATE_PATH = "/api/v1/Invoice/Update"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@register
class GenericAdapter(ProviderAdapter):
    kind = "generic"

    # No rules: the API takes any status word and any edit of an existing invoice (check_* stay no-op hooks).

    # -- requests -------------------------------------------------------------------------------------------
    def _auth_headers(self, *, masked: bool) -> dict[str, str]:
        settings = self.account.settings
        scheme = str(settings.get("auth_scheme") or "bearer")
        if scheme not in GENERIC_AUTH_SCHEMES:
            raise ConfigurationError(f"unknown auth scheme {scheme!r}: use one of {', '.join(GENERIC_AUTH_SCHEMES)}")
        if scheme == "none":
            return {}
        name = "token" if scheme == "bearer" else "api_key"
        value = self.account.credentials.get(name, "")
        if not value:
            raise ConfigurationError(f"the {scheme} auth scheme needs the account's {name} credential")
        shown = MASK if masked else value
        if scheme == "bearer":
            return {"Authorization": f"Bearer {shown}"}
        return {str(settings.get("api_key_header") or "X-Api-Key"): shown}

    def _update_request(self, invoice: InvoiceData, change: Change, *, masked: bool) -> OutboundRequest:
        try:
            body = update_body(invoice, change, self.account.settings)
        except MissingMapping as exc:
            raise ConfigurationError(str(exc)) from None
        except PayloadError as exc:
            raise RejectedError(str(exc)) from None
        headers = {**JSON_HEADERS, **self._auth_headers(masked=masked)}
        return OutboundRequest("PUT", self.account.base_url + UPDATE_PATH, headers, dumps_compact(body))

    def _send(self, request: OutboundRequest) -> HttpResponse:
        return self.http.request(request.method, request.url, headers=request.headers, body=request.body.encode())

    def _envelope(self, response: HttpResponse) -> Any:
        try:
            return loads_decimal(response.text)
        except ValueError:
            return None

    # -- operations -----------------------------------------------------------------------------------------
    def preview(self, invoice: InvoiceData, change: Change) -> list[OutboundRequest]:
        return [self._update_request(invoice, change, masked=True)]

    def push(self, invoice: InvoiceData, change: Change) -> Result:
        response = self._send(self._update_request(invoice, change, masked=False))
        answer = self._envelope(response)
        if response.status_code >= 300:
            self.http.raise_for_status(response, error_text(answer, f"HTTP {response.status_code} from the API"))
        if not isinstance(answer, Mapping) or "succeeded" not in answer:
            raise self.http.malformed(response)
        if answer.get("succeeded") is not True:
            raise RejectedError(
                error_text(answer, "the API did not accept the update"),
                status_code=response.status_code,
                exchanges=(response.exchange,),
            )
        mapped = read_answer(answer, self.account.settings)
        return Result(
            ok=True,
            message=str(answer.get("message") or "Invoice updated."),
            remote_id=mapped["remote_id"] or invoice.remote_id,
            remote_status=mapped["remote_status"],
            status=mapped["status"],
            data=redact_data(_plain(answer), self.account.secret_values()),
            exchanges=(response.exchange,),
        )

    def test_connection(self) -> str:
        # The API has one endpoint. An empty update is refused by validation (400) once the caller is
        # authenticated and by 401/403 otherwise, and changes nothing either way: the cheapest honest check.
        headers = {**JSON_HEADERS, **self._auth_headers(masked=False)}
        response = self.http.request("PUT", self.account.base_url + UPDATE_PATH, headers=headers, body=b"{}")
        answer = self._envelope(response)
        if response.status_code in (401, 403):
            self.http.raise_for_status(response, error_text(answer, "the API refused the credentials"))
        if response.status_code == 404:
            raise ConfigurationError(
                f"no {UPDATE_PATH} under {self.account.base_url}: check the base URL",
                status_code=404,
                exchanges=(response.exchange,),
            )
        if response.status_code not in (200, 204, 400):
            self.http.raise_for_status(response, error_text(answer, f"HTTP {response.status_code} from the API"))
        if not isinstance(answer, Mapping) or "succeeded" not in answer:
            raise self.http.malformed(response, "an answer that is not the API's result envelope")
        scheme = self.account.settings.get("auth_scheme") or "bearer"
        if response.status_code == 400:
            return f"The API accepted the credentials (auth scheme {scheme}); an empty update was refused."
        return f"The API accepted the credentials (auth scheme {scheme})."


def _plain(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer as storable JSON: the envelope's fields and its data, numbers as their exact text."""
    data = answer.get("data")
    return {
        "succeeded": answer.get("succeeded"),
        "message": answer.get("message"),
        "errors": answer.get("errors") or [],
        **({k: str(v) for k, v in data.items()} if isinstance(data, Mapping) else {}),
    }
