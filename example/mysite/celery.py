"""The project's Celery app: `python -m django_cloudrun.worker` runs it (`celery -A mysite`)."""

import os

from celery import Celery

import django_cloudrun.celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

app = Celery("mysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
django_cloudrun.celery.configure(app)
app.autodiscover_tasks()
