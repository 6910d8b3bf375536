"""The Sage 100 <-> Shopify example (specs/examples/sage100-shopify/) run end to end against both
simulators with ``passerelle run``: find-or-create (customers by e-mail), the ``xref`` transform with a
generic customer default, two acknowledgements, ``let``/``reject``, grouping (a range -> one product) and
fan-out (one price break per tier). Every flow run twice creates nothing twice."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare
from runtime_support import SUMMARY, cli
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "sage100-shopify"
FLOWS = ("customers_to_sage", "orders_to_sage", "ranges_to_shop", "tier_prices_to_shop")  # in this order
SHOP_ONLY = 5  # customers unknown to Sage: created by customers_to_sage, found on the second run
LONG_SKU = "BOUGIE-PARFUMEE-VANILLE-XL"  # 26 characters: Sage's AR_Ref holds 19
# the data set's order whose line has the long SKU (issue 13): rejected like the test's own
SEEDED_LONG = "#1013"


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    dataset = generate(seed=1, orders=15, shop_only_customers=SHOP_ONLY)
    with Sandbox(systems=("shopify", "sage100"), dataset=dataset,
                 options={"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0}}) as sb:
        prepare(sb)  # the generic accounts the consultant creates in Sage (CLIENT-WEB)
        env = {"ACME_SHOPIFY_URL": sb.url("shopify"), "ACME_SHOPIFY_TOKEN": sb.credentials("shopify")["access_token"],
               "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
        yield sb, project, str(tmp_path / "state"), env


def _cli(project: Path, state: str, env: dict, monkeypatch, *argv: str, code: int = 0) -> tuple[str, str]:
    got, out, err = cli([*argv, str(project), "--state", state], env, monkeypatch)
    assert got == code, err
    return out, err


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    """``passerelle run --flow FLOW``: its summary as numbers (``found`` 0 when not printed)."""
    _, err = _cli(project, state, env, monkeypatch, "run", "--flow", flow, code=code)
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}


def _reference(order: dict) -> str:
    return order["name"].replace("#", "SH_")


def _snapshot(sb) -> dict:
    shop, sage = sb.sim("shopify"), sb.sim("sage100")
    return {"clients": dict(sage.clients), "documents": len(sage.documents),
            "products": len(shop.products), "writes": len(shop.product_writes),
            "breaks": [(b["variant_id"], b["minimumQuantity"], b["price"]["amount"]) for b in shop.price_breaks()],
            "metafields": {o["id"]: len(o["_metafields"]) for o in shop.orders},
            "tags": {o["id"]: o["tags"] for o in shop.orders}}


def test_every_flow_twice_creates_nothing_twice(running, monkeypatch):
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage100")
    b2b, guest, too_long = shop.orders[0], shop.orders[1], shop.orders[2]
    shop.set_tags(b2b, ["b2b"])
    guest["customer"] = None  # no customer account (a guest checkout)
    too_long["line_items"][0]["sku"] = LONG_SKU
    clients_before = set(sage.clients)

    first = {flow: _run(project, state, env, monkeypatch, flow, code=3 if flow == "orders_to_sage" else 0)
             for flow in FLOWS}
    after_first = _snapshot(sb)

    # customers: the shop-only ones created once, the others found by e-mail (no duplicate e-mail)
    created = set(sage.clients) - clients_before
    assert len(created) == SHOP_ONLY
    assert first["customers_to_sage"] == {"read": 80, "created": SHOP_ONLY, "updated": 0, "skipped": 0,
                                          "failed": 0, "acked": 0, "found": 80 - SHOP_ONLY}
    emails = [c.get("Email") for c in sage.clients.values() if c.get("Email")]
    assert len(emails) == len(set(emails))

    # orders: one Sage document per order but the rejected one, the customer translated through the xref
    # store (the guest on the generic client), both acknowledgements visible on the shop
    # (the data set's 1013 has the long SKU too; its 1014 in GBP goes, in the shop's money: shopMoney is EUR)
    orders = first["orders_to_sage"]
    assert (orders["read"], orders["created"], orders["failed"], orders["acked"]) == (15, 13, 2, 13)
    seeded_long = next(o for o in shop.orders if o["name"] == SEEDED_LONG)
    docs = {d["Reference"]: d for d in sage.documents}
    assert len(docs) == len(sage.documents) == 13 and _reference(too_long) not in docs
    assert _reference(seeded_long) not in docs
    by_email = {c["Email"]: code for code, c in sage.clients.items() if c.get("Email")}
    for order in shop.orders:
        if order is too_long or order is seeded_long:
            continue
        doc = docs[_reference(order)]
        # ours and the data set's guest checkouts (issue 13: no customer) on the generic client
        assert doc["NumeroTiers"] == ("CLIENT-WEB" if order["customer"] is None else by_email[order["email"]])
        assert doc["IdCategorieTarifaire"] == (2 if order is b2b else 1)
        assert "sage-exported" in [t.strip() for t in order["tags"].split(",")]
        assert [(m["namespace"], m["key"], m["value"]) for m in order["_metafields"]] == [
            ("sage", "piece", doc["NumeroDocument"])]
    # the rejected order: nothing sent, nothing acknowledged, in the dead letter with the rule's reason
    assert too_long["tags"] == "" and too_long["_metafields"] == []
    out, _ = _cli(project, state, env, monkeypatch, "failures")
    for rejected in (too_long, seeded_long):
        assert (f"field reject[0]: rejected: order {rejected['name']}: SKU {LONG_SKU} is 26 characters, "
                "Sage accepts 19") in out

    # ranges: one Shopify product per range, with all its variants (and nothing else)
    ranges: dict = {}
    for ref, article in sage.articles.items():
        if article.get("Gamme"):
            ranges.setdefault(article["Gamme"], set()).add(ref)
    assert len(set(shop.product_writes)) == len(ranges) == len(shop.product_writes)
    assert first["ranges_to_shop"]["created"] == len(ranges) and first["ranges_to_shop"]["failed"] == 0
    for code, refs in ranges.items():
        product = shop.product_by_handle(code.lower())
        assert product is not None and {v["sku"] for v in product["variants"]} == refs
        assert product["title"] == next(sage.articles[r]["IntituleGamme"] for r in refs)

    # tiers: one price break per tier from 2 units on, at the tier's net price
    expected = {(shop.variant_by_sku(ref)["id"], t["QteMin"], f"{t['PrixNet']:.2f}")
                for ref, a in sage.articles.items() for t in a["TarifsQuantite"] if t["QteMin"] > 1
                and shop.variant_by_sku(ref) is not None}
    assert expected and set(after_first["breaks"]) == expected and len(after_first["breaks"]) == len(expected)
    assert first["tier_prices_to_shop"]["created"] == len(expected) and first["tier_prices_to_shop"]["failed"] == 0

    # the second run of every flow sends nothing: every summary says so, and both systems are unchanged
    for flow in FLOWS:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"], again["acked"], again["found"]) == \
            (0, 0, 0, 0, 0), (flow, again)
        assert again["skipped"] == again["read"], (flow, again)
    assert _snapshot(sb) == after_first

    # `passerelle xref` lists the customers' pairs: every shop customer with the Sage code created or found
    out, _ = _cli(project, state, env, monkeypatch, "xref", "--type", "customers", "--format", "json")
    pairs = json.loads(out)
    assert len(pairs) == 80 and sorted(p["how"] for p in pairs).count("created") == SHOP_ONLY
    customers = {c["admin_graphql_api_id"]: c for c in shop.customers}
    assert {p["source_id"]: p["target_id"] for p in pairs} == {
        gid: by_email[c["email"]] for gid, c in customers.items()}
    assert {(p["source_system"], p["target_system"], p["flow"]) for p in pairs} == {
        ("shop", "sage", "customers_to_sage")}


def test_a_changed_range_member_sends_its_group_again(running, monkeypatch):
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage100")
    first = _run(project, state, env, monkeypatch, "ranges_to_shop")
    writes = len(shop.product_writes)
    sage.articles["TSHIRT-BLU-M"]["PrixVente"] = sage.articles["TSHIRT-BLU-M"]["PrixVente"] + 1
    again = _run(project, state, env, monkeypatch, "ranges_to_shop")
    assert (again["created"], again["updated"], again["skipped"]) == (0, 1, first["created"] - 1)
    tee = shop.product_by_handle("tshirt")
    assert shop.product_writes[writes:] == [tee["id"]]  # only that range, once
    assert shop.variant_by_sku("TSHIRT-BLU-M")["price"] == f"{sage.articles['TSHIRT-BLU-M']['PrixVente']:.2f}"
    assert len(tee["variants"]) == 9  # productSet replaces the variant list: every member was sent


def test_a_b2b_order_never_lands_on_the_generic_client(running, monkeypatch):
    """Orders read before their customers are in Sage: a B2C order goes to CLIENT-WEB, a B2B order fails
    naming the flow to run first, and `replay` sends it to its own account once that flow ran."""
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage100")
    b2b, b2c = shop.orders[0], shop.orders[3]
    shop.set_tags(b2b, ["b2b", "vip"])
    first = _run(project, state, env, monkeypatch, "orders_to_sage", code=3)
    assert (first["created"], first["failed"]) == (13, 2)  # the B2B order and the data set's long SKU (1013)
    docs = {d["Reference"]: d for d in sage.documents}
    assert docs[_reference(b2c)]["NumeroTiers"] == "CLIENT-WEB" and _reference(b2b) not in docs
    out, _ = _cli(project, state, env, monkeypatch, "failures")
    assert (f"field doc.NumeroTiers: shop customers {b2b['customer']['admin_graphql_api_id']} has no "
            "cross-reference yet: run the flow that creates it (customers_to_sage) first") in out

    _run(project, state, env, monkeypatch, "customers_to_sage")
    # (the replay reads both failures: 1013 is rejected again, with its reason)
    _, err = _cli(project, state, env, monkeypatch, "replay", "--flow", "orders_to_sage", code=3)
    assert "orders_to_sage: 2 read, 1 created, 0 updated, 0 skipped, 1 failed" in err
    assert f"SKU {LONG_SKU} is 26 characters" in err
    doc = next(d for d in sage.documents if d["Reference"] == _reference(b2b))
    email = b2b["email"]
    assert doc["NumeroTiers"] == next(code for code, c in sage.clients.items() if c.get("Email") == email)
    assert doc["IdCategorieTarifaire"] == 2 and "sage-exported" in b2b["tags"]
    assert len(sage.documents) == 14
    again = _run(project, state, env, monkeypatch, "orders_to_sage")
    assert again["created"] == 0 and len(sage.documents) == 14


MONEY_FLOWS = ("payments_to_sage", "refunds_to_sage", "fulfillments_to_shop")  # after customers and orders


def _paid(order: dict) -> list[dict]:
    return [t for t in order["_transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"]


def test_payments_refunds_and_fulfillments_twice_create_nothing_twice(running, monkeypatch):
    """Payments -> settlements (mode from the gateway), refunds -> credit notes linked to their order's
    document, Sage deliveries -> Shopify fulfillments with the tracking number and carrier; every flow
    run twice, the second creating nothing (counted in both simulators)."""
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage100")
    for flow in ("customers_to_sage", "orders_to_sage"):  # (1013, the data set's long SKU, is rejected)
        _run(project, state, env, monkeypatch, flow, code=3 if flow == "orders_to_sage" else 0)
    docs = {d["Reference"]: d for d in sage.documents}
    assert len(docs) == 14 and "SH_1013" not in docs
    seeded_fulfillments = list(shop.fulfillments)  # the data set's partial shipments (issue 13)
    assert {f["order"]["name"] for f in seeded_fulfillments} == {"#1012", "#1014"}
    # Sage ships two orders in full with their tracking (UPS, Colissimo), one in part
    whole = {shop.orders[0]["name"]: ("1Z999AA10123456784", 3), shop.orders[1]["name"]: ("6A12345678901", 2)}
    for name, (number, carrier) in whole.items():
        sage.deliver(docs[name.replace("#", "SH_")]["NumeroDocument"], tracking=number, carrier=carrier)
    part_order = shop.orders[2]
    first_line = part_order["line_items"][0]
    sage.deliver(docs[_reference(part_order)]["NumeroDocument"], tracking="PART-1", carrier=4,
                 quantities={first_line["sku"]: 1})
    refunded = [o for o in shop.orders if o["_refunds"]]
    assert refunded and any(r["shipping"] for o in refunded for r in o["_refunds"])  # seeded partial refunds
    documents_before = len(sage.documents)

    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in MONEY_FLOWS}

    # payments: one settlement per order (its one successful SALE or CAPTURE, never the authorisation or
    # the declined attempt), the mode mapped from the gateway, the balance of the document
    # (1013 has no document: its payment is not settled)
    assert first["payments_to_sage"]["created"] == 14 and first["payments_to_sage"]["failed"] == 0
    modes = {"paypal": 4, "ps_checkout": 3, "stripe_official": 3, "ps_wirepayment": 2, "ps_checkpayment": 1,
             "klarnapayment": 3}
    by_doc = {}
    for s in sage.settlements:
        by_doc.setdefault(s["NumeroDocument"], []).append(s)
    for order in shop.orders:
        if order["name"] == SEEDED_LONG:
            assert not sage.find_documents(_reference(order))
            continue
        (payment,) = _paid(order)
        # the partly delivered order has two documents of its reference (the BL, the rest of the BC)
        settled = [s for d in sage.find_documents(_reference(order)) for s in by_doc.get(d["NumeroDocument"], [])]
        assert len(settled) == 1, order["name"]
        assert settled[0]["IdModeReglement"] == modes[payment["gateway"]]
        assert settled[0]["Libelle"] == f"{order['name']} {payment['id'].rsplit('/', 1)[-1]}"

    # refunds: one credit note (type 5) per refund, linked to the order's document, same client, the
    # refunded line at its unit price and tax code, PORT for refunded shipping
    notes = [d for d in sage.documents if d["TypeDocument"] == 5]
    assert len(notes) == sum(len(o["_refunds"]) for o in refunded) == first["refunds_to_sage"]["created"]
    for order in refunded:
        (refund,) = order["_refunds"]
        note = next(d for d in notes if d["Reference"] == f"SR-{refund['legacyResourceId']}")
        origin = next(d for d in sage.documents if d["NumeroDocument"] == note["NumeroDocumentOrigine"])
        assert origin["Reference"] == _reference(order) and note["NumeroTiers"] == origin["NumeroTiers"]
        item = refund["items"][0]
        lines = [(l["RefArticle"], l["Quantite"], l["PrixUnitaire"], l["CodeTaxe"]) for l in note["Lignes"]]
        rate = item["line"]["tax_lines"][0]["rate"]
        codes = {0.2: "S_20", 0.055: "S_5", 0.1: "S_10", 0.021: "S_2", 0: "EXO"}
        assert lines[0][:2] == (item["line"]["sku"], 1) and lines[0][3] == codes[rate]
        assert f"{lines[0][2]:.2f}" == item["line"]["price"]
        assert [l[0] for l in lines[1:]] == (["PORT"] if refund["shipping"] else [])

    # fulfillments: the two whole deliveries fulfilled once with their tracking, every line; the partial
    # one fulfils its one unit, the order partly fulfilled
    assert (first["fulfillments_to_shop"]["created"], first["fulfillments_to_shop"]["failed"]) == (3, 0)
    made = {f["order"]["name"]: f for f in shop.fulfillments if f not in seeded_fulfillments}
    assert set(made) == {*whole, part_order["name"]}
    for name, (number, carrier) in whole.items():
        company = {3: "UPS", 2: "Colissimo"}[carrier]
        assert made[name]["tracking"] == [{"company": company, "number": number, "url": None}]
        assert made[name]["notifyCustomer"] is True and made[name]["order"]["fulfillment_status"] == "fulfilled"
        assert sorted((i["line"]["id"], i["quantity"]) for i in made[name]["items"]) == sorted(
            (line["id"], line["quantity"]) for line in made[name]["order"]["line_items"])
    part = made[part_order["name"]]
    assert [(i["line"]["id"], i["quantity"]) for i in part["items"]] == [(first_line["id"], 1)]
    assert part["tracking"] == [{"company": "DHL Express", "number": "PART-1", "url": None}]
    assert part_order["fulfillment_status"] == "partial"
    (fulfillment_order,) = part_order["_fulfillment_orders"]
    assert fulfillment_order["status"] == "IN_PROGRESS"

    # Sage delivers the rest of that order: a second fulfillment of what remained, the order fulfilled
    sage.deliver(docs[_reference(part_order)]["NumeroDocument"], tracking="PART-2", carrier=4)
    rest = _run(project, state, env, monkeypatch, "fulfillments_to_shop")
    assert (rest["created"], rest["failed"]) == (1, 0)
    second = shop.fulfillments[-1]
    assert second["order"] is part_order and second["tracking"][0]["number"] == "PART-2"
    assert sorted((i["line"]["id"], i["quantity"]) for i in second["items"]) == sorted(
        (line["id"], line["quantity"] - (1 if line is first_line else 0)) for line in part_order["line_items"]
        if line["quantity"] > (1 if line is first_line else 0))
    assert part_order["fulfillment_status"] == "fulfilled" and fulfillment_order["status"] == "CLOSED"

    # the second run creates nothing: summaries and both simulators say so
    after = (len(sage.documents), len(sage.settlements), len(shop.fulfillments))
    for flow in MONEY_FLOWS:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert (len(sage.documents), len(sage.settlements), len(shop.fulfillments)) == after
    assert documents_before + len(notes) == len(sage.documents)
    # a new state folder (a new machine) fulfils nothing again: the parcel numbers on the order's
    # fulfillments, and its closed fulfillment orders, leave every delivery note out
    fresh = _run(project, state + "-new", env, monkeypatch, "fulfillments_to_shop")
    assert (fresh["created"], fresh["failed"]) == (0, 0), fresh
    assert len(shop.fulfillments) == after[2]
