"""Which store a project gets (engine/runtime/store_open.py): SQLite when the project has no `state:`
setting, PostgreSQL when it names a postgresql:// URL from the environment; a clear error, never the
password, for a missing variable or another kind of URL; the `state:` setting checked by `validate`."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import OperatorError
from engine.runtime.pg_store import PostgresStore
from engine.runtime.state import SqliteStore
from engine.runtime.store_open import locate, open_store, state_arg
from support import ROOT, run_cli

SETTING = {"state": "${env:PASSERELLE_STATE}"}


def test_without_state_setting_the_project_keeps_its_sqlite_file(tmp_path):
    location = locate(tmp_path / "acme", {}, None, {})
    assert location.url is None and location.database == tmp_path / "acme" / ".passerelle" / "state.db"
    store = open_store(location)
    assert isinstance(store, SqliteStore) and location.database.exists()
    store.close()
    assert locate(tmp_path / "acme", SETTING, tmp_path / "elsewhere", {}).database == tmp_path / "elsewhere" / "state.db"


def test_a_state_url_from_the_environment_opens_the_postgresql_store(tmp_path, pg_database):
    location = locate(tmp_path / "client-dupont", SETTING, None, {"PASSERELLE_STATE": pg_database})
    assert location.url == pg_database and location.project == "client-dupont"
    assert location.shown().startswith("postgresql://***@127.0.0.1:")
    store = open_store(location)
    try:
        assert isinstance(store, PostgresStore) and store.project == "client-dupont"
    finally:
        store.close()
    given = locate(tmp_path / "client-dupont", {}, state_arg(pg_database), {})  # --state URL
    assert given.url == pg_database and not isinstance(state_arg(pg_database), Path)


def test_a_missing_variable_or_another_url_is_a_clear_error_without_the_password(tmp_path):
    with pytest.raises(OperatorError, match="project setting `state`: environment variable PASSERELLE_STATE is not set"):
        locate(tmp_path / "p", SETTING, None, {})
    with pytest.raises(OperatorError, match="is not a postgresql:// URL") as wrong:
        locate(tmp_path / "p", SETTING, None, {"PASSERELLE_STATE": "mysql://root:hunter2@db/x"})
    assert "hunter2" not in str(wrong.value)
    with pytest.raises(OperatorError, match="is not a postgresql:// URL"):
        locate(tmp_path / "p", {"state": "mysql://db/x"}, None, {})


def test_validate_accepts_a_state_url_from_the_environment_only_as_a_url(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "project.yaml").write_text('project:\n  state: "${env:PASSERELLE_STATE}"\n')
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert "state" not in out + err
    (project / "project.yaml").write_text('project:\n  state: "sqlite:///tmp/x.db"\n')
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert code == 1 and "project.state" in out + err


def test_db_on_a_project_without_state_setting_says_sqlite_needs_no_migration(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "project.yaml").write_text("project:\n  name: P\n")
    code, out, err = run_cli(["db", "upgrade", str(project)], ROOT)
    assert code == 1 and "has no `state:` setting" in err and "nothing to migrate" in err
    code, out, err = run_cli(["db", "status", "--state", str(tmp_path)], ROOT)
    assert code == 1 and "--state takes a postgresql:// URL" in err
