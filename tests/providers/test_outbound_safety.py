"""Outbound safety: provider base URLs are https (plain http only to loopback with the sandbox or DEBUG on), and
the HTTP client never follows a redirect, so credentials never travel to a host nobody configured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from providers.base import ConfigurationError
from providers.http import HttpClient
from providers.models import validate_provider_base_url


@pytest.mark.parametrize(
    "url",
    ["https://api.rapyd.net", "https://acme.modulus.biz", "http://127.0.0.1:8000/sandbox/rapyd", "http://localhost:9"],
)
def test_https_and_loopback_base_urls_are_accepted_with_the_sandbox_on(url: str) -> None:
    validate_provider_base_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.rapyd.net", "must use https"),
        ("http://10.0.0.5/api", "must use https"),
        ("ftp://api.rapyd.net", "absolute http"),
        ("api.rapyd.net", "absolute http"),
        ("https://user:secret@api.rapyd.net", "never in the URL"),
        ("https://api.rapyd.net/?token=abc", "no query string"),
    ],
)
def test_other_base_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_provider_base_url(url)


@override_settings(PROVIDER_ALLOW_LOOPBACK_HTTP=False)
def test_plain_http_to_loopback_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="only when the sandbox or DEBUG is on"):
        validate_provider_base_url("http://127.0.0.1:8000/sandbox/rapyd")


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]
    location = ""

    def do_PUT(self) -> None:
        type(self).hits.append(self.headers.get("Authorization", ""))
        self.send_response(302 if type(self).location else 200)
        if type(self).location:
            self.send_header("Location", type(self).location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def redirecting_provider() -> Iterator[tuple[str, list[str], list[str]]]:
    elsewhere = type("Elsewhere", (_Recorder,), {"hits": [], "location": ""})
    other, other_url = _serve(elsewhere)
    provider = type("Provider", (_Recorder,), {"hits": [], "location": f"{other_url}/steal"})
    server, url = _serve(provider)
    try:
        yield url, provider.hits, elsewhere.hits
    finally:
        server.shutdown()
        other.shutdown()


def test_a_redirect_is_not_followed_and_is_a_configuration_error(
    redirecting_provider: tuple[str, list[str], list[str]],
) -> None:
    url, provider_hits, elsewhere_hits = redirecting_provider
    client = HttpClient(secrets=["bearer-secret-value"])

    response = client.request(
        "PUT", f"{url}/api/v1/Invoice/Update", headers={"Authorization": "Bearer bearer-secret-value"}
    )

    assert response.status_code == 302
    with pytest.raises(ConfigurationError, match="redirect"):
        client.raise_for_status(response)
    assert provider_hits == ["Bearer bearer-secret-value"]
    assert elsewhere_hits == []  # the credentials never reached the other host
    assert "bearer-secret-value" not in str(response.exchange.as_dict())
