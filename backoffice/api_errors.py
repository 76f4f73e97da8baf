"""The error envelope of the normalized API (/api/v1/), for every refusal whatever raised it:

    {"error": {"code": "illegal_transition", "message": "Cannot change …", "fields": {"lines.0.quantity": ["…"]}}}

DRF's own exceptions keep their status (401, 403, 404, 405, 406, 415, 429 with Retry-After…); the domain's
exceptions get theirs here, once, instead of in every view: a Django ValidationError from a service is a 400 with
its fields, an illegal status move or a stale version a 409, a refused provider rule a 409 too.

Only views that declare `error_envelope = True` answer this way. The provider mirrors answer in their providers'
envelopes and the schema views in DRF's; for them this handler is DRF's default one, unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from invoices.deliveries import DeliveryError
from invoices.lifecycle import IllegalTransition
from invoices.services import StaleVersion
from providers.base import ProviderRuleError

logger = logging.getLogger("invoices.api")

NON_FIELD = "non_field_errors"


class ApiError(exceptions.APIException):
    """A refusal with our own code, optional field errors and extra response headers."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


class PayloadTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body is larger than {limit} bytes.",
        )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if not getattr(context.get("view"), "error_envelope", False):
        return drf_exception_handler(exc, context)
    error = as_api_error(exc)
    if error is None:
        return None  # a bug: let Django log it and answer 500
    set_rollback()
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    return Response(body, status=error.status_code, headers=error.headers)


def as_api_error(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, exceptions.ValidationError):
        return _validation_error(flatten(exc.detail))
    if isinstance(exc, exceptions.APIException):
        return _from_drf(exc)
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation(exc)
    if isinstance(exc, IllegalTransition):
        return ApiError(status.HTTP_409_CONFLICT, "illegal_transition", str(exc))
    if isinstance(exc, StaleVersion):
        return ApiError(status.HTTP_409_CONFLICT, "stale_version", str(exc))
    if isinstance(exc, ProviderRuleError):
        return ApiError(status.HTTP_409_CONFLICT, "provider_rule", f"The provider would refuse this: {exc}.")
    if isinstance(exc, DeliveryError):
        return ApiError(status.HTTP_409_CONFLICT, "delivery_refused", str(exc))
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return ApiError(status.HTTP_404_NOT_FOUND, "not_found", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return ApiError(status.HTTP_403_FORBIDDEN, "permission_denied", "You may not do this.")
    if isinstance(exc, RequestDataTooBig):
        return ApiError(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", "The request body is too large.")
    if isinstance(exc, IntegrityError):
        # A concurrent request won a uniqueness race that validation could not see yet: retrying shows why.
        logger.info("API write refused by the database: %s", exc)
        return ApiError(status.HTTP_409_CONFLICT, "conflict", "The change conflicts with another one: try again.")
    return None


def _from_drf(exc: exceptions.APIException) -> ApiError:
    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(exc, "wait", None)) is not None:
        headers["Retry-After"] = str(int(wait))
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return ApiError(exc.status_code, str(code), _text(exc.detail), headers=headers)


def _from_django_validation(exc: DjangoValidationError) -> ApiError:
    if hasattr(exc, "error_dict"):
        fields = {
            (NON_FIELD if name == "__all__" else name): list(messages) for name, messages in exc.message_dict.items()
        }
        return _validation_error(fields)
    return ApiError(status.HTTP_400_BAD_REQUEST, "validation_error", " ".join(exc.messages) or "Invalid input.")


def _validation_error(fields: dict[str, list[str]]) -> ApiError:
    named = [name for name in fields if name != NON_FIELD]
    if not named:
        message = " ".join(fields.get(NON_FIELD, [])) or "Invalid input."
    elif len(named) == 1:
        message = f"{named[0]}: {' '.join(fields[named[0]])}"
    else:
        message = f"{len(named)} fields are invalid: {', '.join(named)}."
    return ApiError(status.HTTP_400_BAD_REQUEST, "validation_error", message, fields=fields)


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as flat field paths: {"lines": [{}, {"quantity": [...]}]} becomes
    {"lines.1.quantity": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for name, value in detail.items():
            # A nested serializer's own error belongs to the field holding it.
            own = name in (NON_FIELD, "__all__")
            key = (prefix or NON_FIELD) if own else (f"{prefix}.{name}" if prefix else str(name))
            _merge(out, flatten(value, key))
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list | tuple):
                _merge(out, flatten(item, f"{prefix}.{index}" if prefix else str(index)))
            else:
                out.setdefault(prefix or NON_FIELD, []).append(str(item))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def _merge(into: dict[str, list[str]], other: dict[str, list[str]]) -> None:
    for key, messages in other.items():
        into.setdefault(key, []).extend(messages)


def _text(detail: Any) -> str:
    messages = [message for values in flatten(detail).values() for message in values]
    return " ".join(messages) or "Error."
