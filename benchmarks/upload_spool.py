"""What concurrent large uploads spool to the server's temporary directory.

Sends UPLOADS multipart bodies of SIZE MB at once to the example's login page (anonymous,
as anyone could) and samples the server's TMPDIR meanwhile: the files in it and the removed
ones its processes still hold open. Django spools each file part over 2.5 MB there, and on
Cloud Run /tmp is the instance's memory. Two servers are measured in the same run: one whose
body limit lies above SIZE (what any body size could do before the limit), and one with the
default limit (32 MiB, Cloud Run's own for HTTP/1 requests).

    python benchmarks/upload_spool.py [--uploads 10] [--size-mb 50]

Needs the PostgreSQL server the tests use (socket in /var/run/postgresql, trust auth).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from django_cloudrun import contract
from faults.production_server import migrated_database, production_server
from faults.uploads import MB, TmpWatch, concurrent_uploads


def measure(env: dict[str, str], limit: int, uploads: int, size: int) -> str:
    with tempfile.TemporaryDirectory(prefix="upload-spool-") as tmp:
        extra = {"TMPDIR": tmp, contract.CLOUDRUN_MAX_REQUEST_BODY.name: str(limit)}
        with production_server(env, **extra) as server:
            start = time.monotonic()
            with TmpWatch(server, Path(tmp)) as watch:
                statuses = concurrent_uploads(server, uploads, size)
            seconds = time.monotonic() - start
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    return f"peak /tmp growth {watch.peak / MB:7.1f} MB  answers {counts}  {seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--size-mb", type=int, default=50)
    args = parser.parse_args()
    size = args.size_mb * MB
    limits = {
        "limit above the body": 2 * size,
        "default limit": contract.MAX_REQUEST_BODY_BYTES,
    }
    print(f"{args.uploads} concurrent multipart uploads of {args.size_mb} MB to /admin/login/")
    with (
        tempfile.TemporaryDirectory(prefix="upload-spool-static-") as static,
        migrated_database(Path(static)) as env,
    ):
        for name, limit in limits.items():
            print(f"  {name:21} ({limit:>10} bytes): {measure(env, limit, args.uploads, size)}")


if __name__ == "__main__":
    main()
