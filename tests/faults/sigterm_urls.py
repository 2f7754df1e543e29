"""The example's pages plus two that take their time, for SIGTERM to catch in flight.

``/sleep/<seconds>/`` sleeps in Python; ``/query/<seconds>/`` sleeps in the database, holding
a pooled connection.
"""

import time

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def sleep(request: HttpRequest, seconds: int) -> HttpResponse:
    time.sleep(seconds)
    return HttpResponse(f"slept {seconds} s\n")


def query(request: HttpRequest, seconds: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
    return HttpResponse(f"queried {seconds} s\n")


urlpatterns = [
    path("sleep/<int:seconds>/", sleep),
    path("query/<int:seconds>/", query),
    path("", include("mysite.urls")),
]
