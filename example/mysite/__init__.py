# The Celery app is loaded with Django, so tasks sent from views use its broker.
from .celery import app as celery_app

__all__ = ["celery_app"]
