"""Secrets in query strings (modulus' ?token=) never reach a log line."""

from __future__ import annotations

import io
import logging
import logging.config

from django.conf import settings


def test_the_access_log_masks_a_token_in_the_query_string() -> None:
    # given the product's logging configuration, writing to a buffer
    logging.config.dictConfig(settings.LOGGING)
    stream = io.StringIO()
    handler = logging.getLogger("django.server").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)

    # when the development server logs a request line carrying a token
    logging.getLogger("django.server").info(
        '"%s" %s %s', "PATCH /api/modulus/inv/v1/Invoice?token=s3cr3t-token-value HTTP/1.1", "200", "61"
    )

    # then the line is there, the token is not
    line = stream.getvalue()
    assert "/api/modulus/inv/v1/Invoice?token=***" in line
    assert "s3cr3t-token-value" not in line


def test_urllib3_request_lines_are_masked_too(caplog) -> None:  # type: ignore[no-untyped-def]
    import providers.http  # noqa: F401 - installs the filter on urllib3's logger

    logger = logging.getLogger("urllib3.connectionpool")
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logger.debug(
            '%s://%s:%s "%s %s %s" %s %s',
            "https",
            "acme.modulus.biz",
            443,
            "PATCH",
            "/api/inv/v1/Invoice?token=another-secret-token",
            "HTTP/1.1",
            200,
            61,
        )
    assert "another-secret-token" not in caplog.text
    assert "?token=***" in caplog.text
