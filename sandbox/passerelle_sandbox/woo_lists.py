"""WooCommerce list reads and rendering (WooCommerce REST API docs, list parameters), mixed into
:class:`.woocommerce.WooCommerceSim`.

* ``GET orders``: ``status`` (comma list or ``status[]``; ``any`` = everything but trash), ``include``,
  ``exclude``, ``customer``, ``product``, ``search`` (id, billing names, e-mail), ``after``/``before`` (created)
  and ``modified_after``/``modified_before``, strict, on the ``*_gmt`` fields with ``dates_are_gmt``;
  ``orderby`` date (default, ties by id) / id / include / title / slug (+ modified with
  ``orderby_modified``), ``order`` desc by default.
* ``GET products``: ``sku`` (comma list; variations too with ``sku_matches_variations``), ``type``,
  ``include``/``exclude``; customers (``email``, orderby name asc), taxes (``class``, orderby order asc),
  variations of a product; ``shipping_methods`` is one unpaged array.
* Rendering adds ``_links`` (self/collection, ``customer`` on orders, ``up`` on variations), applies
  ``include_meta``/``exclude_meta`` then ``_fields``.
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox._http import Request
from passerelle_sandbox.woo_data import STATUSES
from passerelle_sandbox.woo_query import Args, WcError, apply_fields, column_text, page_of
from passerelle_sandbox.woo_sales import sale_view

__all__ = ["ListsMixin"]

PREFIX = "/wp-json/wc/v3/"


class ListsMixin:
    """Reads over the simulator's tables (``orders``, ``by_date``, ``products``, ``variations``…)."""

    orders: dict[int, dict[str, Any]]
    # -- rendering ------------------------------------------------------------------------------------
    def _render(self, record: dict[str, Any], site: str, params: dict[str, Any]) -> dict[str, Any]:
        api = f"{site}{PREFIX}"
        out = {k: v for k, v in record.items() if not k.startswith("_sale_")}
        out.update(sale_view(record, self.clock()))
        if isinstance(out.get("permalink"), str) and out["permalink"].startswith("/"):
            out["permalink"] = site + out["permalink"]
        if "refunded_payment" in out:
            links = {}
        elif "line_items" in out:
            links = {"self": [{"href": f"{api}orders/{out['id']}"}], "collection": [{"href": f"{api}orders"}]}
            if out["customer_id"]:
                links["customer"] = [{"href": f"{api}customers/{out['customer_id']}"}]
        elif "note" in out:
            links = {}
        elif out.get("type") == "variation":
            base = f"{api}products/{out['parent_id']}/variations"
            links = {"self": [{"href": f"{base}/{out['id']}"}], "collection": [{"href": base}],
                     "up": [{"href": f"{api}products/{out['parent_id']}"}]}
        else:
            collection = "shipping_methods" if "title" in out else "taxes" if "rate" in out else \
                "customers" if "role" in out else "products"
            links = {"self": [{"href": f"{api}{collection}/{out['id']}"}], "collection": [{"href": f"{api}{collection}"}]}
        if links:
            out["_links"] = links
        if isinstance(out.get("meta_data"), list):
            include, exclude = Args(params).array("include_meta"), Args(params).array("exclude_meta")
            if include or exclude:
                out["meta_data"] = [m for m in out["meta_data"]
                                    if (not include or m["key"] in include) and m["key"] not in exclude]
        return apply_fields(out, params.get("_fields"))

    def _list(self, rows: list[dict[str, Any]], args: Args, site: str, request: Request) -> tuple[int, Any, list]:
        page, headers = page_of(rows, args, f"{site}{request.path}", request.params, self.link_rels)
        return 200, [self._render(r, site, args.params) for r in page], headers

    def _one(self, table: dict[Any, dict[str, Any]], key: Any, kind: str, *, params: dict[str, Any], site: str,
             **_: Any) -> tuple[int, Any, list]:
        record = table.get(key)
        if record is None:
            raise WcError(404, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")
        return 200, self._render(record, site, params), []

    # -- reads ----------------------------------------------------------------------------------------
    def _sorted(self, ids: list[int], table: dict[int, dict[str, Any]], args: Args, include: list[int],
                options: tuple[str, ...], default: str) -> list[dict[str, Any]]:
        orderby = args.enum("orderby", options, default)
        descending = args.enum("order", ("asc", "desc"), "desc" if default in ("date",) else "asc") == "desc"
        if orderby == "id":
            ids = sorted(ids)
        elif orderby == "include" and include:
            position = {v: i for i, v in enumerate(include)}
            ids = sorted(ids, key=lambda i: position.get(i, len(position)))
        elif orderby == "modified":
            ids = sorted(ids, key=lambda i: (table[i]["date_modified_gmt"], i))
        elif orderby in ("date", "title", "slug"):
            ids = sorted(ids, key=lambda i: (table[i].get("date_created_gmt") or "", i))
        rows = [table[i] for i in ids]
        return rows[::-1] if descending and orderby != "include" else rows

    def _orders(self, *, params: dict[str, Any], site: str, request: Request, **_: Any) -> tuple[int, Any, list]:
        """``GET orders`` with its filters (strict date bounds, status list, include/exclude…)."""
        args = Args(params)
        statuses = args.enum_array("status", ("any", "trash", *STATUSES), ["any"])
        include, exclude = args.int_array("include"), set(args.int_array("exclude"))
        customer, product = args.integer("customer"), args.integer("product")
        gmt = args.boolean("dates_are_gmt")
        bounds = [(name, args.date(name)) for name in ("after", "before", "modified_after", "modified_before")]
        options = ("date", "id", "include", "title", "slug") + (("modified",) if self.orderby_modified else ())
        search = str(params.get("search") or "").lower()
        args.done()
        wanted = None if "any" in statuses else set(statuses)
        suffix = "_gmt" if gmt else ""
        checks = []
        for name, parsed in bounds:
            if parsed is not None:
                column = ("date_modified" if name.startswith("modified") else "date_created") + suffix
                checks.append((column, name.endswith("after"), column_text(parsed, gmt, self.tz)))
        allowed = set(include) if include else None
        ids = []
        for oid in self.by_date:
            order = self.orders[oid]
            if (wanted is None and order["status"] == "trash") or (wanted is not None and order["status"] not in wanted):
                continue
            if (allowed is not None and oid not in allowed) or oid in exclude:
                continue
            if customer is not None and order["customer_id"] != customer:
                continue
            if product is not None and all(item["product_id"] != product for item in order["line_items"]):
                continue
            if any((order[c] <= v) if after else (order[c] >= v) for c, after, v in checks):
                continue
            if search and search not in _haystack(order):
                continue
            ids.append(oid)
        rows = self._sorted(ids, self.orders, args, include, options, "date")
        args.done()
        return self._list(rows, args, site, request)

    def _products(self, *, params: dict[str, Any], site: str, request: Request, **_: Any) -> tuple[int, Any, list]:
        args = Args(params)
        include, exclude = args.int_array("include"), set(args.int_array("exclude"))
        skus = set(args.array("sku"))
        kind = args.enum("type", ("simple", "grouped", "external", "variable"), "")
        table = {**self.products, **(self.variations if skus and self.sku_matches_variations else {})}
        ids = [i for i, r in table.items()
               if (not include or i in include) and i not in exclude and (not skus or r["sku"] in skus)
               and (not kind or r["type"] == kind)]
        rows = self._sorted(ids, table, args, include, ("date", "id", "include", "title", "slug", "price",
                                                        "popularity", "rating", "modified"), "date")
        args.done()
        return self._list(rows, args, site, request)

    def _simple_list(self, name: str, table: dict[Any, dict[str, Any]], *, params: dict[str, Any], site: str,
                     request: Request, **_: Any) -> tuple[int, Any, list]:
        """customers (orderby name, asc), taxes (orderby order), variations (date desc), shipping_methods (all)."""
        if name == "shipping_methods":
            return 200, [self._render(r, site, params) for r in table.values()], []
        args = Args(params)
        include, exclude = args.int_array("include"), set(args.int_array("exclude"))
        rows = [r for i, r in table.items() if (not include or i in include) and i not in exclude]
        if name == "customers":
            email = params.get("email")
            rows = [r for r in rows if not email or r["email"] == email]
            orderby = args.enum("orderby", ("id", "include", "name", "registered_date"), "name")
            field = {"id": "id", "name": "username", "registered_date": "date_created_gmt"}.get(orderby, "id")
            rows.sort(key=lambda r: (r[field], r["id"]))
            rows = rows[::-1] if args.enum("order", ("asc", "desc"), "asc") == "desc" else rows
        elif name == "taxes":
            wanted = params.get("class")
            rows = [r for r in rows if not wanted or r["class"] == wanted]
            orderby = args.enum("orderby", ("id", "order", "priority"), "order")
            rows.sort(key=lambda r: (r[orderby], r["id"]))
            rows = rows[::-1] if args.enum("order", ("asc", "desc"), "asc") == "desc" else rows
        else:
            rows = self._sorted([r["id"] for r in rows], table, args, include,
                                ("date", "id", "include", "title", "slug", "modified"), "date")
        args.done()
        return self._list(rows, args, site, request)


def _haystack(order: dict[str, Any]) -> str:
    billing = order["billing"]
    return " ".join([str(order["id"]), billing["first_name"], billing["last_name"], billing["email"]]).lower()
