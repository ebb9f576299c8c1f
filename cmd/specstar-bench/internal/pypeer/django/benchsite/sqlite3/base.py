"""Django's SQLite backend with writes that take the write lock at BEGIN.

Django 3.2 starts a transaction with a plain (deferred) BEGIN. With several
gunicorn workers writing one file, a transaction that read first and then
writes cannot wait for the lock (SQLite answers "database is locked" at once
instead of calling the busy handler, to avoid a deadlock). BEGIN IMMEDIATE
takes the lock up front, so writers queue on the busy timeout instead. This
is the usual fix on Django before 5.1, which has the same as the
"transaction_mode": "IMMEDIATE" option; reads run outside transactions
(autocommit) and are not affected.
"""
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        self.cursor().execute("BEGIN IMMEDIATE")
