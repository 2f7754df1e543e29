from django.contrib import admin

from .models import Item


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_email", "attachment", "created_at")
    search_fields = ("name", "contact_email")
    fields = ("name", "description", "contact_email", "attributes", "attachment")
