"""/api/webhooks/<kind>/<account_id>/ for the providers that call us back (invoices.webhooks.kinds).

The trailing slash is optional: a provider configured without it would otherwise get a redirect, which no
provider follows with its POST (and Rapyd's signature covers the URL exactly as it was configured)."""

from django.urls import re_path

from .kinds import WEBHOOK_KINDS
from .receivers import receive

ACCOUNT_ID = r"(?P<account_id>[0-9]{1,18})"  # digits that fit a database integer

urlpatterns = [
    re_path("^" + kind + "/" + ACCOUNT_ID + "/?$", receive, {"kind": kind}, name=f"webhook-{kind}")
    for kind in WEBHOOK_KINDS
]
