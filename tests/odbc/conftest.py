"""Fixtures of the ODBC tests: ``sage_database``/``sage_engine`` (both engines, see ``odbc_support``) and
the session's temporary PostgreSQL cluster (``pg_support``), started only when a test asks for it."""
from odbc_support import _sage_templates, sage_database, sage_engine  # noqa: F401 (fixtures)
from pg_support import postgres_cluster  # noqa: F401 (fixture)
