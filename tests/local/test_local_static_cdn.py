"""static.mode gcs-cdn under `up`: static files come from the emulated static bucket at
STATIC_URL, with the Cache-Control Cloud CDN would see on each object."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import sync_playwright

from django_cloudrun.static_storage import FOREVER, REVALIDATE
from served import free_port
from test_local_up import CHROMIUM, CHROMIUM_ARGS
from upstack import Up, cli, copy_example, leftovers, remove_copy

pytestmark = pytest.mark.slow

# A load balancer needs the service's ingress restricted to it and a domain for its certificate.
CDN_ENV = """
[environments.cdn]
ingress_settings = "internal-and-cloud-load-balancing"
custom_domains = ["shop.example.com"]

[environments.cdn.static]
mode = "gcs-cdn"
"""
HASHED = re.compile(r"/static/admin/\S+\.[0-9a-f]{12}\.[a-z]+$")


@pytest.fixture(scope="module")
def stack():
    project = copy_example(CDN_ENV)
    up = Up(project, free_port(), "--env", "cdn")
    up.start()
    up.wait_ready()
    yield up
    up.kill()
    remove_copy(project)


def static_responses(stack: Up) -> dict[str, dict[str, str]]:
    """URL -> headers of every static file Chromium fetched on the admin's pages."""
    password = cli(stack.project, "local", "secret", "superuser-password", "--env", "cdn")
    seen: dict[str, dict[str, str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "response",
            lambda r: seen.setdefault(r.url, {"status": str(r.status), **r.all_headers()}),
        )
        page.goto(stack.url + "admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", password.stdout.strip())
        page.click("input[type=submit]")
        page.wait_for_url(stack.url + "admin/")
        page.wait_for_load_state("networkidle")
        browser.close()
    return {url: headers for url, headers in seen.items() if "/static/" in url}


def test_the_browser_gets_hashed_css_and_images_from_static_url_cached_for_a_year(stack):
    responses = static_responses(stack)
    kinds = {url.rsplit(".", 1)[1] for url in responses}
    assert {"css", "svg"} <= kinds, responses.keys()  # stylesheets and the icons they use
    for url, headers in responses.items():
        assert url.startswith(stack.url + "static/admin/"), url
        assert HASHED.search(url), url
        assert headers["status"] == "200", (url, headers)
        assert headers["cache-control"] == FOREVER, (url, headers)


def test_the_manifest_and_unhashed_copies_are_revalidated(stack):
    for path in ("static/staticfiles.json", "static/admin/css/base.css"):
        response = requests.get(stack.url + path, timeout=5)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == REVALIDATE, path
        again = requests.get(
            stack.url + path, headers={"If-None-Match": response.headers["ETag"]}, timeout=5
        )
        assert again.status_code == 304 and again.content == b""


def test_a_missing_static_file_is_404_and_the_rest_reaches_the_web_service(stack):
    assert requests.get(stack.url + "static/missing.css", timeout=5).status_code == 404
    assert requests.get(stack.url + "health/", timeout=5).status_code == 200
    # The web service has no static files of its own in this mode: WhiteNoise is off.
    login = requests.get(stack.url + "admin/login/", timeout=5)
    assert login.status_code == 200 and "/static/admin/css/base." in login.text
    chunked = requests.post(stack.url + "admin/login/", data=iter([b"a=1"]), timeout=5)
    assert chunked.status_code == 411  # the local edge needs a Content-Length


def test_a_second_up_reuses_the_emulated_static_bucket_and_leaves_nothing_behind(stack):
    _, left = stack.stop()
    assert not left
    stack.start()
    stack.wait_ready(timeout=60)
    response = requests.get(stack.url + "static/staticfiles.json", timeout=5)
    assert response.status_code == 200 and "admin/css/base.css" in response.json()["paths"]
    _, left = stack.stop()
    assert not left and not leftovers(stack.project)
