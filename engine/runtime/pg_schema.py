"""The PostgreSQL state store's schema: versioned migrations, applied only by ``passerelle db upgrade``.

Every table lives in the ``passerelle`` schema of the database the ``state:`` URL names, and every
row carries the project's identity (``project``, :func:`engine.runtime.store_open.project_id`). The
migrations below are applied in order, each in its own transaction with its row in
``passerelle.schema_version``; ``db upgrade`` holds an advisory lock meanwhile, so two upgrades
started at once apply each version once. Opening a store never migrates: a database without the
schema, or at an older version, is refused with "run ``passerelle db upgrade``"; a database at a
newer version than this engine knows is refused too (a newer Passerelle wrote it).

To add a table or a column: append a migration (never edit an applied one), bump nothing else —
``LATEST`` follows the list. psycopg (the ``cluster`` extra) is imported only here and in
:mod:`engine.runtime.pg_store`, when a ``postgresql://`` state is used.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import OperatorError
from engine.spec.env import scrub
from engine.util.urls import mask_userinfo

SCHEMA = "passerelle"
UPGRADE_LOCK = 0x7061737365726C  # the advisory lock `db upgrade` holds ("passerl")
PROJECT_TABLES = ("cursors", "ledger", "tokens", "acks", "xref", "items", "leases")


def isolated(*tables: str) -> str:
    """Row-level security on ``tables``: a connection sees and writes only its project's rows."""
    return "".join(f"""
        ALTER TABLE passerelle.{table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE passerelle.{table} FORCE ROW LEVEL SECURITY;
        CREATE POLICY one_project ON passerelle.{table}
            USING (project = current_setting('passerelle.project', true))
            WITH CHECK (project = current_setting('passerelle.project', true));
    """ for table in tables)


MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "ledger, cursors, tokens, acknowledgements, cross-references, items, leases", """
        CREATE TABLE passerelle.cursors (
            project TEXT NOT NULL, flow TEXT NOT NULL, value TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project, flow));
        CREATE TABLE passerelle.ledger (
            project TEXT NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, payload_hash TEXT,
            target_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, loc TEXT, payload TEXT,
            updated_at DOUBLE PRECISION NOT NULL, record TEXT, target_with TEXT,
            PRIMARY KEY (project, flow, key));
        CREATE INDEX ledger_status ON passerelle.ledger (project, flow, status, updated_at);
        CREATE TABLE passerelle.tokens (
            project TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project, name));
        CREATE TABLE passerelle.acks (
            project TEXT NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL, ack TEXT NOT NULL, target_id TEXT,
            confirmed INTEGER NOT NULL DEFAULT 0, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,
            updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (project, flow, key, ack));
        CREATE TABLE passerelle.xref (
            project TEXT NOT NULL, source_system TEXT NOT NULL, type TEXT NOT NULL, source_id TEXT NOT NULL,
            target_system TEXT NOT NULL, target_id TEXT NOT NULL, flow TEXT NOT NULL, how TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project, source_system, type, source_id, target_system));
        CREATE INDEX xref_reverse ON passerelle.xref (project, source_system, type, target_id);
        CREATE TABLE passerelle.items (
            project TEXT NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL, parent TEXT NOT NULL,
            PRIMARY KEY (project, flow, key));
        CREATE INDEX items_parent ON passerelle.items (project, flow, parent);
        CREATE TABLE passerelle.leases (
            project TEXT NOT NULL, name TEXT NOT NULL, holder TEXT NOT NULL, backend INTEGER NOT NULL,
            since TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (project, name));
    """),
    (2, "row-level security: a connection sees only its project's rows", isolated(*PROJECT_TABLES)),
    (3, "run history (runs), the index of the ledger's rows with a reason", """
        CREATE TABLE passerelle.runs (
            project TEXT NOT NULL, flow TEXT NOT NULL, kind TEXT NOT NULL, started DOUBLE PRECISION NOT NULL,
            ended DOUBLE PRECISION NOT NULL, plan_version TEXT, outcome TEXT NOT NULL, error TEXT,
            read INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, acked INTEGER NOT NULL DEFAULT 0,
            ack_failed INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,
            found INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX runs_flow ON passerelle.runs (project, flow, ended);
        CREATE INDEX ledger_reasons ON passerelle.ledger (project, flow, status) WHERE reason IS NOT NULL;
    """ + isolated("runs")),
    (4, "the webhook event queue (webhook_events) and the last change processed per record (webhook_keys)", """
        CREATE TABLE passerelle.webhook_events (
            project TEXT NOT NULL, id TEXT NOT NULL, flow TEXT NOT NULL, delivery TEXT NOT NULL, topic TEXT NOT NULL,
            body TEXT, sent_at DOUBLE PRECISION, received_at DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, updated_at DOUBLE PRECISION NOT NULL, taken_by INTEGER,
            PRIMARY KEY (project, id), UNIQUE (project, flow, delivery));
        CREATE INDEX webhook_events_queue ON passerelle.webhook_events (project, flow, received_at)
            WHERE status = 'queued';
        CREATE INDEX webhook_events_settled ON passerelle.webhook_events (project, updated_at)
            WHERE status <> 'queued';
        CREATE TABLE passerelle.webhook_keys (
            project TEXT NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL, changed DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (project, flow, key));
    """ + isolated("webhook_events", "webhook_keys")),
]
LATEST = MIGRATIONS[-1][0]


def masked(url: str) -> str:
    """The URL as shown: no user info (a password), nothing secret."""
    return scrub(mask_userinfo(url))


def connect(url: str, project: str | None = None) -> Any:
    """An autocommit psycopg connection (``project``: the setting row-level security reads);
    OperatorError, never the password, when psycopg is missing or the server cannot be reached."""
    try:
        import psycopg
    except ImportError:
        raise OperatorError("a postgresql:// state needs psycopg 3, in the `cluster` extra: "
                            "pip install 'passerelle[cluster]'") from None
    try:
        connection = psycopg.connect(url, autocommit=True, application_name="passerelle", connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(url, exc) from None
    if project is not None:
        connection.execute("SELECT set_config('passerelle.project', %s, false)", (project,))
    return connection


def execute(connection: Any, lock: Any, url: str, sql: str, args: tuple = ()) -> list:
    """One statement on ``connection`` (autocommit) under ``lock``: its rows; a StoreError when it fails."""
    with lock:
        try:
            cursor = connection.execute(sql, args)
            return cursor.fetchall() if cursor.description else []
        except psycopg_error() as exc:
            raise StoreError(url, exc) from None


def psycopg_error() -> type[Exception]:
    """psycopg's base error class (psycopg is imported only once a PostgreSQL state is used)."""
    import psycopg

    return psycopg.Error


class StoreError(OperatorError):
    """The PostgreSQL state cannot be used (unreachable, refused, not migrated); the URL is masked."""

    code = "state"

    def __init__(self, url: str, exc: BaseException | str, hint: str | None = None):
        text = exc if isinstance(exc, str) else (str(exc).strip() or type(exc).__name__)
        if hint is None and not isinstance(exc, str):
            hint = ("check that the server runs and the URL (host, port, database, user) is right"
                    if "connect" in text or "closed" in text else "check the server's log")
        super().__init__(scrub(f"state database {masked(url)}: {mask_userinfo(text)}"
                               + (f"\n  hint: {hint}" if hint else "")))


def version(connection: Any) -> int | None:
    """The schema version of the database (None: no Passerelle schema at all)."""
    found = connection.execute("SELECT to_regclass('passerelle.schema_version')").fetchone()[0]
    if found is None:
        return None
    row = connection.execute("SELECT max(version) FROM passerelle.schema_version").fetchone()
    return row[0] or 0


def check(connection: Any, url: str) -> None:
    """Refuse a database this engine cannot use as it is: not migrated, older or newer."""
    have = version(connection)
    upgrade = f"run `passerelle db upgrade --state {masked(url)}` (or `passerelle db upgrade PROJECT`)"
    if have is None:
        raise StoreError(url, "holds no Passerelle state schema yet", upgrade)
    if have < LATEST:
        raise StoreError(url, f"its state schema is at version {have}, this Passerelle needs {LATEST}", upgrade)
    if have > LATEST:
        raise StoreError(url, f"its state schema is at version {have}, newer than this Passerelle knows "
                              f"({LATEST}): a newer Passerelle upgraded it", "run that newer Passerelle here too")


def upgrade(connection: Any, url: str, say: Callable[[str], None] = lambda text: None) -> list[int]:
    """Apply the missing migrations in order (each in one transaction); the versions applied."""
    connection.execute("SELECT pg_advisory_lock(%s)", (UPGRADE_LOCK,))  # two upgrades at once: one by one
    try:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        connection.execute("CREATE TABLE IF NOT EXISTS passerelle.schema_version (version INTEGER PRIMARY KEY, "
                           "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        have = version(connection) or 0
        if have > LATEST:
            check(connection, url)
        applied = []
        for number, description, sql in MIGRATIONS:
            if number <= have:
                continue
            with connection.transaction():
                connection.execute(sql)
                connection.execute("INSERT INTO passerelle.schema_version (version, description) VALUES (%s, %s)",
                                   (number, description))
            applied.append(number)
            say(f"applied {number}: {description}")
        return applied
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (UPGRADE_LOCK,))


def status(connection: Any) -> tuple[int | None, list[tuple[int, str, Any]]]:
    """(the database's version, the migrations applied: number, description, when)."""
    have = version(connection)
    if have is None:
        return None, []
    rows = connection.execute("SELECT version, description, applied_at FROM passerelle.schema_version "
                              "ORDER BY version").fetchall()
    return have, [tuple(row) for row in rows]


__all__ = ["LATEST", "MIGRATIONS", "StoreError", "check", "connect", "execute", "isolated", "masked", "psycopg_error",
           "status", "upgrade", "version"]
