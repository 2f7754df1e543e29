from django.apps import AppConfig
from django.conf import settings


class DjangoCloudRunAppConfig(AppConfig):
    name = "django_cloudrun"
    verbose_name = "Cloud Run"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the cloudrun.* checks)

        if getattr(settings, "CLOUDRUN_TRACING_ENABLED", False):
            from . import tracing

            tracing.install()
