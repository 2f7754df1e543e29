"""Static files in a Cloud Storage bucket served by Cloud CDN (static.mode = "gcs-cdn").

migrate's collectstatic writes them under STATIC_PATH in the bucket with hashed names and a
manifest (Django's ManifestFilesMixin); the load balancer sends STATIC_PATH to the bucket,
so a file's URL is the site's own, STATIC_URL plus its hashed name. A hashed name never
changes content, so it is cached for a year; the manifest and the unhashed copies are
revalidated on every use.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.utils.encoding import filepath_to_uri
from storages.backends.gcloud import GoogleCloudStorage

from . import contract

__all__ = ["FOREVER", "REVALIDATE", "CdnStaticStorage", "cache_control"]

# HashedFilesMixin names a file NAME.<first 12 hex digits of its MD5>.EXT.
_HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")
FOREVER = "public, max-age=31536000, immutable"  # a year, the longest Cloud CDN honours
REVALIDATE = "public, max-age=0, must-revalidate"


def cache_control(name: str) -> str:
    """Cache-Control of the object `name`: a year when its name carries its hash."""
    return FOREVER if _HASHED.search(name) else REVALIDATE


class _SiteUrls(GoogleCloudStorage):
    """Objects under STATIC_PATH whose URLs are the site's STATIC_URL, not the bucket's."""

    def __init__(self, **options: Any) -> None:
        defaults = {
            "location": contract.STATIC_PATH.strip("/"),
            "default_acl": None,  # readable by IAM on the bucket; objects never get ACLs
            "querystring_auth": False,
            "file_overwrite": True,
        }
        super().__init__(**{**defaults, **options})

    def url(self, name: str, parameters: Any = None) -> str:
        return urljoin(settings.STATIC_URL, filepath_to_uri(name))

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        return {**super().get_object_parameters(name), "cache_control": cache_control(name)}


class CdnStaticStorage(ManifestFilesMixin, _SiteUrls):
    """Hashed names and a manifest, in the static bucket."""
