"""What a caller may do, as in the admin: staff by their Django permissions (the roles' groups), API clients by
their role, and both only on the invoices they may see (see `scope.py`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from invoices.models import ApiClient, ApiClientRole


class Ability(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    CHANGE_STATUS = "change_status"
    PUSH = "push"
    SEND_EMAIL = "send_email"
    VIEW_DELIVERIES = "view_deliveries"
    RETRY_DELIVERY = "retry_delivery"


# Any one of the permissions grants the ability. The admin lets "change" imply "view" (ModelAdmin.has_view_permission);
# so does the API.
STAFF_PERMISSIONS: dict[Ability, tuple[str, ...]] = {
    Ability.VIEW: ("invoices.view_invoice", "invoices.change_invoice"),
    Ability.ADD: ("invoices.add_invoice",),
    Ability.CHANGE: ("invoices.change_invoice",),
    Ability.CHANGE_STATUS: ("invoices.change_invoice_status",),
    Ability.PUSH: ("invoices.push_invoice",),
    Ability.SEND_EMAIL: ("invoices.send_invoice_email",),
    Ability.VIEW_DELIVERIES: ("invoices.view_delivery", "invoices.change_delivery"),
    Ability.RETRY_DELIVERY: ("invoices.retry_delivery",),
}

# The client roles mirror the staff roles: a viewer reads, an operator also changes, pushes, emails and retries.
CLIENT_ABILITIES: dict[str, frozenset[Ability]] = {
    ApiClientRole.VIEWER: frozenset({Ability.VIEW, Ability.VIEW_DELIVERIES}),
    ApiClientRole.OPERATOR: frozenset(Ability),
}


def may(request: Request, ability: Ability) -> bool:
    client = request.auth
    if isinstance(client, ApiClient):
        return ability in CLIENT_ABILITIES.get(client.role, frozenset())
    user = request.user
    # Like the admin: only active staff get in, and then by their permissions (superusers have them all).
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return any(user.has_perm(name) for name in STAFF_PERMISSIONS[ability])


def is_caller(request: Request) -> bool:
    return isinstance(request.auth, ApiClient) or request.user.is_authenticated


class HasAbility(BasePermission):
    """The view names the abilities each of its actions needs in `required_abilities` (action → abilities)."""

    message = "You may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not is_caller(request):
            return False  # DRF answers 401
        needed: tuple[Ability, ...] = view.required_abilities.get(getattr(view, "action", None), ())
        # An action the view does not have (a PUT, say) needs nothing here: the caller is told 405 next.
        return all(may(request, ability) for ability in needed)
