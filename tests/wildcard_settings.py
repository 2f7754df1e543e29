"""The example's settings with ALLOWED_HOSTS forced to "*" after configure()."""

from mysite.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
