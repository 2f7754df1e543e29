"""Public pages: the newest items, and a search that forgives accents and typos."""

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Item

PAGE_SIZE = 50
# The fields the templates show: the page's one query reads nothing else.
SHOWN_FIELDS = ("name", "description", "contact_email", "created_at")
# pg_trgm's own default threshold is 0.3; a little lower still finds two-typo queries.
MIN_SIMILARITY = 0.2
MAX_QUERY_LENGTH = 100


def item_list(request: HttpRequest) -> HttpResponse:
    items = list(Item.objects.only(*SHOWN_FIELDS).order_by("-created_at")[:PAGE_SIZE])
    return render(request, "catalog/item_list.html", {"items": items})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    items = []
    if query:
        similarity = TrigramSimilarity(Unaccent("name"), Unaccent(Value(query)))
        items = list(
            Item.objects.only(*SHOWN_FIELDS)
            .annotate(similarity=similarity)
            .filter(similarity__gt=MIN_SIMILARITY)
            .order_by("-similarity", "-created_at")[:PAGE_SIZE]
        )
    return render(request, "catalog/search.html", {"items": items, "query": query})


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item and its attachment's checksum, which the worker fills in."""
    item = get_object_or_404(
        Item.objects.only(*SHOWN_FIELDS, "attachment", "attachment_sha256"), pk=pk
    )
    return render(request, "catalog/item_detail.html", {"item": item})
