"""WooCommerce's top-level refunds list, ``GET /wc/v3/refunds`` (``WC_REST_Refunds_Controller``, WooCommerce
9.0 and later): every refund whatever its order, in the order refunds' own format, paged like any list.

* Sources: WooCommerce ``includes/rest-api/Controllers/Version3/class-wc-rest-refunds-controller.php``
  (``@since 9.0.0``; it extends the order refunds controller, drops ``post_parent__in`` and links each
  refund ``up`` to ``/orders/<parent id>``) and its unit test (``test_get_items_multiple_orders``).
* A refund carries no ``parent_id`` member: its order is named only by ``_links.up`` (as WooCommerce does).
* Parameters: ``page``/``per_page``/``offset``, ``include``/``exclude``, ``parent`` (order ids, comma list),
  ``orderby`` date/id/include, ``order`` (desc by default, as every WooCommerce list).
"""
from __future__ import annotations

from typing import Any, Callable

from passerelle_sandbox._http import Request
from passerelle_sandbox.woo_query import Args, page_of

__all__ = ["refunds_route"]

PREFIX = "/wp-json/wc/v3/"


def refunds_route(sim: Any) -> dict[str, tuple[str, Callable[..., tuple[int, Any, list]]]]:
    """``GET refunds`` for the simulator's router: (permission kind, handler)."""

    def handler(*, params: dict[str, Any], site: str, request: Request, **_: Any) -> tuple[int, Any, list]:
        parents = {r["id"]: oid for oid, order in sim.orders.items() for r in order["refunds"]}
        args = Args(params)
        include, exclude = args.int_array("include"), set(args.int_array("exclude"))
        wanted = set(args.int_array("parent"))
        ids = [i for i in sim.refunds if (not include or i in include) and i not in exclude
               and (not wanted or parents.get(i) in wanted)]
        rows = sim._sorted(ids, sim.refunds, args, include, ("date", "id", "include"), "date")
        args.done()
        page, headers = page_of(rows, args, f"{site}{request.path}", request.params, sim.link_rels)
        return 200, [sim._refund(r, parents[r["id"]], site=site, params=args.params) for r in page], headers

    return {"GET": ("list", handler)}
