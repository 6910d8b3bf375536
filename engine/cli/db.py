"""``passerelle db upgrade | status [PROJECT] [--state URL]``: the PostgreSQL state's schema.

``upgrade`` applies the migrations the database lacks (:mod:`engine.runtime.pg_schema`) and prints the
versions applied; run it again and it applies nothing. Nothing else ever migrates: a run against a
database not upgraded stops with a message naming this command. ``status`` prints the database's
version and what an upgrade would apply. The database is the one ``--state`` names, else the
``state:`` setting of PROJECT (``${env:...}`` resolved); its password is never printed.
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_BEHIND = 0, 1, 2


def add_parser(sub) -> None:
    from engine.util.state_url import state_arg

    p = sub.add_parser("db", help="migrate (upgrade) or inspect (status) the PostgreSQL state database")
    p.add_argument("action", choices=("upgrade", "status"))
    p.add_argument("project", metavar="PROJECT", type=Path, nargs="?",
                   help="a project whose `state:` setting names the database")
    p.add_argument("--state", type=state_arg, metavar="URL", help="the postgresql:// URL of the state database")


def _url(args) -> str:
    from engine.errors import OperatorError
    from engine.runtime.store_open import configured_url
    from engine.util.state_url import is_url

    if is_url(args.state):
        return args.state
    if args.state is not None:
        raise OperatorError("`passerelle db` works on a PostgreSQL state: --state takes a postgresql:// URL "
                            "(the SQLite state needs no migration)")
    if args.project is None:
        raise OperatorError("name the database: `passerelle db upgrade --state postgresql://...`, or a PROJECT "
                            "whose `state:` setting names it")
    from engine.project.load import load_project

    url = configured_url(load_project(args.project).settings)
    if url is None:
        raise OperatorError(f"project {args.project} has no `state:` setting: its state is the embedded SQLite "
                            "file, created and kept up to date by each run (nothing to migrate)")
    return url


def cmd_db(args) -> int:
    from engine.runtime import pg_schema

    url = _url(args)
    connection = pg_schema.connect(url)
    try:
        if args.action == "upgrade":
            applied = pg_schema.upgrade(connection, url, say=print)
            print(f"{pg_schema.masked(url)}: schema at version {pg_schema.LATEST}"
                  + ("" if applied else " (already up to date: nothing applied)"), file=sys.stderr)
            return EXIT_OK
        have, rows = pg_schema.status(connection)
        for number, description, when in rows:
            print(f"{number}  {when:%Y-%m-%d %H:%M:%S %Z}  {description}")
        waiting = [(n, d) for n, d, _ in pg_schema.MIGRATIONS if have is None or n > have]
        for number, description in waiting:
            print(f"{number}  (not applied)  {description}")
        state = ("no Passerelle schema" if have is None else f"schema version {have}")
        print(f"{pg_schema.masked(url)}: {state}; this Passerelle needs {pg_schema.LATEST}"
              + (": run `passerelle db upgrade`" if waiting else "")
              + (" (a newer Passerelle upgraded it)" if have is not None and have > pg_schema.LATEST else ""),
              file=sys.stderr)
        return EXIT_BEHIND if waiting or (have or 0) > pg_schema.LATEST else EXIT_OK
    except pg_schema.psycopg_error() as exc:
        raise pg_schema.StoreError(url, exc) from None
    finally:
        connection.close()


COMMANDS = {"db": cmd_db}
