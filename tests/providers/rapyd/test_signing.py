"""Rapyd's request and webhook signatures, checked against values computed independently here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import pytest

from providers.rapyd import signing

ACCESS_KEY = "rak_35151028166B9A9DDEFE"
SECRET_KEY = "rsk_4cd4a8a1d1f5e3d2b8c3e3c0c3e4a4c7b2b1a0"
SALT = "a1b2c3d4e5f6"
TIMESTAMP = "1702307343"
BODY = '{"days_until_due":40,"metadata":{"merchant_defined":"updated"}}'
PATH = "/v1/invoices/invoice_e722956a315d42c94e93ce49153e7029"


def test_the_request_signature_matches_one_computed_with_hmac_directly() -> None:
    # given Rapyd's recipe written out by hand
    to_sign = f"post{PATH}{SALT}{TIMESTAMP}{ACCESS_KEY}{SECRET_KEY}{BODY}"
    digest = hmac.new(SECRET_KEY.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    expected = base64.b64encode(digest.encode()).decode()

    # when
    signature = signing.signature("POST", PATH, SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, BODY)

    # then
    assert signature == expected
    # and the same vector computed outside Python (openssl dgst -sha256 -hmac … | base64)
    assert signature == ("ODVlMzkzODM1NTVmYjljZTM1NzNiN2Q3MTQ4N2RmY2I4OGIyODhkYTU3MGE5YWZiYjY2Y2IyNzIxYTI3MDA5Yw==")


def test_the_signature_is_base64_of_the_hex_digest_not_of_the_raw_digest() -> None:
    signature = signing.signature("get", "/v1/invoices", SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, "")

    decoded = base64.b64decode(signature)
    assert len(decoded) == 64
    assert all(chr(b) in "0123456789abcdef" for b in decoded)


def test_the_method_is_lowercased_and_an_empty_body_signs_as_nothing() -> None:
    to_sign = f"get/v1/invoices?limit=1{SALT}{TIMESTAMP}{ACCESS_KEY}{SECRET_KEY}"
    digest = hmac.new(SECRET_KEY.encode(), to_sign.encode(), hashlib.sha256).hexdigest()

    signature = signing.signature("GET", "/v1/invoices?limit=1", SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, "")

    assert signature == base64.b64encode(digest.encode()).decode()


def test_the_signed_headers_carry_the_access_key_salt_timestamp_and_signature() -> None:
    headers = signing.signed_headers(
        "post", PATH, BODY, access_key=ACCESS_KEY, secret_key=SECRET_KEY, salt=SALT, timestamp=int(TIMESTAMP)
    )

    assert headers == {
        "access_key": ACCESS_KEY,
        "salt": SALT,
        "timestamp": TIMESTAMP,
        "signature": signing.signature("post", PATH, SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, BODY),
    }
    assert SECRET_KEY not in json.dumps(headers)


def test_the_webhook_signature_covers_the_full_url_and_no_method() -> None:
    url = "https://backoffice.example.com/webhooks/rapyd"
    to_sign = f"{url}{SALT}{TIMESTAMP}{ACCESS_KEY}{SECRET_KEY}{BODY}"
    digest = hmac.new(SECRET_KEY.encode(), to_sign.encode(), hashlib.sha256).hexdigest()

    signature = signing.webhook_signature(url, SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, BODY)

    assert signature == base64.b64encode(digest.encode()).decode()
    assert signature != signing.signature("post", url, SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, BODY)


def test_a_fresh_salt_is_8_to_16_random_characters() -> None:
    salts = {signing.new_salt() for _ in range(50)}

    assert len(salts) == 50
    assert all(8 <= len(s) <= 16 and s.isalnum() for s in salts)


@pytest.mark.parametrize(
    "payload",
    [
        {"days_until_due": 40, "metadata": {"merchant_defined": "updated"}},
        {"description": 'Café ☕ "quoted"', "lines": [], "x": None, "y": True},
    ],
)
def test_the_body_string_is_compact_json_as_rapyd_documents_it(payload: dict[str, object]) -> None:
    assert signing.body_string(payload) == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def test_the_body_string_writes_decimals_as_exact_numbers_and_no_body_as_nothing() -> None:
    assert signing.body_string({"amount": Decimal("20.10")}) == '{"amount":20.10}'
    assert signing.body_string(None) == ""


def test_matching_compares_signatures_exactly() -> None:
    signature = signing.signature("get", "/v1/invoices", SALT, TIMESTAMP, ACCESS_KEY, SECRET_KEY, "")

    assert signing.matches(signature, signature)
    assert not signing.matches(signature, signature[:-2] + "x=")
