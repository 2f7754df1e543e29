"""The example's settings with pages that take their time (faults.sigterm_urls)."""

from mysite.settings import *  # noqa: F403

ROOT_URLCONF = "faults.sigterm_urls"
