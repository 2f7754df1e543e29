"""The example's settings with persistent connections on its pooled database (cloudrun.E001)."""

from mysite.settings import *  # noqa: F403
from mysite.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
