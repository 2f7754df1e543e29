"""A Celery app configured as a project configures it, for the worker tests.

Each test gives it a queue of its own (WORKER_TEST_QUEUE), so tests sharing this machine's
Redis never take each other's tasks. Every run of `record` is appended to a Redis list, so a
test counts how many times a task really ran.
"""

import logging
import logging.config
import os
import time

import redis
from celery import Celery

import django_cloudrun.celery
from django_cloudrun.logs import logging_config

# This machine's Redis, which the tests use as the broker.
BROKER = "redis://127.0.0.1:6379/0"
os.environ.setdefault("CELERY_BROKER_URL", BROKER)

logging.config.dictConfig(logging_config(json=True))
logger = logging.getLogger("worker_app")

app = Celery("worker_app")
django_cloudrun.celery.configure(app)
app.conf.task_default_queue = os.environ.get("WORKER_TEST_QUEUE", "celery")


def _runs():
    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


@app.task(name="worker_app.add")
def add(a, b):
    return a + b


@app.task(name="worker_app.record")
def record(key, seconds):
    """Note the start, sleep ``seconds``, note the end: the list shows every run."""
    runs = _runs()
    runs.rpush(key, "start")
    time.sleep(seconds)
    runs.rpush(key, "done")
    return "done"


@app.task(name="worker_app.log_line")
def log_line(text):
    logger.info(text)
    return text
