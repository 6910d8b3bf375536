"""``python -m passerelle_sandbox sage100-sql``: create and seed a Sage 100c SQL database.

    python -m passerelle_sandbox sage100-sql --sqlite /tmp/sage100.db [--articles 100000] [--replace] [--media DIR]
    python -m passerelle_sandbox sage100-sql --postgresql "DRIVER={PostgreSQL Unicode};Servername=...;Database=sage"
    python -m passerelle_sandbox sage100-sql --postgresql postgresql://user:pass@127.0.0.1:5432/sage
    python -m passerelle_sandbox sage100-sql --print-ddl postgresql

SQLite is written with the standard library (no ODBC needed); PostgreSQL through pyodbc and the
PostgreSQL ODBC driver (an ODBC connection string, or a ``postgresql://`` URL turned into one for
the driver named by ``--driver``). The database must exist; ``--replace`` drops the Sage tables first.
``--media DIR`` writes the image and PDF files the seeded paths name (``AR_Photo``, ``F_ARTICLEMEDIA``)
under DIR, the folder standing for the Sage server's share (the connector's ``media_root`` setting).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from passerelle_sandbox.sage100sql import DIALECTS, create_statements, drop_statements, script
from passerelle_sandbox.sage100sql_media import MEDIA_ROOT, write_media
from passerelle_sandbox.sage100sql_seed import seed

__all__ = ["create_sqlite", "main", "odbc_connection_string"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m passerelle_sandbox sage100-sql",
                                     description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH", help="the SQLite database file to create")
    target.add_argument("--postgresql", metavar="DSN", help="an ODBC connection string or a postgresql:// URL")
    target.add_argument("--print-ddl", choices=DIALECTS, help="print the schema's SQL and exit")
    parser.add_argument("--articles", type=int, default=0, help="generated articles added to the catalogue")
    parser.add_argument("--replace", action="store_true", help="drop the Sage tables first")
    parser.add_argument("--driver", default="PostgreSQL Unicode", help="ODBC driver for a postgresql:// URL")
    parser.add_argument("--media", metavar="DIR", help=f"write the seeded images and PDF under DIR (the share {MEDIA_ROOT})")
    return parser


def odbc_connection_string(dsn: str, driver: str = "PostgreSQL Unicode") -> str:
    """``postgresql://user:pass@host:port/db`` as a psqlODBC connection string; anything else unchanged."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        return dsn
    url = urlsplit(dsn)
    parts = [f"DRIVER={{{driver}}}", f"Servername={url.hostname or '127.0.0.1'}", f"Port={url.port or 5432}",
             f"Database={unquote(url.path.lstrip('/')) or 'postgres'}"]
    if url.username:
        parts.append(f"Uid={unquote(url.username)}")
    if url.password:
        parts.append(f"Pwd={{{unquote(url.password)}}}")
    return ";".join(parts)


def create_sqlite(path: Path, articles: int = 0, replace: bool = False) -> dict[str, int]:
    """The Sage 100c schema and seeded catalogue in a new SQLite file: the rows written per table."""
    if path.exists() and not replace:
        raise FileExistsError(f"{path} exists (use --replace)")
    if path.exists():
        path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.executescript(script("sqlite"))
        return seed(db, size=articles)


def _postgresql(dsn: str, driver: str, articles: int, replace: bool) -> dict[str, int]:
    try:
        import pyodbc
    except ImportError as exc:
        raise RuntimeError(f"PostgreSQL needs pyodbc and unixODBC ({exc})") from None
    conn = pyodbc.connect(odbc_connection_string(dsn, driver), autocommit=False)
    try:
        for statement in (drop_statements("postgresql") if replace else []) + create_statements("postgresql"):
            conn.execute(statement)
        return seed(conn, size=articles)
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.print_ddl:
        print(script(args.print_ddl), end="")
        return 0
    if args.articles < 0:
        print("error: --articles must be 0 or more", file=sys.stderr)
        return 2
    try:
        if args.sqlite:
            counts = create_sqlite(Path(args.sqlite), args.articles, args.replace)
            where = args.sqlite
        else:
            counts = _postgresql(args.postgresql, args.driver, args.articles, args.replace)
            where = "the PostgreSQL database"
        media = write_media(Path(args.media)) if args.media else []
    except Exception as exc:  # a CLI: one line, no traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"Sage 100c schema and catalogue written to {where}: "
          + ", ".join(f"{table} {count}" for table, count in counts.items()))
    if media:
        print(f"{len(media)} media files written under {args.media} (connector setting media_root: {MEDIA_ROOT})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
