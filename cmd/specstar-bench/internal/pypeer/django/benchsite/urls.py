"""Routes: the items API at /api/items (no trailing slash, as the other
systems of the benchmark) and a health check."""
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from items.views import ItemViewSet

router = SimpleRouter(trailing_slash=False)
router.register("api/items", ItemViewSet)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    path("", include(router.urls)),
]
