"""Fixtures of the cluster tests: a jobs database in the session's temporary PostgreSQL cluster
(``pg_support``: started by the tests; under ``CI=true`` a missing PostgreSQL fails, never skips)."""
from cluster_support import jobs_database, pg_state_cluster  # noqa: F401 (fixtures)
