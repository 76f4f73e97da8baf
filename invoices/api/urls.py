"""/api/: the five provider-compatible mirrors under /api/<provider>/, the normalized API under /api/v1/, and the
OpenAPI schema with its Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


class SwaggerView(SpectacularSwaggerView):
    # An HTML page: OPTIONS would be rendered through its page template (a 500); GET and HEAD are all it serves.
    http_method_names = ["get", "head"]


urlpatterns = [
    path("arcadier/", include("invoices.api.mirrors.arcadier")),
    path("modulus/", include("invoices.api.mirrors.modulus")),
    path("generic/", include("invoices.api.mirrors.generic")),
    path("vtex/", include("invoices.api.mirrors.vtex")),
    path("rapyd/", include("invoices.api.mirrors.rapyd")),
    path("v1/", include("invoices.api.v1.urls")),
    path("webhooks/", include("invoices.webhooks.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
