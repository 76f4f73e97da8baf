"""Optimistic concurrency for the v1 API: every invoice answer carries its version as `ETag: "<version>"`; a write
may send it back as `If-Match` (refused with 412 when stale) or as a `version` field (refused with 409), and the
service compares it under the row lock, so two clients editing the same invoice cannot lose each other's change."""

from __future__ import annotations

from rest_framework import status
from rest_framework.request import Request

from backoffice.api_errors import ApiError
from invoices.models import Invoice
from invoices.services import StaleVersion


def etag(invoice: Invoice) -> str:
    return f'"{invoice.version}"'


def expected_version(request: Request, body_version: int | None) -> tuple[int | None, bool]:
    """The version the caller read, from If-Match or the body's `version`; True when it came from If-Match."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return body_version, False
    # A weak tag is accepted too: GZip middleware and some proxies weaken ETags on their way to the client.
    tag = header.strip().removeprefix("W/").strip('"')
    if not tag.isascii() or not tag.isdigit() or len(tag) > 10:
        raise ApiError(
            status.HTTP_412_PRECONDITION_FAILED,
            "precondition_failed",
            'If-Match must be the ETag of the invoice you read, e.g. "3".',
        )
    version = int(tag)
    if body_version is not None and body_version != version:
        raise ApiError(
            status.HTTP_400_BAD_REQUEST,
            "validation_error",
            "version: it differs from If-Match; send one of them.",
            fields={"version": ["It differs from the If-Match header."]},
        )
    return version, True


def stale(exc: StaleVersion, from_if_match: bool) -> ApiError:
    advice = f'Read the invoice again (ETag "{exc.current}") and apply your change to it.'
    if from_if_match:
        return ApiError(
            status.HTTP_412_PRECONDITION_FAILED,
            "precondition_failed",
            f"{exc} {advice}",
            headers={"ETag": f'"{exc.current}"'},
        )
    return ApiError(status.HTTP_409_CONFLICT, "stale_version", f"{exc} {advice}")
