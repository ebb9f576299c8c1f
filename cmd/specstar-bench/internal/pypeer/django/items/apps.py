from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        connection_created.connect(sqlite_pragmas)


def sqlite_pragmas(sender, connection, **kwargs):
    """WAL and synchronous=NORMAL on every SQLite connection, as the
    generated server and PocketBase use: readers do not wait for writers,
    and a commit does not wait for fsync of the WAL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
