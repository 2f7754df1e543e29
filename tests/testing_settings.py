"""Settings for the test run: the example project, against this machine's PostgreSQL.

Each run gets databases of its own (the pid is in the name) so runs never collide.
"""

import os

os.environ.setdefault("DB_HOST", "/var/run/postgresql")
os.environ.setdefault("DB_USER", "postgres")
os.environ.setdefault("DB_NAME", f"example_{os.getpid()}")
os.environ.setdefault("CLOUDRUN_LOG_FORMAT", "text")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")  # this machine's Redis

from mysite.settings import *  # noqa: F403
