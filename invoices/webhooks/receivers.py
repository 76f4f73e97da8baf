"""The webhook endpoints: /api/webhooks/<kind>/<account_id>/, one per account, so the URL picks the secrets.

Each request is stored, authenticated, then processed in the request itself (a few database writes, no calls
out) and answered at once: 200 for every authenticated delivery whatever its processing came to (a duplicate,
an unknown invoice, a refused move are ours to look at, not the provider's to retry), 401 for a forged or stale
one, 400 for a body that is not the provider's event, 404 for an account that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import WebhookState
from .processing import webhook_process
from .receiving import OK, Inbound, webhook_receive
from .verification import webhook_url

ERROR_CODES = {400: "INVALID_EVENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE"}


@csrf_exempt  # providers authenticate with a signature or a secret header, never a session
@require_POST
def receive(request: HttpRequest, kind: str, account_id: str) -> JsonResponse:
    try:
        body: bytes | None = request.body
    except RequestDataTooBig:
        body = None
    inbound = Inbound(
        kind=kind, account_id=int(account_id), url=webhook_url(request), headers=dict(request.headers), body=body
    )
    receipt = webhook_receive(inbound)
    if receipt.status_code != OK:
        code = ERROR_CODES.get(receipt.status_code, "REFUSED")
        return JsonResponse({"error": {"code": code, "message": receipt.message}}, status=receipt.status_code)
    event = receipt.event
    if event.state == WebhookState.RECEIVED:
        event = webhook_process(event_id=event.pk)
    return JsonResponse({"received": True, "id": event.pk, "state": event.state})
