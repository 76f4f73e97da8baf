from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    from django.apps import apps

    from .roles import sync_roles

    sync_roles(apps, create_missing_permissions=False)


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self) -> None:
        # Runs after every app's permissions were created by `migrate`.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="invoices-sync-roles")
