"""A server's budget of query-cost points, as its GraphQL answers report it (``cost_limit:``).

Some GraphQL APIs limit a client by the calculated cost of its queries rather than by the number of
requests: each answer says what the query asked for and what is left in the bucket, and a query that
does not fit is refused, not run (Shopify's GraphQL Admin API: ``extensions.cost.requestedQueryCost``,
``throttleStatus.currentlyAvailable`` and ``restoreRate`` points per second, an error coded
``THROTTLED`` — https://shopify.dev/docs/api/usage/rate-limits). The connector definition names where
each figure is in an answer (JMESPath); the bucket:

* before a query, waits until the points it cost last time (per query document) have been restored,
  from the last answer's figures and the time since — so a steady run is not refused at all;
* after a refused (throttled) answer, says how long to wait before sending the same request again:
  (requested - available) / restore rate, at least 0.1 s and at most 60 s (1 s when the answer gives
  no figures). A refused query was not run, so sending it again (a mutation too) is safe.

The waits go through the endpoint's retry policy (its waiting budget), as every other wait.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from engine.errors import TransformError
from engine.lang.expr import CompiledExpr
from engine.util.records import frozen

MAX_WAIT = 60.0
KEPT_COSTS = 256  # query documents whose last cost is remembered


@frozen
class CostLimitPlan:
    """Where an answer gives each figure (compiled JMESPath), and which answers are refusals."""

    requested: CompiledExpr
    available: CompiledExpr
    restore_rate: CompiledExpr
    throttled: CompiledExpr


def _number(expr: CompiledExpr, body: Any) -> float | None:
    try:
        value = expr.search(body)
        return None if value is None or isinstance(value, bool) else float(value)
    except (TransformError, TypeError, ValueError, ArithmeticError):  # a figure that is not a number
        return None


class CostBucket:
    def __init__(self, plan: CostLimitPlan, clock: Callable[[], float] = time.monotonic):
        self.plan, self.clock = plan, clock
        self.available: float | None = None
        self.rate = 0.0
        self.stamp = 0.0
        self.costs: dict[str, float] = {}
        self.lock = threading.Lock()
        self.waited = 0.0  # seconds waited before queries (not counting waits after a refusal)

    def due(self, query: str) -> float:
        """Seconds to wait before sending ``query`` so that it fits (0: send now)."""
        with self.lock:
            cost = self.costs.get(query)
            if cost is None or self.available is None or self.rate <= 0:
                return 0.0
            have = self.available + (self.clock() - self.stamp) * self.rate
            return 0.0 if have >= cost else min(MAX_WAIT, (cost - have) / self.rate)

    def observe(self, query: str, body: Any) -> float | None:
        """Take the figures of an answer; a refused (throttled) answer gives the seconds to wait before
        sending it again, any other answer None."""
        if not isinstance(body, dict):
            return None
        requested = _number(self.plan.requested, body)
        available = _number(self.plan.available, body)
        rate = _number(self.plan.restore_rate, body)
        with self.lock:
            if requested is not None:
                if len(self.costs) >= KEPT_COSTS and query not in self.costs:
                    self.costs.clear()
                self.costs[query] = requested
            if available is not None:
                self.available, self.stamp = available, self.clock()
            if rate is not None and rate > 0:
                self.rate = rate
        try:
            refused = self.plan.throttled.search(body)
        except TransformError:  # an answer of another shape is not a refusal
            refused = None
        if not refused:
            return None
        if requested is None or available is None or not rate:
            return 1.0
        return min(MAX_WAIT, max(0.1, (requested - available) / rate))


def compile_cost_limit(spec: Any, compile_expr: Callable[[Any, tuple, str], CompiledExpr | None],
                       path: tuple) -> CostLimitPlan | None:
    """The ``cost_limit`` block (the schema requires each of its paths)."""
    if not spec:
        return None
    exprs = [compile_expr(spec.get(name), path + (name,), f"cost_limit.{name}")
             for name in ("requested", "available", "restore_rate", "throttled")]
    if any(e is None for e in exprs):
        return None
    return CostLimitPlan(*exprs)  # type: ignore[arg-type]


__all__ = ["CostBucket", "CostLimitPlan", "compile_cost_limit"]
