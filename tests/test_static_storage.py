"""static.mode gcs-cdn at runtime: configure() points STATIC_URL and STORAGES at the bucket,
WhiteNoise is off, and each object gets the cache header Cloud CDN honours."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from django_cloudrun import contract
from django_cloudrun.static_storage import FOREVER, REVALIDATE, cache_control
from pg import EXAMPLE, REPO, manage, scratch
from served import free_port
from test_settings_configure import PRODUCTION_ENV, configured

BUCKET = "acme-prod-shop-django-static"
BUCKET_ENV = {**PRODUCTION_ENV, "CLOUDRUN_STATIC_BUCKET": BUCKET}


def test_a_static_bucket_takes_static_files_from_whitenoise():
    settings = configured(BUCKET_ENV)
    assert settings["STATIC_URL"] == "/static/" == contract.STATIC_PATH
    assert settings["STORAGES"]["staticfiles"] == {  # type: ignore[index]
        "BACKEND": "django_cloudrun.static_storage.CdnStaticStorage",
        "OPTIONS": {"bucket_name": "acme-prod-shop-django-static"},
    }
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in settings["MIDDLEWARE"]  # type: ignore[operator]


def test_without_a_static_bucket_whitenoise_serves_them():
    settings = configured(PRODUCTION_ENV)
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (  # type: ignore[index]
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings["MIDDLEWARE"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("css/site.3f2a9c1b7d4e.css", FOREVER),
        ("admin/js/core.0123456789ab.js", FOREVER),
        ("img/logo.abcdefabcdef.svg", FOREVER),
        ("css/site.css", REVALIDATE),
        ("staticfiles.json", REVALIDATE),
        ("css/site.3f2a9c1b7d4.css", REVALIDATE),  # 11 digits: not a hash Django makes
        ("a.3f2a9c1b7d4e/site.css", REVALIDATE),  # a hash-like directory is not the name's
    ],
)
def test_hashed_names_are_cached_for_a_year_and_the_rest_revalidated(name, header):
    assert cache_control(name) == header


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """A GCS emulator with the static bucket, as `up` runs one for media."""
    port = free_port()
    data = tmp_path_factory.mktemp("gcs")
    process = subprocess.Popen(
        [sys.executable, "-m", "gcp_storage_emulator", "--data-dir", str(data), "start",
         "--host", "127.0.0.1", "--port", str(port), "--default-bucket", BUCKET, "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(host, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield host
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def collected(emulator):
    """The example's static files, collected into the bucket as migrate would."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDRUN_", "K_", "DJANGO_"))},
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(EXAMPLE)]),
        "DJANGO_SETTINGS_MODULE": "mysite.settings",
        "CLOUDRUN_STATIC_BUCKET": BUCKET,
        "STORAGE_EMULATOR_HOST": emulator,
        "GOOGLE_CLOUD_PROJECT": "acme-prod",
    }
    result = manage(["collectstatic", "--noinput", "--verbosity", "0"], env)
    assert result.returncode == 0, result.stderr
    client = storage.Client(project="acme-prod", credentials=AnonymousCredentials())
    client._connection.API_BASE_URL = emulator  # the client honours the variable only at import
    blobs = {blob.name: blob for blob in client.list_blobs(BUCKET)}
    return env, blobs


@pytest.mark.slow
def test_collectstatic_writes_hashed_files_under_the_static_path_cached_for_a_year(collected):
    _env, blobs = collected
    hashed = [name for name in blobs if name.startswith("static/admin/css/base.")]
    assert len(hashed) == 2, hashed  # base.css and its hashed copy
    (copy,) = [name for name in hashed if name != "static/admin/css/base.css"]
    assert blobs[copy].cache_control == FOREVER
    assert blobs["static/admin/css/base.css"].cache_control == REVALIDATE
    assert blobs["static/staticfiles.json"].cache_control == REVALIDATE
    assert all(name.startswith("static/") for name in blobs)


@pytest.mark.slow
def test_pages_link_static_files_at_static_url_by_their_hashed_names(collected):
    env, blobs = collected
    code = "from django.templatetags.static import static; print(static('admin/css/base.css'))"
    result = manage(["shell", "-c", code], {**env, "DJANGO_DEBUG": "0"})  # as in production
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("/static/admin/css/base.") and url != "/static/admin/css/base.css"
    assert url.removeprefix("/") in blobs  # the load balancer maps the path to this object


@pytest.mark.slow
def test_migrate_collects_into_the_bucket_even_when_the_image_holds_the_files(emulator):
    client = storage.Client(project="acme-prod", credentials=AnonymousCredentials())
    client._connection.API_BASE_URL = emulator
    bucket = client.create_bucket("acme-prod-shop-django-static-2")
    with scratch() as space:
        env = space.env(
            CLOUDRUN_STATIC_COLLECTED="1",  # the image's Dockerfile sets it
            CLOUDRUN_STATIC_BUCKET=bucket.name,
            STORAGE_EMULATOR_HOST=emulator,
            GOOGLE_CLOUD_PROJECT="acme-prod",
        )
        for job in ("cloudrun_db_init", "cloudrun_migrate"):
            result = manage([job, "--verbosity", "0"], env)
            assert result.returncode == 0, result.stderr
    names = {blob.name for blob in client.list_blobs(bucket.name)}
    assert "static/staticfiles.json" in names
    assert "static/admin/css/base.css" in names
