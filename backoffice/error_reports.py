"""Error reports without secrets: what Django mails to ADMINS (and logs) when a request fails.

Django's own filter hides settings, headers and cookies whose names look secret and the POST fields a view marks
sensitive. Three doors of this app put secrets where it does not look: modulus passes its token in the query
string (`?token=`, shown in the report's URL, its GET section and QUERY_STRING), the provider account form posts
credentials as `credential_<name>` fields, and SANDBOX_CREDENTIALS names secrets `client_id` and `app`. Here, query
parameters and POST fields are masked by the same names the rest of the app redacts (providers.redaction), and
settings whose names mention credentials are hidden whole, and the password of any URL setting
(`CELERY_BROKER_URL=redis://:password@…`) is masked.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from providers.redaction import MASK, is_sensitive, redact_url

CREDENTIAL_FIELD_PREFIX = "credential_"  # providers.admin.credential_field


def _secret_field(name: str) -> bool:
    return is_sensitive(name) or name.startswith(CREDENTIAL_FIELD_PREFIX)


# `scheme://user:password@host`: the password of a URL setting (a broker, a cache, a mail server).
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]+@", flags=re.I)


class SecretsReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile("API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|CREDENTIAL", flags=re.I)

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        value = super().cleanse_setting(key, value)
        if isinstance(value, str):
            return URL_PASSWORD.sub(lambda m: f"{m['head']}:{self.cleansed_substitute}@", value)
        return value

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta: dict[str, Any] = super().get_safe_request_meta(request)
        for name in ("QUERY_STRING", "REQUEST_URI", "RAW_URI"):
            value = meta.get(name)
            if isinstance(value, str) and value:
                meta[name] = redact_url(value) if name != "QUERY_STRING" else _masked_query(value)
        return meta

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        parameters = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return parameters
        secret = [name for name in parameters if _secret_field(name)]
        if secret:
            parameters = parameters.copy()
            for name in secret:
                parameters[name] = self.cleansed_substitute
        return parameters


class SecretsExceptionReporter(ExceptionReporter):
    """Masks secret query parameters in the report's URL and GET section (the filter is not asked for those)."""

    def get_traceback_data(self) -> dict[str, Any]:
        data: dict[str, Any] = super().get_traceback_data()
        if self.request is not None and self.filter.is_active(self.request):
            data["request_GET_items"] = _masked(self.request.GET).items()
            data["request_insecure_uri"] = redact_url(data["request_insecure_uri"])
        return data


def _masked(query: QueryDict) -> QueryDict:
    masked = query.copy()
    for name in masked:
        if _secret_field(name):
            masked.setlist(name, [MASK] * len(masked.getlist(name)))
    return masked


def _masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if _secret_field(k) else v) for k, v in pairs], safe="*")
