"""/sandbox/<kind>/ followed by the provider's own path, so an account's base URL is http://host:port/sandbox/<kind>."""

from django.urls import include, path

urlpatterns = [
    path("arcadier/", include("providers.sandbox.arcadier")),
    path("modulus/", include("providers.sandbox.modulus")),
    path("generic/", include("providers.sandbox.generic")),
    path("vtex/", include("providers.sandbox.vtex")),
    path("rapyd/", include("providers.sandbox.rapyd")),
]
