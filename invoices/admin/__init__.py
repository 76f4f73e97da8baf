"""The admin finance staff work in. Each module registers one part; business rules stay in the services."""

from django.contrib import admin

from invoices import email_admin  # noqa: F401 - lives beside the email services; registered through here

from . import api_clients, deliveries, history, invoice, periodic_tasks, reconciliation  # noqa: F401 - registers the model admins
from .webhooks import WebhookEventAdmin  # noqa: F401 - registers the webhook events admin

admin.site.site_header = "Invoice back-office"
admin.site.site_title = "Invoice back-office"
admin.site.index_title = "Invoices, providers and integrations"
