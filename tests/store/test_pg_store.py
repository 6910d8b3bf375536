"""What only the PostgreSQL state store has: migrations applied by `passerelle db upgrade` and never at
start-up, per-project isolation (statements and row-level security), advisory-lock leases and record
claims between processes, the URL's password never shown. Against a real PostgreSQL the tests start."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from engine.errors import OperatorError
from engine.runtime import pg_schema
from engine.runtime.lease import Busy
from engine.runtime.pg_store import PostgresStore
from engine.runtime.state import DONE, FAILED, PENDING, RecordClaimed
from engine.runtime.xref_store import Pair
from support import ROOT, run_cli


@pytest.fixture
def empty_database(pg_state_cluster, request):
    return pg_state_cluster.create_database("empty_" + request.node.name[-40:].lower().replace("[", "_").strip("]"))


def test_a_database_not_upgraded_is_refused_with_the_command_to_run(empty_database):
    with pytest.raises(OperatorError) as refused:
        PostgresStore(empty_database, "acme")
    text = str(refused.value)
    assert "holds no Passerelle state schema yet" in text and "run `passerelle db upgrade --state postgresql://" in text
    connection = pg_schema.connect(empty_database)
    assert pg_schema.version(connection) is None  # opening created nothing
    connection.close()


def test_an_older_and_a_newer_schema_are_refused(empty_database):
    connection = pg_schema.connect(empty_database)
    pg_schema.upgrade(connection, empty_database)
    connection.execute("DELETE FROM passerelle.schema_version WHERE version = %s", (pg_schema.LATEST,))
    with pytest.raises(OperatorError, match=f"at version {pg_schema.LATEST - 1}, this Passerelle needs"):
        PostgresStore(empty_database, "acme")
    connection.execute("INSERT INTO passerelle.schema_version (version, description) VALUES (%s, 'later'), "
                       "(%s, 'later still')", (pg_schema.LATEST, pg_schema.LATEST + 1))
    with pytest.raises(OperatorError, match="newer than this Passerelle knows"):
        PostgresStore(empty_database, "acme")
    with pytest.raises(OperatorError, match="newer than this Passerelle knows"):
        pg_schema.upgrade(connection, empty_database)
    connection.close()


def test_db_upgrade_applies_each_version_once_and_prints_them(empty_database):
    code, out, err = run_cli(["db", "status", "--state", empty_database], ROOT)
    assert code == 2 and "no Passerelle schema" in err and "(not applied)" in out
    code, out, err = run_cli(["db", "upgrade", "--state", empty_database], ROOT)
    assert code == 0, err
    assert [line.split(":")[0] for line in out.splitlines()] == [f"applied {n}" for n, _, _ in pg_schema.MIGRATIONS]
    code, out, err = run_cli(["db", "upgrade", "--state", empty_database], ROOT)
    assert code == 0 and out == "" and "nothing applied" in err
    code, out, err = run_cli(["db", "status", "--state", empty_database], ROOT)
    assert code == 0 and f"schema version {pg_schema.LATEST}" in err and "not applied" not in out
    PostgresStore(empty_database, "acme").close()


def test_concurrent_upgrades_apply_each_migration_once(empty_database):
    applied: list[list[int]] = []

    def upgrade():
        connection = pg_schema.connect(empty_database)
        applied.append(pg_schema.upgrade(connection, empty_database))
        connection.close()

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(number for numbers in applied for number in numbers) == [n for n, _, _ in pg_schema.MIGRATIONS]


def test_the_password_of_the_url_is_never_shown(pg_state_cluster, pg_database):
    admin = pg_schema.connect(pg_database)
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'bob'").fetchone() is None:
        admin.execute("CREATE ROLE bob LOGIN PASSWORD 'S3cret-pw-991'")
    admin.close()
    wrong = pg_state_cluster.url("no_such_db", user="bob", password="S3cret-pw-991")
    code, out, err = run_cli(["db", "status", "--state", wrong], ROOT)
    assert code == 1 and "error[state] state database postgresql://***@127.0.0.1" in err
    assert "S3cret-pw-991" not in out + err and "bob" not in err.split("hint")[0].split("://")[1]


def test_projects_of_one_database_never_see_each_others_records(pg_database):
    acme, other = PostgresStore(pg_database, "acme-iso"), PostgresStore(pg_database, "other-iso")
    try:
        acme.intend("orders", "1", "{}", '{"id": 1}')
        acme.settle("orders", "1", "BC1", DONE, pair=Pair("shop", "orders", "1", "sage", "orders"),
                    ack=("shop.note", None))
        acme.failed("orders", "2", "bad", None, '{"x": 1}')
        acme.set_cursor("orders", "9")
        acme.removals().keep_children("orders", {"1": {"1-a"}}, [])
        assert other.entry("orders", "1") is None and other.entries() == [] and other.counts("orders") == {}
        assert other.keys("orders", FAILED) == [] and other.xrefs() == [] and other.get_cursor("orders") is None
        assert other.ack_states("orders", "1") == {} and other.removals().children("orders", ["1"]) == {}
        other.settle("orders", "2", "STOLEN", DONE)  # a replay in the other project touches nothing here
        other.note("orders", "2", "noted")
        assert acme.entry("orders", "2").status == FAILED and acme.entry("orders", "2").reason == "bad"
        with acme.lease("flow-orders", "flow"):
            other.lease("flow-orders", "flow").release()  # leases are per project too
    finally:
        acme.close()
        other.close()


def test_row_level_security_confines_a_plain_role_to_its_project(pg_state_cluster, pg_database):
    admin = pg_schema.connect(pg_database)
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'worker'").fetchone() is None:  # roles are per cluster
        admin.execute("CREATE ROLE worker LOGIN PASSWORD 'w'")  # neither superuser nor owner: RLS applies
    admin.execute("GRANT USAGE ON SCHEMA passerelle TO worker")
    admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA passerelle TO worker")
    admin.close()
    url = pg_database.replace("postgres@", "worker:w@")
    acme = PostgresStore(url, "acme-rls")
    acme.intend("orders", "1", "{}")
    acme.close()
    other = PostgresStore(url, "other-rls")
    try:
        other.intend("orders", "2", "{}")
        seen = other.db.execute("SELECT project, key FROM passerelle.ledger").fetchall()  # no WHERE at all
        assert seen == [("other-rls", "2")]
        with pytest.raises(OperatorError, match="row-level security"):
            other._exec("INSERT INTO passerelle.ledger (project, flow, key, status, updated_at) "
                        "VALUES ('acme-rls', 'orders', '3', 'done', 0)")
    finally:
        other.close()


def test_two_writers_intending_one_key_at_once_one_proceeds(pg_database):
    stores = [PostgresStore(pg_database, "acme-race") for _ in range(4)]
    barrier, outcomes = threading.Barrier(len(stores)), []

    def intend(store):
        barrier.wait()
        try:
            store.intend("orders", "42", "{}", creating=True)
            outcomes.append("proceeds")
        except RecordClaimed as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=intend, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert outcomes.count("proceeds") == 1
        assert all("is being written by another worker right now" in o for o in outcomes if o != "proceeds")
        winner = next(s for s in stores if "42" in s._claims.get("orders", ()))
        winner.settle("orders", "42", "BC42", DONE)
        loser = next(s for s in stores if s is not winner)
        with pytest.raises(RecordClaimed, match="was created by another writer meanwhile"):
            loser.intend("orders", "42", "{}", creating=True)
        assert winner.entry("orders", "42").attempts == 1
    finally:
        for store in stores:
            store.close()


HOLDER = textwrap.dedent("""
    import os, sys
    from engine.runtime.pg_store import PostgresStore
    store = PostgresStore(sys.argv[1], "acme-killed")
    store.lease("flow-orders", "flow 'orders'")
    store.intend("orders", "7", "{}", creating=True)
    print("holding", flush=True)
    sys.stdin.read()
""")


def test_a_killed_holder_leaves_neither_its_lease_nor_its_record_claimed(pg_database):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, pg_database], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env())
    store = PostgresStore(pg_database, "acme-killed")
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(Busy) as busy:
            store.lease("flow-orders", "flow 'orders'")
        assert f"pid {holder.pid}" in str(busy.value)
        with pytest.raises(RecordClaimed):
            store.intend("orders", "7", "{}", creating=True)
        holder.kill()
        holder.wait()
        with store.lease("flow-orders", "flow 'orders'", wait=60):  # the server ends the dead session's locks
            store.intend("orders", "7", "{}", creating=True)  # the pending intent resumed, not refused
        assert store.entry("orders", "7").status == PENDING and store.entry("orders", "7").attempts == 2
    finally:
        holder.kill()
        holder.wait()
        store.close()


def _env() -> dict:
    import os

    return {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'sandbox'}"}


def test_without_psycopg_the_message_names_the_extra(monkeypatch, pg_database):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(OperatorError, match=r"needs psycopg 3, in the `cluster` extra"):
        pg_schema.connect(pg_database)
