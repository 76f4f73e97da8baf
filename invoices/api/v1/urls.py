"""/api/v1/: the normalized invoice API (see views.py; its OpenAPI description is at /api/schema/)."""

from django.urls import URLPattern, URLResolver, re_path
from rest_framework.routers import SimpleRouter

from .views import DeliveryViewSet, InvoiceViewSet, NotFoundView

app_name = "api-v1"

router = SimpleRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("deliveries", DeliveryViewSet, basename="delivery")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    re_path(r"^.*$", NotFoundView.as_view(), name="not-found"),
]
