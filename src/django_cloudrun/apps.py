from django.apps import AppConfig


class CloudRunConfig(AppConfig):
    name = "django_cloudrun"
    verbose_name = "Cloud Run"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the cloudrun.* checks)
