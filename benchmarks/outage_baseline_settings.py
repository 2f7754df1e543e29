"""The example's settings with psycopg_pool's defaults for outages, for benchmarks/outage.py.

No check before a connection is handed out, a 10 s pool timeout, reconnection backoff
doubling up to five minutes, and database errors answered 500 like any other.
"""

from mysite.settings import *  # noqa: F403
from mysite.settings import DATABASES, MIDDLEWARE

DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 10
del DATABASES["default"]["OPTIONS"]["pool"]["reconnect_timeout"]
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("django_cloudrun.unavailable.")]
