from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from .models import Item
from .serializers import ItemSerializer


class NewestFirst(CursorPagination):
    """Pages of 20, newest happened_at first. Cursor pagination is what
    DRF's documentation recommends for large tables: no COUNT(*) and no
    OFFSET, as the other systems of the benchmark."""

    page_size = 20
    ordering = ("-happened_at", "-id")


class ItemViewSet(viewsets.ModelViewSet):
    """GET/PUT/PATCH/DELETE /api/items/{id}, GET/POST /api/items.

    A list filters on ?category= (django-filter). Writes run in one
    transaction with the history row django-simple-history adds.
    """

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    pagination_class = NewestFirst
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["category"]

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)
