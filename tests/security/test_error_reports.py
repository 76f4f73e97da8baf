"""Server error reports mask the password of URL settings (a broker URL with a password is a setting whose name
says nothing of secrets)."""

from __future__ import annotations

import sys

from django.test import RequestFactory, override_settings
from django.views.debug import ExceptionReporter

from backoffice.error_reports import SecretsExceptionReporter, SecretsReporterFilter

# Joined at run time: the report shows the source lines around each frame, and these must not be found there.
BROKER_PASSWORD, MAIL_PASSWORD = "-".join(("broker", "pass", "7Hq2")), "-".join(("mail", "pass", "9Kd1"))
BROKER = f"redis://:{BROKER_PASSWORD}@redis.internal:6379/0"
MAIL = f"smtp+tls://mailer:{MAIL_PASSWORD}@smtp.example.com:587"


def report_text() -> str:
    request = RequestFactory().get("/api/v1/invoices/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = SecretsExceptionReporter(request, *sys.exc_info())
        assert isinstance(reporter, ExceptionReporter)
        return reporter.get_traceback_text() + reporter.get_traceback_html()


@override_settings(CELERY_BROKER_URL=BROKER, ERROR_REPORT_URLS={"mail": MAIL}, DEBUG=False)
def test_url_passwords_are_masked_in_the_report_and_the_rest_is_kept() -> None:
    text = report_text()

    assert BROKER_PASSWORD not in text
    assert MAIL_PASSWORD not in text
    assert "redis.internal:6379/0" in text  # the address stays readable
    assert "smtp.example.com:587" in text


def test_the_filter_masks_only_the_password_of_a_url() -> None:
    cleansed = SecretsReporterFilter().cleanse_setting("CELERY_BROKER_URL", "amqp://guest:guest-pw@rabbit:5672//")

    assert cleansed == "amqp://guest:********************@rabbit:5672//"
    assert SecretsReporterFilter().cleanse_setting("SITE_URL", "https://example.com/a:b@c") == (
        "https://example.com/a:b@c"
    )
