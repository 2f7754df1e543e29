from django.contrib.postgres.fields import HStoreField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

__all__ = ["CIEmailField", "Item"]


class CIEmailField(models.EmailField):
    """An email address that PostgreSQL compares case-insensitively (the citext type)."""

    def db_type(self, connection):
        return "citext"


class Item(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    contact_email = CIEmailField(blank=True)
    attributes = HStoreField(default=dict, blank=True)
    attachment = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    # Written by the catalog.checksum_attachment task, in the background.
    attachment_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            # pg_trgm index: serves name__trigram_similar (the % operator) and LIKE '%...%'.
            GinIndex(fields=["name"], name="catalog_item_name_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.name
