"""Legacy REST orders endpoint of the Shopify simulator (Shopify Admin REST API, Order).

* ``GET orders.json``: filters ``ids``, ``since_id``, ``created_at_min/max``, ``updated_at_min/max``,
  ``processed_at_min/max`` (ISO 8601), ``status`` (open default | closed | cancelled | any),
  ``financial_status``, ``fulfillment_status``, ``fields``; ``limit`` 1..250 (default 50); sorted by id.
  Pages are cursors: ``Link: <…/orders.json?limit=N&page_info=…>; rel="next"`` (and rel="previous"),
  no ``Link`` when one page holds everything. The filters are baked into ``page_info``; a request with
  ``page_info`` and any parameter other than ``limit``/``fields`` → 400
  ``{"errors":{"<p>":"<p> cannot be passed when page_info is present"}}``.
* ``GET orders/count.json`` → ``{"count": N}`` (same filters); ``GET orders/<id>.json`` → ``{"order"}``;
  unknown (or hidden by the 60-day window) → 404 ``{"errors":"Not Found"}``.
* ``PUT orders/<id>.json`` ``{"order":{"tags": "a, b"}}`` replaces the whole tag string (read-modify-write);
  also ``note``, ``note_attributes`` (replaced), ``email``, ``metafields`` (created/updated).
  A body without ``order`` → 400 ``{"errors":{"order":"Required parameter missing or invalid"}}``.
* ``POST orders/<id>/close.json`` / ``open.json`` set / clear ``closed_at``; ``GET shop.json``
  (:mod:`.shopify_shop`); ``inventory_levels`` in :mod:`.shopify_levels`. Other REST routes and methods
  (create, delete, cancel, products, fulfillments…) answer 501 "… is not simulated", never a genuine-looking 404.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.shopify_search import compile_search, parse_moment
from passerelle_sandbox.shopify_shop import not_simulated, shop_json

__all__ = ["RestOrders"]

FILTERS = ("ids", "since_id", "created_at_min", "created_at_max", "updated_at_min", "updated_at_max",
           "processed_at_min", "processed_at_max", "status", "financial_status", "fulfillment_status",
           "attribution_app_id")
PAGE_ONLY = ("limit", "fields", "page_info")
_DATES = {"created_at": "_created", "updated_at": "_updated", "processed_at": "_created"}


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    data = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
    if not isinstance(data, dict) or not isinstance(data.get("f"), dict) or not isinstance(data.get("at"), int):
        raise ValueError("not a page_info")
    return data


class _BadRequest(Exception):
    def __init__(self, errors: Any) -> None:
        super().__init__(str(errors))
        self.errors = errors


class RestOrders:
    def __init__(self, sim: Any) -> None:
        self.sim = sim

    def handle(self, request: Request, path: str, version: str, headers: list[tuple[str, str]]) -> Response:
        sim = self.sim
        params = dict(request.params)
        method = request.method.upper()
        try:
            if path == "orders.json" and method == "GET":
                return self.listing(request, params, version, headers)
            if path == "shop.json" and method == "GET":
                return shop_json(sim, params.get("fields"), headers)
            if path == "orders/count.json" and method == "GET":
                predicate = self.predicate({k: v for k, v in params.items() if k in FILTERS})
                count = sum(1 for rec in sim.orders if predicate(rec))
                return sim.json(200, {"count": count}, headers)
            match = re.fullmatch(r"orders/(\d+)(?:/(close|open))?\.json", path)
            action = match.group(2) if match else None
            if match is None or (method, bool(action)) not in (("GET", False), ("PUT", False), ("POST", True)):
                return not_simulated(sim, f"{method} {path}", headers)  # products, DELETE, cancel…
            rec = sim.by_id.get(int(match.group(1)))
            if rec is None or not sim.visible(rec):
                return sim.json(404, {"errors": "Not Found"}, headers)  # an order the simulated shop lacks
            if action:
                rec["closed_at"] = sim.now().astimezone(sim.tz).isoformat() if action == "close" else None
                sim.touch(rec)
            elif method == "PUT":
                self.update(rec, request.body)
            return sim.json(200, {"order": self.render(rec, params.get("fields"))}, headers)
        except _BadRequest as bad:
            return sim.json(400, {"errors": bad.errors}, headers)

    @staticmethod
    def render(rec: dict[str, Any], fields: str | None = None) -> dict[str, Any]:
        wanted = {f.strip() for f in fields.split(",") if f.strip()} if fields else None
        return {k: v for k, v in rec.items() if k[0] != "_" and (wanted is None or k in wanted)}

    def predicate(self, filters: dict[str, str]) -> Any:
        sim = self.sim
        tests = [sim.visible]
        status = filters.get("status", "open")
        for name in ("status", "financial_status", "fulfillment_status"):
            value = status if name == "status" else filters.get(name)
            if value:
                test, _ = compile_search(f"{name}:{value}", sim.tz)
                tests.append(test or (lambda rec: True))
        for name, key in _DATES.items():
            for suffix, op in (("_min", lambda a, b: a >= b), ("_max", lambda a, b: a <= b)):
                if f"{name}{suffix}" not in filters:
                    continue
                try:
                    moment = parse_moment(filters[f"{name}{suffix}"], sim.tz)
                except ValueError:
                    raise _BadRequest({f"{name}{suffix}": f"{name}{suffix} is invalid"}) from None
                tests.append(lambda rec, key=key, op=op, moment=moment: op(rec[key], moment))
        if filters.get("ids"):
            ids = {int(x) for x in filters["ids"].split(",") if x.strip().isdigit()}
            tests.append(lambda rec: rec["id"] in ids)
        if filters.get("since_id", "").isdigit():
            since = int(filters["since_id"])
            tests.append(lambda rec: rec["id"] > since)
        return lambda rec: all(test(rec) for test in tests)

    def listing(self, request: Request, params: dict[str, str], version: str,
                headers: list[tuple[str, str]]) -> Response:
        sim = self.sim
        raw_limit = params.get("limit", "50")
        if not raw_limit.isdigit() or int(raw_limit) < 1 or (int(raw_limit) > 250 and sim.limit_over_max == "error"):
            raise _BadRequest({"limit": "limit must be between 1 and 250"})
        limit = min(int(raw_limit), 250)
        fields = params.get("fields")
        backwards = False
        start = None
        if "page_info" in params:
            for name in params:
                if name not in PAGE_ONLY:
                    raise _BadRequest({name: f"{name} cannot be passed when page_info is present"})
            try:
                token = _decode(params["page_info"])
            except ValueError:
                raise _BadRequest({"page_info": "Invalid value."}) from None
            filters, backwards, start = token["f"], token.get("d") == "p", (token["at"], token["at"])
        else:
            filters = {k: v for k, v in params.items() if k in FILTERS}
        found, more = sim.order_index("id").page(limit, self.predicate(filters), start, backwards=backwards)
        if backwards:
            found.reverse()
        links = []
        has_next = more if not backwards else True
        has_previous = (start is not None) if not backwards else more
        base = f"http://{request.header('Host') or 'localhost'}/admin/api/{version}/orders.json"
        extra = f"&fields={fields}" if fields else ""
        if found and has_previous:
            token = _encode({"f": filters, "at": found[0]["id"], "d": "p"})
            links.append(f'<{base}?limit={limit}{extra}&page_info={token}>; rel="previous"')
        if found and has_next:
            token = _encode({"f": filters, "at": found[-1]["id"], "d": "n"})
            links.append(f'<{base}?limit={limit}{extra}&page_info={token}>; rel="next"')
        if links:
            headers = headers + [("Link", ", ".join(links))]
        return sim.json(200, {"orders": [self.render(rec, fields) for rec in found]}, headers)

    def update(self, rec: dict[str, Any], body: bytes) -> None:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        order = data.get("order") if isinstance(data, dict) else None
        if not isinstance(order, dict):
            raise _BadRequest({"order": "Required parameter missing or invalid"})
        sim = self.sim
        if "tags" in order:
            tags = order["tags"] if isinstance(order["tags"], list) else str(order["tags"] or "").split(",")
            rec["tags"] = ", ".join(t.strip() for t in tags if t.strip())
        for key in ("note", "email"):
            if key in order:
                rec[key] = order[key]
        if isinstance(order.get("note_attributes"), list):
            rec["note_attributes"] = [{"name": a.get("name"), "value": a.get("value")}
                                      for a in order["note_attributes"] if isinstance(a, dict)]
        for mf in order.get("metafields") or []:
            if isinstance(mf, dict):
                sim.put_metafield(rec, mf)
        sim.touch(rec)
