"""Who is calling the v1 API: an API client by its token, or a logged-in staff user by the admin's session.

A client's request carries no Django user (request.user is anonymous); request.auth is the ApiClient, and the
permissions and the invoice scope are decided from it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from invoices.api.authentication import AuthFailed, bearer_token, client_by_token
from invoices.models import ApiClient

from .throttling import AuthFailureThrottle


class ApiClientTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <token>` or `Bearer <token>`, a token issued by `manage.py create_api_client`.

    Failed lookups are counted per client IP; past the limit the IP gets 429 before any lookup."""

    def authenticate(self, request: Request) -> tuple[Any, ApiClient] | None:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme = header.partition(" ")[0].lower()
        if scheme not in ("token", "bearer"):
            return None  # another scheme: maybe the session's, or nobody's
        failures = AuthFailureThrottle()
        if (wait := failures.blocked_for(request)) is not None:
            raise exceptions.Throttled(wait, detail="Too many failed authentication attempts from this address.")
        try:
            client = client_by_token(bearer_token(header))
        except AuthFailed as exc:
            failures.record_failure(request)
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Token realm="api"'


class ApiClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client's token: `Authorization: Bearer <token>` (or `Token <token>`). "
            "Issue one with `manage.py create_api_client`.",
        }
