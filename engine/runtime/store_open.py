"""Where a project's run state lives, and the one place a store is opened (:func:`open_store`).

* No ``state:`` setting: the embedded default, a SQLite file ``state.db`` in the project's state folder
  (``--state DIR``, else the project's ``state_dir``, else ``PROJECT/.passerelle``), created when missing.
* ``state: "${env:PASSERELLE_STATE}"`` holding ``postgresql://user:password@host:5432/db``: the shared
  PostgreSQL store (:mod:`engine.runtime.pg_store`), migrated beforehand by ``passerelle db upgrade``.
  ``--state postgresql://...`` gives one on the command line. The URL's password never shows: every
  message names the database with its user info masked.

The project's identity in a shared database is its folder's name (``PROJECT`` of the command line,
resolved): every row of the project carries it. Two projects of one database need two folder names;
a project moved to another folder name starts a new state there.

The state folder stays in use with PostgreSQL for what is local to one machine: the spool of a
run's pages, the reload control of a ``serve``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import OperatorError
from engine.connectors.base import TokenStore
from engine.runtime import vault
from engine.spec.env import MissingEnv, has_reference, resolve
from engine.util.state_url import is_url, state_arg
from engine.util.records import frozen
from engine.util.urls import mask_userinfo

if TYPE_CHECKING:  # the store's module (SQLite, the lease, the ledger) is imported when a store is opened:
    from engine.runtime.state import StateStore  # a file dry-run only locates the state, if it reads it at all


def project_id(project_dir: Path) -> str:
    """The project's identity in a shared state: its folder's name."""
    return Path(project_dir).resolve().name


@frozen
class StateLocation:
    folder: Path  # the local state folder (the SQLite file, the spool, a serve's reload control)
    url: str | None  # the PostgreSQL URL (password included: never shown), None for SQLite
    project: str

    @property
    def database(self) -> Path:
        return self.folder / "state.db"

    def shown(self) -> str:
        from engine.runtime.pg_schema import masked

        return masked(self.url) if self.url else str(self.database)


def configured_url(settings: Any, environ: Mapping[str, str] | None = None) -> str | None:
    """The project's ``state:`` setting resolved (``${env:...}``), or None (SQLite)."""
    written = settings.get("state") if hasattr(settings, "get") else None
    if written is None or written == "":
        return None
    if not isinstance(written, str):
        raise OperatorError("project setting `state` must be a postgresql:// URL (or be left out: SQLite)")
    try:
        value = resolve(written, environ, secret=has_reference(written))
    except MissingEnv as exc:
        raise OperatorError(f"project setting `state`: {exc} (it names the PostgreSQL state database, "
                            "e.g. postgresql://user:password@host:5432/passerelle)") from None
    url = value if isinstance(value, str) else value.reveal()
    if url == "":
        return None
    if not is_url(url):
        raise OperatorError(f"project setting `state` is not a postgresql:// URL: "
                            f"{mask_userinfo(url) if not has_reference(written) else written}")
    return url


def state_database(project_dir: Path, settings: Any, folder: Path | None = None) -> Path:
    """Where a project's state lives: ``--state DIR`` when given, else the project's ``state_dir``
    (a folder of the project), else ``PROJECT/.passerelle``."""
    if folder is None:
        chosen = settings.get("state_dir") if hasattr(settings, "get") else None
        folder = project_dir / (chosen if isinstance(chosen, str) and chosen else ".passerelle")
    return Path(folder) / "state.db"


def locate(project_dir: Path, settings: Any, given: Path | str | None = None,
           environ: Mapping[str, str] | None = None) -> StateLocation:
    """Where ``project_dir``'s state is: ``--state`` (a folder or a URL) first, then its settings."""
    url = given if isinstance(given, str) and is_url(given) else None
    folder = given if isinstance(given, Path) else None
    if url is None and folder is None:
        url = configured_url(settings, environ)
    return StateLocation(state_database(project_dir, settings, folder).parent, url, project_id(project_dir))


def open_store(location: StateLocation) -> StateStore:
    """The project's store: SQLite (created when missing) or PostgreSQL (migrated, else refused)."""
    if location.url is None:
        from engine.runtime.state import SqliteStore

        return SqliteStore(location.database)
    from engine.runtime.pg_store import PostgresStore

    return PostgresStore(location.url, location.project)


class TokenKeeper:
    """The run state as a :class:`TokenStore` for commands that keep no record state (``check``, a live
    dry-run): the store is opened only when a server hands out a token to keep (or one is kept)."""

    def __init__(self, path: Path, opener: Callable[[], TokenStore] | None = None):
        self.path = path
        self.opener = opener  # another store (PostgreSQL: always there once migrated)
        self._store: Any = None

    def _opened(self) -> Any:
        if self._store is None:
            from engine.runtime.state import SqliteStore

            self._store = self.opener() if self.opener is not None else SqliteStore(self.path)
        return self._store

    def get(self, name: str) -> str | None:
        if self.opener is not None or self.path.exists():
            return self._opened().get(name)
        vault.cipher()  # no token kept yet, but one will be: stop now if it could not be (no key)
        return None

    def set(self, name: str, value: str) -> None:
        self._opened().set(name, value)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def token_keeper(location: StateLocation) -> TokenKeeper:
    """Rotated tokens for the commands that keep no record state (``check``, a live dry-run)."""
    if location.url is None:
        return TokenKeeper(location.database)
    return TokenKeeper(location.database, opener=lambda: open_store(location))


@contextmanager
def reading(location: StateLocation) -> Iterator[Any]:
    """The state to read (``entries``, ``xrefs``), never created, changed or migrated; None when there
    is no SQLite state yet."""
    if location.url is not None:
        store = open_store(location)
        try:
            yield store
        finally:
            store.close()
        return
    if not location.database.exists():
        yield None
        return
    from engine.runtime.state_read import ReadOnlyState

    reader = ReadOnlyState(location.database)
    try:
        yield reader
    finally:
        reader.close()


def read_only_xref(location: StateLocation, plan: Any) -> Any:
    """The ``xref`` transform's resolver on the project's state, read-only (dry-runs); None when none."""
    if location.url is None:
        if not location.database.exists():  # no state yet: nothing to read, no SQLite to load
            return None
        from engine.runtime.state_read import read_only_xref as sqlite_xref

        return sqlite_xref(location.database, plan)
    from engine.runtime.xref_store import flows_by_type

    store = open_store(location)
    resolver = store.xref_resolver(flows_by_type(plan))
    resolver.close = store.close
    return resolver


__all__ = ["StateLocation", "TokenKeeper", "read_only_xref", "configured_url", "is_url", "locate", "open_store", "project_id", "reading",
           "state_arg", "state_database", "token_keeper"]
