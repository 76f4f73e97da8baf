"""The one HTTP client adapters use: timeouts, safe retries, error mapping and redaction in one place.

Failures map to our three classes (after Sentry's BaseApiClient): connection failures, timeouts, 5xx and 429 are
*temporary*; other 4xx are *rejected*; 401/403 that survive an adapter's token renewal are *configuration*.
Redirects are never followed: a provider that redirects is misconfigured, and following could leak credentials.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .base import AccountConfig, ConfigurationError, Exchange, RejectedError, TemporaryError
from .redaction import QuerySecretsFilter, redact_body, redact_headers, redact_url

logger = logging.getLogger("providers.http")


# urllib3 logs each request line at DEBUG, query string included.
logging.getLogger("urllib3.connectionpool").addFilter(QuerySecretsFilter())

USER_AGENT = "invoice-backoffice/1.0"


@dataclass(frozen=True)
class HttpResponse:
    status_code: int
    headers: dict[str, str]
    text: str
    exchange: Exchange

    def json(self) -> Any:
        import json

        return json.loads(self.text)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        secrets: Iterable[str] = (),
        connect_retries: int = 2,
        session: requests.Session | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.secrets: set[str] = {s for s in secrets if s}
        self.connect_retries = connect_retries
        self.session = session or self._new_session()

    @classmethod
    def for_account(cls, account: AccountConfig) -> HttpClient:
        from .pool import pooled_session

        return cls(
            connect_timeout=account.connect_timeout,
            read_timeout=account.read_timeout,
            secrets=account.secret_values(),
            # Keep-alive across deliveries of one account in one thread (see providers/pool.py).
            session=pooled_session((account.id, account.base_url), cls._new_session),
        )

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc credentials picked up from the environment
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        return session

    def add_secret(self, value: str | None) -> None:
        """Register a value learnt at run time (an access token) so that it is redacted too."""
        if value:
            self.secrets.add(value)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        form: Mapping[str, str] | None = None,
        safe_to_retry: bool = False,
    ) -> HttpResponse:
        """Send one request. Returns the response whatever its status (adapters read the provider's envelope);
        raises TemporaryError for failures where no usable answer came back.

        Connection failures before anything was sent are retried (nothing reached the provider). Read timeouts are
        retried only when `safe_to_retry` (reads, or writes carrying an idempotency key the provider honours)."""
        headers = dict(headers or {})
        payload: str | bytes | None = body
        if form is not None:
            from urllib.parse import urlencode

            payload = urlencode(dict(form))
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        attempts = 1 + self.connect_retries
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=headers,
                    data=payload,
                    timeout=(self.connect_timeout, self.read_timeout),
                    allow_redirects=False,
                )
            except requests.exceptions.ConnectTimeout as exc:
                error, uncertain = f"connect timeout after {self.connect_timeout}s", False
                self._log_failure(method, url, error, attempt)
                if attempt < attempts:
                    time.sleep(0.2 * attempt)
                    continue
                raise self._temporary(method, url, headers, payload, started, error, uncertain) from exc
            except requests.exceptions.ReadTimeout as exc:
                error = f"no answer within {self.read_timeout}s (the request may have been applied)"
                self._log_failure(method, url, error, attempt)
                if safe_to_retry and attempt < attempts:
                    continue
                raise self._temporary(method, url, headers, payload, started, error, True) from exc
            except requests.exceptions.ConnectionError as exc:
                # A refused or reset connection before the request went out is safe to retry; one dropped after
                # sending (RemoteDisconnected, a broken chunked answer) may have been applied.
                sent = _was_sent(exc)
                error = "connection dropped before an answer" if sent else "connection refused or reset"
                self._log_failure(method, url, error, attempt)
                if (not sent or safe_to_retry) and attempt < attempts:
                    time.sleep(0.2 * attempt)
                    continue
                raise self._temporary(method, url, headers, payload, started, error, sent) from exc
            except requests.exceptions.RequestException as exc:
                error = f"request failed: {type(exc).__name__}"
                raise self._temporary(method, url, headers, payload, started, error, True) from exc
            return self._wrap(method, url, headers, payload, started, response)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- mapping ----------------------------------------------------------------------------------------------
    def raise_for_status(self, response: HttpResponse, message: str = "", provider_code: str = "") -> None:
        """Map a non-2xx answer to our error classes, with the provider's own message when the adapter found it."""
        status = response.status_code
        if status < 300:
            return
        text = message or f"HTTP {status} from provider"
        common: dict[str, Any] = {
            "status_code": status,
            "provider_code": provider_code,
            "exchanges": (response.exchange,),
        }
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TemporaryError(text, retry_after=retry_after, **common)
        if 300 <= status < 400:
            raise ConfigurationError(f"provider answered with a redirect ({status}); redirects are not followed")
        if status in (401, 403):
            raise ConfigurationError(text, **common)
        if 400 <= status < 500:
            raise RejectedError(text, **common)
        # 502/503/504 come from gateways and circuit breakers before the provider acted; a 500 may follow an effect.
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TemporaryError(text, retry_after=retry_after, uncertain=status == 500, **common)

    def malformed(self, response: HttpResponse, what: str = "an unreadable answer") -> TemporaryError:
        """A 2xx whose body cannot be read: the request probably took effect, so the outcome is uncertain."""
        return TemporaryError(
            f"provider sent {what}", status_code=response.status_code, uncertain=True, exchanges=(response.exchange,)
        )

    # -- recording ----------------------------------------------------------------------------------------------
    def _wrap(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        payload: str | bytes | None,
        started: float,
        response: requests.Response,
    ) -> HttpResponse:
        duration = (time.monotonic() - started) * 1000
        text = response.text
        exchange = Exchange(
            method=method,
            url=redact_url(url, self.secrets),
            request_headers=redact_headers(headers, self.secrets),
            request_body=redact_body(payload, self.secrets),
            status_code=response.status_code,
            response_headers=redact_headers(dict(response.headers), self.secrets),
            response_body=redact_body(text, self.secrets),
            duration_ms=duration,
        )
        logger.info("%s %s -> %s in %.0f ms", method, exchange.url, response.status_code, duration)
        return HttpResponse(response.status_code, dict(response.headers), text, exchange)

    def _temporary(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        payload: str | bytes | None,
        started: float,
        error: str,
        uncertain: bool,
    ) -> TemporaryError:
        exchange = Exchange(
            method=method,
            url=redact_url(url, self.secrets),
            request_headers=redact_headers(headers, self.secrets),
            request_body=redact_body(payload, self.secrets),
            status_code=None,
            response_headers={},
            response_body="",
            duration_ms=(time.monotonic() - started) * 1000,
            error=error,
        )
        return TemporaryError(error, uncertain=uncertain, exchanges=(exchange,))

    def _log_failure(self, method: str, url: str, error: str, attempt: int) -> None:
        logger.warning("%s %s failed (attempt %d): %s", method, redact_url(url, self.secrets), attempt, error)


def _was_sent(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc)
    markers = ("RemoteDisconnected", "ProtocolError", "IncompleteRead", "Connection aborted", "ChunkedEncodingError")
    refused = ("NewConnectionError", "Connection refused", "Max retries exceeded with url")
    if any(m in text for m in markers):
        return True
    return not any(m in text for m in refused)
