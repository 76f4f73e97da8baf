"""The sandbox calling back: webhooks posted over HTTP exactly as Rapyd, Arcadier and VTEX post them.

- `send_rapyd_webhook`: Rapyd's envelope {id, type, data, trigger_operation_id, status, created_at,
  extended_timestamp}, compact JSON, signed over the full webhook URL with no method (headers salt, timestamp,
  signature). Invoice events carry the invoice object; payment events (PAYMENT_COMPLETED, PAYMENT_SUCCEEDED) the
  payment that settled it.
- `send_arcadier_invoice_paid`: the `invoice.paid` event trigger for an emulated transaction, with the secret
  custom header set on the trigger.
- `send_vtex_order_hook` / `send_vtex_hook_ping`: the Orders Hook's status change and its configuration ping,
  with the headers configured on the hook.

Each returns the `requests.Response`. Amounts go out as exact JSON numbers (Decimal, never float).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from providers.jsonnumbers import dumps_compact
from providers.rapyd import signing

TIMEOUT_S = 10.0
RAPYD_PAYMENT_EVENTS = frozenset({"PAYMENT_COMPLETED", "PAYMENT_SUCCEEDED"})


def _post(url: str, body: str, headers: dict[str, str], timeout: float) -> requests.Response:
    return requests.post(
        url, data=body.encode("utf-8"), headers={"Content-Type": "application/json", **headers}, timeout=timeout
    )


# -- Rapyd ---------------------------------------------------------------------------------------------------
def rapyd_payment(invoice_obj: Mapping[str, Any], *, paid_at: int) -> dict[str, Any]:
    """The payment object that paid an invoice, as Rapyd's payment webhooks carry it."""
    return {
        "id": invoice_obj.get("payment") or f"payment_{uuid.uuid4().hex}",
        "amount": invoice_obj.get("total", Decimal("0")),
        "currency_code": invoice_obj.get("currency", ""),
        "customer_token": invoice_obj.get("customer", ""),
        "invoice": invoice_obj["id"],
        "paid": True,
        "paid_at": paid_at,
        "status": "CLO",
        "captured": True,
        "metadata": {},
    }


def rapyd_event(
    event_type: str,
    invoice_obj: Mapping[str, Any],
    *,
    event_id: str | None = None,
    created_at: int | None = None,
    status: str = "NEW",
) -> dict[str, Any]:
    created = int(time.time()) if created_at is None else created_at
    data = rapyd_payment(invoice_obj, paid_at=created) if event_type in RAPYD_PAYMENT_EVENTS else dict(invoice_obj)
    return {
        "id": event_id or f"wh_{uuid.uuid4().hex}",
        "type": event_type,
        "data": data,
        "trigger_operation_id": str(uuid.uuid4()),
        "status": status,
        "created_at": created,
        "extended_timestamp": created * 1000,
    }


def send_rapyd_webhook(
    url: str,
    account_credentials: Mapping[str, str],
    event_type: str,
    invoice_obj: Mapping[str, Any],
    *,
    event_id: str | None = None,
    created_at: int | None = None,
    status: str = "NEW",
    salt: str | None = None,
    timestamp: int | None = None,
    signed_url: str | None = None,
    timeout: float = TIMEOUT_S,
) -> requests.Response:
    """POST a Rapyd webhook about `invoice_obj` (an invoice as Rapyd shows it, e.g. rapyd.stored_invoice()).

    `created_at` is when the event happened (Unix seconds); `timestamp` when it is sent (now by default: Rapyd's
    receivers refuse one more than 60 s away). `signed_url` is the URL the signature covers, when the one posted
    to differs (a proxy in front of the receiver)."""
    body = signing.body_string(
        rapyd_event(event_type, invoice_obj, event_id=event_id, created_at=created_at, status=status)
    )
    salt = salt or signing.new_salt()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = signing.webhook_signature(
        signed_url or url,
        salt,
        stamp,
        account_credentials["access_key"],
        account_credentials["secret_key"],
        body,
    )
    return _post(url, body, {"salt": salt, "timestamp": stamp, "signature": signature}, timeout)


# -- Arcadier ------------------------------------------------------------------------------------------------
def arcadier_invoice_paid(
    transaction: Mapping[str, Any], *, event_id: str | None = None, created_at: int | None = None
) -> dict[str, Any]:
    """The `invoice.paid` payload for a transaction as the Arcadier emulator keeps it (arcadier.transaction_state)."""
    created = int(time.time()) if created_at is None else created_at
    currency = transaction["CurrencyCode"]
    orders, total, fee = [], Decimal("0"), Decimal("0")
    for order in transaction["Orders"]:
        payment = order.get("Payment") or {}
        amount, order_fee = Decimal(payment.get("Total", order["Total"])), Decimal(payment.get("Fee", order["Fee"]))
        total, fee = total + amount, fee + order_fee
        paid = order["PaymentStatus"] == "Paid"
        detail: dict[str, Any] = {
            "InvoiceNo": transaction["InvoiceNo"],
            "Payer": {"ID": order["ConsumerID"]},
            "Payee": {"ID": order["MerchantID"]},
            "Order": {"ID": order["ID"]},
            "CurrencyCode": currency,
            "Total": amount,
            "Fee": order_fee,
            "Status": payment.get("Status", "Success" if paid else order["PaymentStatus"]),
            "Refunded": bool(payment.get("Refunded", False)),
            "GatewayPayKey": payment.get("GatewayPayKey", f"ch_{uuid.uuid4().hex[:16]}"),
            "GatewayTransactionID": payment.get("GatewayTransactionID", f"txn_{uuid.uuid4().hex[:16]}"),
            "GatewayStatus": payment.get("GatewayStatus", "succeeded" if paid else "pending"),
            "Gateway": {"Code": payment.get("GatewayCode", "stripe"), "Gateway": "Stripe"},
            "DateTimeCreated": int(payment.get("DateTimeCreated", transaction.get("DateTimeCreated", created))),
            "DateTimePaid": int(payment.get("DateTimePaid", created if paid else 0)),
        }
        orders.append(
            {
                "ID": order["ID"],
                "CurrencyCode": currency,
                "Total": amount,
                "Freight": Decimal("0"),
                "GrandTotal": amount,
                "Balance": Decimal("0") if paid else amount,
                "DiscountAmount": Decimal("0"),
                "MerchantDetail": {"ID": order["MerchantID"]},
                "ConsumerDetail": {"ID": order["ConsumerID"]},
                "PaymentDetails": [detail],
                "FulfilmentStatus": "Acknowledged",
                "PaymentStatus": order["PaymentStatus"],
                "CreatedDateTime": int(transaction.get("DateTimeCreated", created)),
            }
        )
    return {
        "Action": "invoice.paid",
        "ID": event_id or f"evt-{uuid.uuid4()}",
        "CreatedDateTime": created,
        "Data": {
            "InvoiceNo": transaction["InvoiceNo"],
            "CurrencyCode": currency,
            "Total": total,
            "Fee": fee,
            "Orders": orders,
        },
    }


def send_arcadier_invoice_paid(
    url: str,
    secret_header: str,
    secret: str,
    transaction: Mapping[str, Any],
    *,
    event_id: str | None = None,
    created_at: int | None = None,
    timeout: float = TIMEOUT_S,
) -> requests.Response:
    """POST Arcadier's `invoice.paid` for `transaction`, with the trigger's secret header."""
    body = dumps_compact(arcadier_invoice_paid(transaction, event_id=event_id, created_at=created_at))
    return _post(url, body, {secret_header: secret}, timeout)


# -- VTEX ----------------------------------------------------------------------------------------------------
def _vtex_instant(moment: datetime | None) -> str:
    # VTEX writes UTC with seven fractional digits.
    moment = (moment or datetime.now(tz=UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def vtex_order_hook(
    order_id: str,
    state: str,
    *,
    last_state: str = "",
    current_change: datetime | None = None,
    last_change: datetime | None = None,
    domain: str = "Fulfillment",
    account_name: str = "sandbox",
    app_key: str = "vtexappkey-sandbox",
) -> dict[str, Any]:
    current = _vtex_instant(current_change)
    return {
        "Domain": domain,
        "OrderId": order_id,
        "State": state,
        "LastState": last_state,
        "LastChange": _vtex_instant(last_change) if last_change else current,
        "CurrentChange": current,
        "Origin": {"Account": account_name, "Key": app_key},
    }


def send_vtex_order_hook(
    url: str,
    header: str,
    secret: str,
    order_id: str,
    state: str,
    *,
    last_state: str = "",
    current_change: datetime | None = None,
    last_change: datetime | None = None,
    timeout: float = TIMEOUT_S,
    **origin: str,
) -> requests.Response:
    """POST one Orders Hook status change, with the header configured on the hook."""
    body = dumps_compact(
        vtex_order_hook(
            order_id,
            state,
            last_state=last_state,
            current_change=current_change,
            last_change=last_change,
            **origin,
        )
    )
    return _post(url, body, {header: secret}, timeout)


def send_vtex_hook_ping(url: str, header: str, secret: str, *, timeout: float = TIMEOUT_S) -> requests.Response:
    """POST the ping VTEX sends when the hook is configured."""
    return _post(url, dumps_compact({"hookConfig": "ping"}), {header: secret}, timeout)
