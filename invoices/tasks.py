"""Celery tasks. They take ids, re-read the database, and are safe to run twice (a second run finds nothing due)."""

from __future__ import annotations

import os
import socket

from celery import shared_task
from django.db.models import Subquery

from . import relay
from .email_tasks import send_invoice_email, sweep_invoice_emails
from .models import Delivery, DeliveryState

__all__ = ["deliver", "relay_outbox", "send_invoice_email", "sweep_invoice_emails"]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="invoices.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Deliver one change now if it is due and first in line; then move its invoice's queue along."""
    claims = relay.claim(worker=worker_name(), limit=1, delivery_id=delivery_id)
    if not claims:
        return "not due"
    state = relay.deliver(claims[0], worker=worker_name())
    if state == DeliveryState.SUCCEEDED:
        same_invoice = Delivery.objects.filter(pk=delivery_id).values("invoice_id")
        following = (
            Delivery.objects.filter(invoice_id=Subquery(same_invoice), state=DeliveryState.PENDING, id__gt=delivery_id)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        if following is not None:
            deliver.delay(following)
    return state


@shared_task(name="invoices.relay_outbox", acks_late=True, ignore_result=True, expires=30)
def relay_outbox(budget_seconds: float = 25.0) -> int:
    """The safety net, run by beat: deliver everything due, take back deliveries of lost workers."""
    return relay.relay(worker=worker_name(), budget_seconds=budget_seconds)
