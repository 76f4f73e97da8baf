from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "providers.sandbox"
    label = "sandbox"
    verbose_name = "Provider sandbox"

    def ready(self) -> None:
        from django.conf import settings

        if settings.SANDBOX_ENABLED:
            # Rapyd's `access_key` header has an underscore, which Django's own servers drop by default.
            from .rapyd import serve_underscore_headers

            serve_underscore_headers()
