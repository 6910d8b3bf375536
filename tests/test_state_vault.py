"""The refresh token a server rotates is kept encrypted in the run state (``PASSERELLE_STATE_KEY``,
Fernet): the bytes of state.db and of its WAL never hold it; a missing or wrong key is a clear
configuration error before any token request, never a clear-text fallback. Driven through
``passerelle run`` against the Sage Business Cloud Accounting simulator (rotation on)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from engine.runtime import vault
from engine.runtime.state import SqliteStore
from passerelle_sandbox import Sandbox
from secrets_support import assert_clean, state_files
from support import ROOT, run_cli

SYSTEM = "sage-accounting"
KEY = vault.KEY_VARIABLE
PROJECT = """\
endpoints:
  books:
    use: sage-accounting
    settings:
      base_url: "${env:SBCA_URL}"
      token_url: "${env:SBCA_TOKEN_URL}"
      client_id: "${env:SBCA_CLIENT_ID}"
      client_secret: "${env:SBCA_CLIENT_SECRET}"
      refresh_token: "${env:SBCA_REFRESH_TOKEN}"
    override: { operations: { create_sales_invoice: { accepts: null } } }   # nothing is sent: no contract
flows:
  contacts_to_invoices:
    source: { endpoint: books, read: contacts }
    key: id
    filter: "reference == 'NO SUCH CONTACT'"
    target: { endpoint: books, write: create_sales_invoice }
    map:
      sales_invoice:
        reference: { from: reference }
"""


@pytest.fixture
def books(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "books.yaml").write_text(PROJECT)
    with Sandbox(systems=(SYSTEM,), orders=5) as sb:
        sim = sb.sim(SYSTEM)
        credentials = sim.credentials()
        for name, value in {"SBCA_URL": sb.url(SYSTEM), "SBCA_TOKEN_URL": sim.token_url(sb.base_url(SYSTEM)),
                            "SBCA_CLIENT_ID": credentials["client_id"],
                            "SBCA_CLIENT_SECRET": credentials["client_secret"],
                            "SBCA_REFRESH_TOKEN": credentials["refresh_token"]}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv(KEY, raising=False)
        yield Books(project, tmp_path / "state", sim, monkeypatch)


class Books:
    def __init__(self, project: Path, state: Path, sim, monkeypatch):
        self.project, self.state, self.sim, self.monkeypatch = project, state, sim, monkeypatch
        self.issued = {"configured refresh token": sim.refresh_token}

    def run(self, key: str | None) -> tuple[int, str]:
        if key is None:
            self.monkeypatch.delenv(KEY, raising=False)
        else:
            self.monkeypatch.setenv(KEY, key)
        code, out, err = run_cli(["run", str(self.project), "--state", str(self.state), "--log-format", "json"],
                                 ROOT)
        self.issued[f"refresh token #{len(self.issued)}"] = self.sim.refresh_token
        for text in (out, err):
            assert_clean("run output", text, self.issued)
        return code, err

    def token_requests(self) -> int:
        return len(self.sim.token_requests)


@pytest.mark.slow
def test_the_rotated_refresh_token_is_kept_encrypted(books):
    key = Fernet.generate_key().decode()
    code, err = books.run(key)
    assert code == 0, err
    assert books.sim.refresh_token != books.issued["configured refresh token"], "the server rotated it"
    code, err = books.run(key)  # the configured token is spent: only the kept one can work
    assert code == 0, err
    files = state_files(books.state)
    assert "state.db" in files
    for name, data in files.items():
        assert_clean(f"state file {name}", data, books.issued)
    with sqlite3.connect(books.state / "state.db") as db:
        (stored,) = db.execute("SELECT value FROM tokens").fetchone()
    assert stored.startswith(vault.PREFIX)
    assert Fernet(key.encode()).decrypt(stored[len(vault.PREFIX):].encode()).decode() == books.sim.refresh_token


@pytest.mark.slow
def test_a_missing_key_stops_before_the_token_is_spent(books):
    before = books.token_requests()
    code, err = books.run(None)
    assert code == 1 and "error[config]" in err and "endpoint 'books' cannot be opened" in err, err
    assert f"{KEY} is not set" in err and "Fernet.generate_key()" in err, err
    assert books.token_requests() == before, "no token request without a place to keep the rotated token"
    code, err = books.run("not a key")
    assert code == 1 and f"{KEY} is not a Fernet key" in err, err


@pytest.mark.slow
def test_a_wrong_key_says_what_to_do_and_keys_can_change(books):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert books.run(old)[0] == 0
    before = books.token_requests()
    code, err = books.run(new)
    assert code == 1 and "error[config]" in err and f"cannot be decrypted with {KEY}" in err, err
    assert 'DELETE FROM tokens' in err and new not in err and old not in err
    assert books.token_requests() == before
    assert books.run(f"{new},{old}")[0] == 0  # the new key first: the kept token is read with the old
    assert books.run(new)[0] == 0  # and was kept again under the new one when it rotated


def test_the_write_ahead_log_holds_no_token_either(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY, Fernet.generate_key().decode())
    token = "rotated-" + Fernet.generate_key().decode()
    store = SqliteStore(tmp_path / "state.db")
    store.set("refresh_token:x", token)
    store.set("refresh_token:x", token + "-2")
    files = state_files(tmp_path)  # while the store is open: the change is in the WAL
    assert files.get("state.db-wal"), sorted(files)
    for name, data in files.items():
        assert_clean(f"state file {name}", data, {"token": token})
    assert store.get("refresh_token:x") == token + "-2"
    store.close()


def test_a_token_kept_in_clear_by_an_earlier_version_is_encrypted_when_read(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY, Fernet.generate_key().decode())
    store = SqliteStore(tmp_path / "state.db")
    store.db.execute("INSERT INTO tokens (name, value, updated_at) VALUES ('t', 'clear-token-123', 0)")
    assert store.get("t") == "clear-token-123"
    (stored,) = store.db.execute("SELECT value FROM tokens WHERE name = 't'").fetchone()
    assert stored.startswith(vault.PREFIX) and "clear-token-123" not in stored
    assert store.get("t") == "clear-token-123"
    store.close()


def test_the_store_never_writes_clear_text_without_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY, raising=False)
    store = SqliteStore(tmp_path / "state.db")
    with pytest.raises(vault.VaultError, match=f"{KEY} is not set"):
        store.set("t", "rotated-token-456")
    with pytest.raises(vault.VaultError, match=f"{KEY} is not set"):
        store.get("t")
    assert store.db.execute("SELECT COUNT(*) FROM tokens").fetchone() == (0,)
    store.close()


@pytest.mark.slow
def test_check_and_a_live_dry_run_keep_the_token_they_make_the_server_rotate(books):
    """`check` and a live dry-run authenticate too: a server that rotates refresh tokens spends the kept
    one, so they keep the new one in the run state — the next run still authenticates."""
    key = Fernet.generate_key().decode()
    code, err = books.run(key)
    assert code == 0, err
    for argv in (["check", str(books.project), "--state", str(books.state)],
                 ["dry-run", str(books.project), "--flow", "contacts_to_invoices", "--limit", "2",
                  "--state", str(books.state)]):
        code, out, err = run_cli(argv, ROOT)
        assert code == 0, out + err
    code, err = books.run(key)
    assert code == 0, err
