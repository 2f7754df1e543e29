from django.contrib import admin, messages

from .models import Item
from .tasks import checksum_attachment


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "attachment", "attachment_sha256", "created_at")
    search_fields = ("name", "contact_email")
    fields = ("name", "description", "contact_email", "attributes", "attachment")
    actions = ["compute_checksums"]

    @admin.action(description="Compute the attachments' SHA-256 in the background")
    def compute_checksums(self, request, queryset):
        ids = list(queryset.exclude(attachment="").values_list("pk", flat=True))
        for item_id in ids:
            checksum_attachment.delay(item_id)
        self.message_user(
            request, f"{len(ids)} checksum task(s) sent to the worker.", messages.SUCCESS
        )
