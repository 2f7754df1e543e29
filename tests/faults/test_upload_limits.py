"""Bodies over the limit (32 MiB, Cloud Run's own for HTTP/1) are refused before they are
read, so anonymous uploads cannot fill /tmp, which is the instance's memory on Cloud Run."""

from __future__ import annotations

import time

import pytest

from faults.uploads import MB, MIB, TmpWatch, chunked_upload, concurrent_uploads, upload

pytestmark = [pytest.mark.slow, pytest.mark.faults]

UPLOADS = 10
UPLOAD_SIZE = 50 * MB
LIMIT = 32 * MIB


def test_ten_50_mb_uploads_get_413_and_spool_nothing(site):
    start = time.monotonic()
    with TmpWatch(site.server, site.tmp) as watch:
        statuses = concurrent_uploads(site.server, UPLOADS, UPLOAD_SIZE)
    seconds = time.monotonic() - start
    print(
        f"\n{UPLOADS} uploads of {UPLOAD_SIZE // MB} MB: statuses {statuses}, "
        f"/tmp grew by at most {watch.peak} bytes, {seconds:.2f} s"
    )
    assert statuses == [413] * UPLOADS
    assert watch.peak < MIB
    assert seconds < 20


def test_a_body_within_the_limit_is_not_refused(site):
    # The login form refuses it for want of a CSRF token, not for its size.
    assert upload(site.server, 1 * MIB) == 403


def test_a_chunked_body_is_read_no_further_than_the_limit(site):
    with TmpWatch(site.server, site.tmp) as watch:
        assert chunked_upload(site.server, 40 * MIB) == 413
    print(f"\na chunked body of 40 MiB: /tmp grew by at most {watch.peak} bytes")
    assert watch.peak <= LIMIT
    assert chunked_upload(site.server, 1 * MIB) == 403
