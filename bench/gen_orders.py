"""Write PrestaShop order exports for the reference example (specs/examples/prestashop-sage100):
``orders.xml``, ``order_details.xml``, ``customers.xml``, ``carriers.xml`` and ``taxes.xml`` in the
XML shape of the PrestaShop webservice (the sample files' shape), for any number of orders.

Deterministic for a given count. The orders mix several tax rates per order, tax-exempt lines (an
order detail whose ``taxes`` association is empty, as PrestaShop gives it: mapped to Sage's EXO),
a rate missing from the tax table (19.6 %), percentage reductions, vouchers (discounts), orders
without shipping, unknown carriers and payment modules.

    python bench/gen_orders.py --orders 10000 --out /tmp/orders10k
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
API = "https://shop.example.test/api"
TAXES = [(1, "20.000"), (2, "5.500"), (3, "10.000"), (4, "2.100"), (5, "0.000"), (6, "19.600")]
CARRIERS = [(1, "UPS Ground"), (2, "Colissimo"), (3, "DHL Express"), (4, "Coursier local")]
MODULES = ["ps_wirepayment", "paypal", "ps_checkpayment", "stripe_official", "ps_cashondelivery"]
PRODUCTS = [("TSHIRT-BLU-M", "T-shirt - Color : Blue, Size : M", "12.500000"), ("MUG-CLASSIC", "Classic mug", "8.000000"),
            ("THE-VERT-100G", "Thé vert bio 100 g", "6.200000"), ("LIVRE-CUISINE", "Livre « Cuisine & vins »", "24.900000"),
            ("CARTE-CADEAU", "Carte cadeau", "50.000000"), ("POSTER-A2", "Poster A2 <Paris>", "15.000000")]
NAMES = [("Claire", "Martin"), ("Jean-Luc", "Dubois"), ("Zoë", "Lefèvre"), ("Ahmed", "Benali"), ("Anne", "O'Neil")]


def ref(kind: str, ident: int) -> str:
    return f' xlink:href="{API}/{kind}/{ident}"'


def field(name: str, value: object, attrs: str = "", indent: str = "    ") -> str:
    return f"{indent}<{name}{attrs}><![CDATA[{value}]]></{name}>\n"


def write(folder: Path, orders: int, seed: int = 7) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed * 1_000_003 + orders)
    customers = max(5, orders // 4)
    paths = {name: folder / f"{name}.xml" for name in ("orders", "order_details", "customers", "carriers", "taxes")}
    detail_id = 100_000
    with open(paths["orders"], "w", encoding="utf-8") as out, open(paths["order_details"], "w", encoding="utf-8") as det:
        out.write(HEAD + "<orders>\n")
        det.write(HEAD + "<order_details>\n")
        for number in range(orders):
            oid = 10_000 + number
            rows = []
            for _ in range(rnd.choice((1, 1, 2, 2, 3, 4))):
                detail_id += 1
                ref_, name, price = rnd.choice(PRODUCTS)
                qty = rnd.randint(1, 5)
                reduction = rnd.choice(("0.00",) * 6 + ("10.00", "25.00"))
                roll = rnd.random()
                tax = None if roll < 0.002 else (6 if roll < 0.004 else rnd.choice((1, 1, 1, 2, 3, 4, 5)))
                rows.append((detail_id, ref_, name, price, qty, reduction, tax))
                taxes = (f'      <taxes nodeType="tax" api="taxes">\n        <tax{ref("taxes", tax)}>\n'
                         f'          <id><![CDATA[{tax}]]></id>\n        </tax>\n      </taxes>\n') if tax else \
                    '      <taxes nodeType="tax" api="taxes"/>\n'
                det.write("  <order_detail>\n" + field("id", detail_id) + field("id_order", oid, ref("orders", oid))
                          + field("product_quantity", qty) + field("product_name", name) + field("product_reference", ref_)
                          + field("product_price", price) + field("reduction_percent", reduction)
                          + field("reduction_amount", "0.000000") + field("unit_price_tax_excl", price)
                          + field("total_price_tax_excl", price) + "    <associations>\n" + taxes
                          + "    </associations>\n  </order_detail>\n")
            shipping = rnd.choice(("0.000000", "5.000000", "8.280000", "12.500000"))
            discount = rnd.choice(("0.000000",) * 5 + ("3.000000", "10.000000"))
            day = rnd.randint(1, 28)
            month = rnd.randint(1, 12)
            hour = rnd.randint(0, 23)
            stamp = f"2024-{month:02d}-{day:02d} {hour:02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}"
            customer = rnd.randint(1, customers)
            carrier = rnd.choice((1, 1, 2, 2, 3, 4))
            total = f"{rnd.randint(10, 900)}.{rnd.randint(0, 99):02d}0000"
            out.write("  <order>\n" + field("id", oid)
                      + field("id_address_delivery", oid + 7, ref("addresses", oid + 7))
                      + field("id_cart", oid + 300, ref("carts", oid + 300))
                      + field("id_currency", 1, ref("currencies", 1)) + field("id_lang", 1, ref("languages", 1))
                      + field("id_customer", customer, ref("customers", customer))
                      + field("id_carrier", carrier, ref("carriers", carrier))
                      + field("current_state", 2, ref("order_states", 2)) + field("module", rnd.choice(MODULES))
                      + field("invoice_number", number + 1) + field("invoice_date", stamp)
                      + field("delivery_date", "0000-00-00 00:00:00") + field("valid", 1)
                      + field("date_add", stamp) + field("date_upd", stamp)
                      + '    <shipping_number notFilterable="true"></shipping_number>\n    <note></note>\n'
                      + field("secure_key", "3f2c9a7e5b1d4c8f9a0b6e2d7c1f5a93") + field("payment", "Bank transfer")
                      + field("total_discounts", discount) + field("total_discounts_tax_incl", discount)
                      + field("total_discounts_tax_excl", discount) + field("total_paid", total)
                      + field("total_paid_tax_incl", total) + field("total_paid_tax_excl", total)
                      + field("total_products", total) + field("total_shipping", shipping)
                      + field("total_shipping_tax_incl", shipping) + field("total_shipping_tax_excl", shipping)
                      + field("carrier_tax_rate", rnd.choice(("20.000", "20.000", "10.000")))
                      + field("conversion_rate", "1.000000") + field("reference", f"REF{oid}")
                      + '    <associations>\n      <order_rows nodeType="order_row" virtualEntity="true">\n')
            for did, ref_, name, price, qty, _, _ in rows:
                out.write("        <order_row>\n" + field("id", did, indent="          ")
                          + field("product_id", 12, ref("products", 12), "          ")
                          + field("product_quantity", qty, indent="          ")
                          + field("product_name", name.replace("]]>", ""), indent="          ")
                          + field("product_reference", ref_, indent="          ")
                          + "          <product_ean13></product_ean13>\n"
                          + field("product_price", price, indent="          ")
                          + field("unit_price_tax_incl", price, indent="          ")
                          + field("unit_price_tax_excl", price, indent="          ") + "        </order_row>\n")
            out.write("      </order_rows>\n    </associations>\n  </order>\n")
        out.write("</orders>\n</prestashop>\n")
        det.write("</order_details>\n</prestashop>\n")
    with open(paths["customers"], "w", encoding="utf-8") as out:
        out.write(HEAD + "<customers>\n")
        for cid in range(1, customers + 1):
            first, last = NAMES[cid % len(NAMES)]
            out.write("  <customer>\n" + field("id", cid) + field("lastname", last) + field("firstname", first)
                      + field("email", f"client{cid}@example.test") + "    <company></company>\n"
                      + field("date_add", "2024-01-02 10:00:00") + "  </customer>\n")
        out.write("</customers>\n</prestashop>\n")
    with open(paths["carriers"], "w", encoding="utf-8") as out:
        out.write(HEAD + "<carriers>\n" + "".join("  <carrier>\n" + field("id", cid) + field("name", name)
                                                  + field("active", 1) + "  </carrier>\n" for cid, name in CARRIERS)
                  + "</carriers>\n</prestashop>\n")
    with open(paths["taxes"], "w", encoding="utf-8") as out:
        out.write(HEAD + "<taxes>\n" + "".join("  <tax>\n" + field("id", tid) + field("rate", rate)
                                               + field("active", 1) + "  </tax>\n" for tid, rate in TAXES)
                  + "</taxes>\n</prestashop>\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for name, path in write(args.out, args.orders).items():
        print(f"{path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
