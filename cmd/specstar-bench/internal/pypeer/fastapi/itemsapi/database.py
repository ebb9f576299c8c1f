"""The SQLAlchemy engine and sessions, set up as FastAPI's SQL tutorial does
(one session per request through a dependency), with a connection pool on
both databases.

The database comes from BENCH_DATABASE_URL: "sqlite:<path>" or a
postgres:// URL.
"""
import os

from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def make_engine(url):
    if url.startswith("sqlite:"):
        return sqlite_engine(url[len("sqlite:"):])
    # SQLAlchemy 1.4 knows PostgreSQL as "postgresql"; the default pool is a
    # QueuePool of 5 connections (and 10 more under load) per worker.
    url = "postgresql+psycopg2://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=False, future=True)


def sqlite_engine(path):
    # A pool instead of SQLAlchemy 1.4's default for files (a new connection
    # per checkout). check_same_thread off: FastAPI runs the endpoints in a
    # thread pool, and the session hands a connection to one thread at a
    # time.
    engine = create_engine(
        "sqlite:///" + path,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": 5},
        future=True,
    )

    # SQLAlchemy's recipe for SQLite transactions: pysqlite's own BEGIN is
    # turned off and the engine emits it. Writers use BEGIN IMMEDIATE, so
    # that they wait for the write lock on the busy timeout instead of
    # failing ("database is locked") when a transaction that read first
    # tries to write; reads run without a transaction (autocommit), as
    # pysqlite runs them.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL and synchronous=NORMAL, as the generated server and PocketBase
        # use: readers do not wait for writers, and a commit does not wait
        # for fsync of the WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if conn.get_execution_options().get("sqlite_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


engine = make_engine(os.environ.get("BENCH_DATABASE_URL", "sqlite:items.db"))
SessionLocal = sessionmaker(bind=engine, future=True, expire_on_commit=False)
# Sessions for writes: the same pool, with BEGIN IMMEDIATE on SQLite.
WriteSession = sessionmaker(
    bind=engine.execution_options(sqlite_write=True), future=True, expire_on_commit=False
)


def get_db():
    with SessionLocal() as db:
        yield db


def get_write_db():
    with WriteSession() as db:
        yield db
