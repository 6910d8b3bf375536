"""The machinery around the Sage 100c test databases: the temporary PostgreSQL cluster (leaves nothing
behind; fails with what to install in CI when PostgreSQL is missing, skips elsewhere) and the sandbox
command creating a database (``python -m passerelle_sandbox sage100-sql``)."""
from __future__ import annotations

import sqlite3

import pytest

import pg_support
from odbc_support import SageDatabase

from passerelle_sandbox.cli import main as sandbox_main
from passerelle_sandbox.sage100sql_cli import odbc_connection_string
from passerelle_sandbox.sage100sql_media import MEDIA_ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("missing", ["server", "driver"])
def test_a_missing_postgresql_fails_in_ci_and_skips_elsewhere(monkeypatch, missing):
    if missing == "server":
        monkeypatch.setattr(pg_support, "pg_bin_dir", lambda: None)
    else:
        monkeypatch.setattr(pg_support, "pg_driver", lambda: None)
    monkeypatch.delenv("PASSERELLE_REQUIRE_PG", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="install it: apt-get install postgresql odbc-postgresql"):
        pg_support.start_cluster()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL tests: "):
        pg_support.start_cluster()
    monkeypatch.setenv("PASSERELLE_REQUIRE_PG", "1")
    with pytest.raises(pytest.fail.Exception):
        pg_support.start_cluster()


def test_a_cluster_stops_and_leaves_no_process_and_no_files():
    cluster = pg_support.start_cluster()
    try:
        assert cluster.process is not None and cluster.process.poll() is None
        assert cluster.driver == "PostgreSQL Unicode"
        cluster.admin("CREATE DATABASE probe")
        with pytest.raises(Exception, match="already exists"):
            cluster.admin("CREATE DATABASE probe")
    finally:
        process = cluster.process
        cluster.stop()
    assert process is not None and process.returncode is not None  # waited for: no zombie, no orphan
    assert not cluster.root.exists()
    cluster.stop()  # twice is harmless (atexit calls it again)


def test_the_sandbox_command_creates_and_seeds_a_sqlite_database(tmp_path, capsys):
    path = tmp_path / "sage.db"
    assert sandbox_main(["sage100-sql", "--sqlite", str(path), "--articles", "5"]) == 0
    assert "F_ARTICLE 45" in capsys.readouterr().out
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM F_ARTSTOCK WHERE AR_Ref LIKE 'ART%'").fetchone() == (10,)
    assert sandbox_main(["sage100-sql", "--sqlite", str(path)]) == 1
    assert "exists (use --replace)" in capsys.readouterr().err
    assert sandbox_main(["sage100-sql", "--sqlite", str(path), "--replace", "--media", str(tmp_path / "medias")]) == 0
    assert "7 media files written under" in capsys.readouterr().out
    with sqlite3.connect(path) as db:  # each path Sage stores names a file of the folder
        paths = [p for (p,) in db.execute("SELECT AR_Photo FROM F_ARTICLE WHERE AR_Photo IS NOT NULL "
                                          "UNION ALL SELECT ME_Fichier FROM F_ARTICLEMEDIA")]
    assert len(paths) == 7 and all((tmp_path / "medias" / p.removeprefix(MEDIA_ROOT).replace("\\", "/")).is_file()
                                   for p in paths)
    assert sandbox_main(["sage100-sql", "--print-ddl", "postgresql"]) == 0
    assert 'CREATE TABLE "F_DOCLIGNE"' in capsys.readouterr().out


def test_the_sandbox_command_creates_and_seeds_a_postgresql_database(postgres_cluster, capsys):
    postgres_cluster.admin("CREATE DATABASE cli_made")
    url = f"postgresql://postgres@127.0.0.1:{postgres_cluster.port}/cli_made"
    assert odbc_connection_string(url) == \
        f"DRIVER={{PostgreSQL Unicode}};Servername=127.0.0.1;Port={postgres_cluster.port};Database=cli_made;Uid=postgres"
    assert sandbox_main(["sage100-sql", "--postgresql", url]) == 0
    assert "F_ARTICLE 40" in capsys.readouterr().out
    db = SageDatabase("postgresql", postgres_cluster.connection_string("cli_made"), lambda: None)
    assert db.rows('SELECT "AR_Design" FROM "F_ARTICLE" WHERE "AR_Ref" = ?', "THEIERE-08") == [("Théière fonte 0,8 L",)]
    assert sandbox_main(["sage100-sql", "--postgresql", url]) == 1  # the tables exist
    assert "already exists" in capsys.readouterr().err
    assert sandbox_main(["sage100-sql", "--postgresql", url, "--replace", "--articles", "3"]) == 0
    assert db.rows('SELECT COUNT(*) FROM "F_ARTICLE"') == [(43,)]
    postgres_cluster.admin("DROP DATABASE cli_made WITH (FORCE)")
