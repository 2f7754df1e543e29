"""Nothing outside the real MEDIA_ROOT is ever served, whatever links or encodings ask for,
and static and media files are served to the site's own hosts only."""

from __future__ import annotations

import pytest

from faults.production_server import SITE_HEADERS, ask
from pg import EXAMPLE

pytestmark = [pytest.mark.slow, pytest.mark.faults]

HELLO = b"hello from media"
# Words that appear in a file only if something outside the media was served.
SECRETS = (b"PRIVATE-SECRET", b"SIBLING-SECRET", b"root:", b"SECRET_KEY")


@pytest.fixture(scope="module")
def planted(site):
    """Media files, links that stay inside, and links that lead out of the media."""
    media, base = site.media, site.media.parent
    (base / "private").mkdir()
    (base / "private" / "secret.txt").write_text("PRIVATE-SECRET")
    # A sibling whose name starts with the media directory's: a prefix test lets it through.
    (base / "media-private").mkdir()
    (base / "media-private" / "secret.txt").write_text("SIBLING-SECRET")
    (media / "public").mkdir()
    (media / "public" / "hello.txt").write_bytes(HELLO)
    (media / "alias.txt").symlink_to(media / "public" / "hello.txt")
    (media / "public" / "up").symlink_to("..", target_is_directory=True)
    (media / "passwd").symlink_to("/etc/passwd")
    (media / "settings.py").symlink_to(EXAMPLE / "mysite" / "settings.py")
    (media / "outside").symlink_to(base / "private", target_is_directory=True)
    (media / "sibling.txt").symlink_to(base / "media-private" / "secret.txt")
    (media / "relative.txt").symlink_to("../private/secret.txt")
    (media / "loop").symlink_to("loop")
    return site


@pytest.mark.parametrize(
    "path", ["/media/public/hello.txt", "/media/alias.txt", "/media/public/up/public/hello.txt"]
)
def test_files_and_links_inside_the_media_are_served(planted, path):
    answer = ask(planted.server, "GET", path)
    assert (answer.status, answer.body) == (200, HELLO)
    assert answer.headers["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    "path",
    [
        "/media/passwd",
        "/media/settings.py",
        "/media/outside/secret.txt",
        "/media/outside/",
        "/media/sibling.txt",
        "/media/relative.txt",
        "/media/loop",
    ],
)
def test_links_that_lead_out_of_the_media_answer_404(planted, path):
    answer = ask(planted.server, "GET", path)
    assert answer.status == 404
    assert not any(secret in answer.body for secret in SECRETS)


TRAVERSALS = [
    "/media/../private/secret.txt",
    "/media/./../private/secret.txt",
    "/media/public/../../private/secret.txt",
    "/media/../media-private/secret.txt",
    "/media/%2e%2e/private/secret.txt",
    "/media/%2E%2E%2Fprivate%2Fsecret.txt",
    "/media/..%2fprivate%2fsecret.txt",
    "/media/.%2e/private/secret.txt",
    "/media/public%2f..%2f..%2fprivate%2fsecret.txt",
    "/media/public/%2e%2e/%2e%2e/private/secret.txt",
    "/media/%252e%252e%252fprivate%252fsecret.txt",
    "/media/..%5cprivate%5csecret.txt",
    "/media/..\\private\\secret.txt",
    "/media/%c0%ae%c0%ae/private/secret.txt",
    "/media/%e0%80%ae%e0%80%ae/private/secret.txt",
    "/media/%u002e%u002e/private/secret.txt",
    "/media/....//private/secret.txt",
    "/media/..;/private/secret.txt",
    "/media/..%00/private/secret.txt",
    "/media/public/hello.txt%00.png",
    "/media/%00",
    "/media/%2fetc%2fpasswd",
    "/media//etc/passwd",
    "/media/../../../../../../../../etc/passwd",
    "/media/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/media/outside%2fsecret.txt",
    "//media/../private/secret.txt",
    "http://evil.example/media/../private/secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_in_any_encoding_is_refused(planted, target):
    answer = ask(planted.server, "GET", target)
    assert answer.status in (400, 404), (target, answer.status)
    assert not any(secret in answer.body for secret in SECRETS)


FOREIGN_HOSTS = [
    {"Host": "10.0.0.7:8080", "X-Forwarded-Proto": "https"},
    {"Host": "evil.example", "X-Forwarded-Proto": "https"},
    {"X-Forwarded-Proto": "https"},  # no Host at all
]


@pytest.mark.parametrize("path", ["/media/public/hello.txt", "/static/admin/css/base.css"])
def test_static_and_media_are_served_to_the_sites_hosts_only(planted, path):
    assert ask(planted.server, "GET", path, SITE_HEADERS).status == 200
    for headers in FOREIGN_HOSTS:
        answer = ask(planted.server, "GET", path, headers)
        assert answer.status == 400, (headers, answer.status)
