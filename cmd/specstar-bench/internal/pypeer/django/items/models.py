"""The benchmark's Item (examples/bench/specstar.yaml) as a Django model,
with django-simple-history recording every write."""
from django.core.validators import MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Item(models.Model):
    class Category(models.TextChoices):
        ALPHA = "alpha"
        BETA = "beta"
        GAMMA = "gamma"
        DELTA = "delta"
        EPSILON = "epsilon"
        ZETA = "zeta"
        ETA = "eta"
        THETA = "theta"

    title = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=Category.choices, db_index=True)
    happened_at = models.DateTimeField(db_index=True)
    body = models.TextField(max_length=4000, blank=True, default="")
    score = models.IntegerField(default=0, validators=[MinValueValidator(0)], db_index=True)

    history = HistoricalRecords()

    class Meta:
        indexes = [
            # The list: one category, newest first. With it the database
            # reads the 20 rows of the page instead of sorting the
            # category.
            models.Index(fields=["category", "happened_at", "id"], name="item_category_happened"),
        ]
