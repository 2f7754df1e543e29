"""Media on this machine: a directory for media.mode fuse, a GCS emulator for mode api.

fuse: Cloud Run mounts the bucket at mount_path; locally a persistent directory
(.cloudrun/local/media) plays the mount, and MEDIA_ROOT points at it.
api: django-storages talks to a local Cloud Storage emulator (pip gcp-storage-emulator)
keeping its objects under .cloudrun/local/storage, with the bucket created and
STORAGE_EMULATOR_HOST set. Signed URLs need a key to sign with; a throwaway service-account
key, generated once, plays the service's identity (the emulator does not check signatures).
static.mode gcs-cdn: the same emulator holds the static bucket, which migrate's collectstatic
fills and the local edge (edge.py) serves at STATIC_PATH.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .. import contract
from ..config import CloudRunConfig, names
from .errors import LocalError
from .layout import LOCAL_PROJECT, Layout
from .processes import Proc, spawn, tail

__all__ = ["Media", "bucket_name", "free_port", "prepare_media", "static_bucket_name"]

EMULATOR_HINT = (
    "media.mode api and static.mode gcs-cdn need the GCS emulator: "
    "pip install 'django-cloudrun[local]'"
)
READY_TIMEOUT = 20.0


@dataclass
class Media:
    bucket: str = ""
    values: dict[str, str] = field(default_factory=dict)  # local values of contract names
    extra: dict[str, str] = field(default_factory=dict)  # emulator settings
    proc: Proc | None = None
    directory: str = ""
    static_bucket: str = ""  # static.mode gcs-cdn: the bucket collectstatic fills

    @property
    def emulator(self) -> str:
        """The emulator's URL (STORAGE_EMULATOR_HOST); empty when none runs for `up`."""
        return self.extra.get(contract.STORAGE_EMULATOR_HOST.name, "")

    def describe(self, config: CloudRunConfig) -> str:
        where = (
            f"{self.directory} (plays {config.media.mount_path})"
            if config.media.mode == "fuse"
            else f"bucket {self.bucket} on {self.emulator}"
        )
        if self.static_bucket:
            where += f"; static bucket {self.static_bucket} on {self.emulator}"
        return where


def bucket_name(config: CloudRunConfig) -> str:
    """The bucket's name as the cloud would have it."""
    return names.bucket_name(
        config.project_id or LOCAL_PROJECT, config.service_name, config.media.bucket_suffix
    )


def static_bucket_name(config: CloudRunConfig) -> str:
    """The static bucket's name as the cloud would have it (static.mode gcs-cdn)."""
    return names.bucket_name(
        config.project_id or LOCAL_PROJECT, config.service_name, config.static.bucket_suffix
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_media(layout: Layout, config: CloudRunConfig, *, start: bool = True) -> Media:
    """The media directory (fuse) or bucket (api), and the emulator with its buckets when
    media.mode api or static.mode gcs-cdn needs one."""
    media = _media_directory(layout) if config.media.mode == "fuse" else Media()
    static = config.static.mode == "gcs-cdn"
    if config.media.mode == "fuse" and not static:
        return media
    if importlib.util.find_spec("gcp_storage_emulator") is None:
        raise LocalError(EMULATOR_HINT)
    buckets = []
    if config.media.mode == "api":
        media.bucket = bucket_name(config)
        media.extra[contract.GOOGLE_APPLICATION_CREDENTIALS.name] = str(_signer(layout))
        buckets.append(media.bucket)
    if static:
        media.static_bucket = static_bucket_name(config)
        buckets.append(media.static_bucket)
    if start:
        port = _emulator_port(layout)
        media.proc = _start_emulator(layout, port, buckets)
        media.extra[contract.STORAGE_EMULATOR_HOST.name] = f"http://127.0.0.1:{port}"
    return media


def _media_directory(layout: Layout) -> Media:
    layout.media.mkdir(parents=True, exist_ok=True)
    directory = str(layout.media)
    return Media(values={contract.MEDIA_ROOT.name: directory}, directory=directory)


def _emulator_port(layout: Layout) -> int:
    """The port of the previous emulator when it is free, else a new one, recorded.

    The emulator stores each object's download link (mediaLink) with its host and port, and
    the storage client downloads through that link: objects written by an earlier `up` are
    readable only on the same port.
    """
    recorded = layout.storage / "port"
    try:
        port = int(recorded.read_text())
        with socket.socket() as sock:
            # As the emulator binds it: connections of the last one may linger in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
    except (OSError, ValueError):
        port = free_port()
    layout.storage.mkdir(parents=True, exist_ok=True)
    recorded.write_text(f"{port}\n")
    return port


def _start_emulator(layout: Layout, port: int, buckets: list[str]) -> Proc:
    layout.storage.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "gcp_storage_emulator", "--data-dir", str(layout.storage),
        "start", "--host", "127.0.0.1", "--port", str(port), "--default-bucket", buckets[0], "-q",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    proc = spawn("storage", argv, env=env, cwd=layout.root, log_path=layout.log("storage"))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not proc.running():
            raise LocalError(
                f"the GCS emulator exited with code {proc.returncode}; see {proc.log_path}",
                detail=tail(proc.log_path),
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.stop(5)
        raise LocalError(f"the GCS emulator did not answer within {READY_TIMEOUT:.0f} s")
    for bucket in buckets[1:]:
        _create_bucket(port, bucket)
    return proc


def _create_bucket(port: int, bucket: str) -> None:
    """A bucket besides the default one; kept from an earlier `up` if it exists already."""
    # https://cloud.google.com/storage/docs/json_api/v1/buckets/insert
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/storage/v1/b?project={LOCAL_PROJECT}",
        data=json.dumps({"name": bucket}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5):
            return
    except urllib.error.HTTPError as error:
        if error.code != 409:  # 409 Conflict: it exists
            raise LocalError(f"the GCS emulator refused bucket {bucket}: {error}") from None


def _signer(layout: Layout) -> Path:
    """A service-account key file made here, so signed URLs can be signed offline."""
    path = layout.storage / "signer.json"
    if path.exists():
        return path
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "local",
        "private_key_id": "local",
        "private_key": pem,
        "client_email": "django-cloudrun-local@local.iam.gserviceaccount.com",
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle)
    return path
