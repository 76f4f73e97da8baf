"""The three staff roles, as groups: what each may see and do.

A data migration creates the groups; after every `migrate` the groups are brought back in line with this table, so
a permission added by a later migration reaches its role without another data migration.
"""

from __future__ import annotations

from typing import Any

VIEWER = "viewer"
OPERATOR = "operator"
ADMINISTRATOR = "administrator"

_VIEW = [
    "invoices.view_invoice",
    "invoices.view_invoiceline",
    "invoices.view_invoiceorder",
    "invoices.view_statuschange",
    "providers.view_provideraccount",
    "invoices.view_delivery",
    "invoices.view_deliveryattempt",
    "invoices.view_invoiceemail",
    "invoices.view_storedemail",
    "invoices.view_webhookevent",
    "invoices.view_reconciliation",
    "invoices.view_reconciliationitem",
]
_OPERATE = [
    "invoices.add_invoice",
    "invoices.change_invoice",
    "invoices.add_invoiceline",
    "invoices.change_invoiceline",
    "invoices.delete_invoiceline",
    "invoices.add_invoiceorder",
    "invoices.change_invoiceorder",
    "invoices.delete_invoiceorder",
    "invoices.change_invoice_status",
    "invoices.push_invoice",
    "invoices.send_invoice_email",
    "providers.test_provider_connection",
    "providers.pause_provider",
    "invoices.retry_delivery",
    "invoices.reprocess_webhookevent",
    "invoices.run_reconciliation",
]
_ADMINISTER = [
    "providers.add_provideraccount",
    "providers.change_provideraccount",
    "providers.delete_provideraccount",
    "providers.view_provider_secrets_summary",
    "invoices.view_apiclient",
    "invoices.add_apiclient",
    "invoices.change_apiclient",
    "invoices.delete_apiclient",
    "sandbox.view_sandboxfault",
    "sandbox.change_sandboxfault",
    "sandbox.add_sandboxfault",
    "sandbox.view_sandboxrequest",
    "sandbox.view_sandboxobject",
    "sandbox.change_sandboxobject",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    VIEWER: _VIEW,
    OPERATOR: _VIEW + _OPERATE,
    ADMINISTRATOR: _VIEW + _OPERATE + _ADMINISTER,
}


def extend_role(role: str, permissions: list[str]) -> None:
    """Let another module add permissions to a role (and to the roles above it)."""
    order = [VIEWER, OPERATOR, ADMINISTRATOR]
    for name in order[order.index(role) :]:
        ROLE_PERMISSIONS[name] = ROLE_PERMISSIONS[name] + [p for p in permissions if p not in ROLE_PERMISSIONS[name]]


def sync_roles(apps: Any, *, create_missing_permissions: bool = True) -> None:
    """Create the groups and set exactly the permissions of the table (unknown codenames are skipped)."""
    if create_missing_permissions:
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, verbosity=0, apps=apps)
            app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            perm = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
