"""Media files served from the FUSE mount path: sandboxed, confined to MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.core.exceptions import MiddlewareNotUsed, SuspiciousFileOperation
from django.http import Http404, HttpResponse
from django.test import RequestFactory, override_settings

from django_cloudrun.media import MediaFilesMiddleware


def passthrough(request):
    return HttpResponse("the application")


@pytest.fixture
def media_root(tmp_path):
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path.parent / "outside.txt").write_text("not media")
    return tmp_path


@pytest.mark.parametrize("media_url", ["/media/", "media/"])
def test_an_uploaded_file_is_served_sandboxed(media_root, media_url):
    with override_settings(MEDIA_ROOT=str(media_root), MEDIA_URL=media_url):
        middleware = MediaFilesMiddleware(passthrough)
        response = middleware(RequestFactory().get("/media/attachments/page.html"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_other_paths_reach_the_application(media_root):
    with override_settings(MEDIA_ROOT=str(media_root), MEDIA_URL="/media/"):
        response = MediaFilesMiddleware(passthrough)(RequestFactory().get("/admin/"))
    assert response.content == b"the application"


def test_paths_outside_media_root_are_not_served(media_root):
    with override_settings(MEDIA_ROOT=str(media_root), MEDIA_URL="/media/"):
        middleware = MediaFilesMiddleware(passthrough)
        # Django's handler answers 400 Bad Request to this exception.
        with pytest.raises(SuspiciousFileOperation):
            middleware(RequestFactory().get("/media/../outside.txt"))
        with pytest.raises(Http404):
            middleware(RequestFactory().get("/media/attachments/missing.txt"))


def test_only_reads_are_allowed(media_root):
    with override_settings(MEDIA_ROOT=str(media_root), MEDIA_URL="/media/"):
        response = MediaFilesMiddleware(passthrough)(
            RequestFactory().post("/media/attachments/page.html")
        )
    assert response.status_code == 405


def test_media_on_another_host_are_left_to_it(media_root):
    elsewhere = override_settings(
        MEDIA_ROOT=str(media_root), MEDIA_URL="https://cdn.example.com/m/"
    )
    with elsewhere, pytest.raises(MiddlewareNotUsed):
        MediaFilesMiddleware(passthrough)


def test_links_out_of_media_root_are_not_served_but_links_within_are(media_root):
    (media_root / "inside.html").symlink_to(media_root / "attachments" / "page.html")
    (media_root / "outside.txt").symlink_to(media_root.parent / "outside.txt")
    (media_root / "elsewhere").symlink_to(media_root.parent, target_is_directory=True)
    with override_settings(MEDIA_ROOT=str(media_root), MEDIA_URL="/media/"):
        middleware = MediaFilesMiddleware(passthrough)
        assert middleware(RequestFactory().get("/media/inside.html")).status_code == 200
        for path in ("/media/outside.txt", "/media/elsewhere/outside.txt", "/media/a%00b"):
            with pytest.raises(Http404):
                middleware(RequestFactory().get(path))


def test_a_media_root_that_is_a_link_serves_the_files_it_leads_to(media_root, tmp_path_factory):
    link = tmp_path_factory.mktemp("link") / "media"
    link.symlink_to(media_root, target_is_directory=True)
    with override_settings(MEDIA_ROOT=str(link), MEDIA_URL="/media/"):
        response = MediaFilesMiddleware(passthrough)(
            RequestFactory().get("/media/attachments/page.html")
        )
    assert response.status_code == 200
