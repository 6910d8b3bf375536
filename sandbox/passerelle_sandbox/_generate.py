"""Seeded generation of the sandbox data set (see :mod:`.dataset` for the model and money rules).

Every entity draws from its own ``random.Random(f"{seed}:{kind}:{id}")``, so order 1017 is the same
whatever the number of orders asked for. Feature coverage is driven by the order id, so any run with
about ten orders or more has orders without shipping, with a voucher, with percentage and amount
reductions, several tax rates in one order, each payment module and both states 2 and 3.
Reference entities of the PrestaShop example order (products 12/27, combination 34, customer 56, address 87,
carrier 3, order 1042) are fixed.

The hard cases of issue 13, the same for every shop (order 1042 keeps none of them):

* id ending in 5: a **guest checkout** — its customer is a guest copy (``is_guest``, id 500000 + order id,
  address 600000 + order id, not in Sage) of the customer drawn;
* id ≡ 0 (mod 5): a **partial refund** of one unit of the first line, ≡ 0 (mod 10) with the shipping;
* id ≡ 12 (mod 20): **two coupons** (WELCOME3 + PROMO5), **free shipping** (a carrier, shipping 0), a
  **gift-wrap fee** (2.50 excl. at 20 %) and a **partial shipment**;
* id ≡ 13 (mod 20): a **returning customer** (56, who also has order 1042), **local pickup** (carrier 5,
  no shipping), its last line the article whose SKU is longer than Sage's 19 characters
  (``BOUGIE-PARFUMEE-VANILLE-XL``, product 21), which no other order draws;
* id ≡ 14 (mod 20): a **B2B customer** (a company), in **GBP** (0.85 per EUR), a **tax-exempt line** (a gift
  card) and a **partial shipment**;
* B2B customers (every id ≡ 3 mod 7), tax-exempt lines and returning customers also come at random.

So any data set of 15 orders or more (ids 1001…1014 and 1042) has each case.
"""
from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal

from passerelle_sandbox import _cases
from passerelle_sandbox.dataset import (
    Article, Carrier, Combination, Customer, Dataset, History, Order, OrderLine, Product, Tax, Voucher, q2,
)

D = Decimal
FMT = "%Y-%m-%d %H:%M:%S"

TAXES = [
    Tax(1, D("20.000"), "TVA FR 20%", "S_20"),
    Tax(2, D("5.500"), "TVA FR 5.5%", "S_5"),
    Tax(3, D("10.000"), "TVA FR 10%", "S_10"),
    Tax(4, D("2.100"), "TVA FR 2.1%", "S_2"),
    Tax(5, D("0.000"), "Exonéré 0%", "EXO"),
]

CARRIERS = [
    Carrier(1, "UPS Ground", "Delivery in 2-3 days", "https://www.ups.com/track?tracknum=@"),
    Carrier(2, "Colissimo", "Livraison en 48 h", "https://www.laposte.fr/outils/suivre-vos-envois?code=@"),
    Carrier(3, "DHL Express", "Next business day", "https://www.dhl.com/track?AWB=@"),
    Carrier(4, "Coursier Local", "Same day (Paris only)", ""),
    Carrier(5, "Retrait en magasin", "Pickup in store", "", True, True),
]
LONG_SKU_PRODUCT = 21  # its reference is _cases.LONG_SKU, longer than Sage's 19 characters

# (module, payment label); the last module is deliberately unknown to usual mapping tables.
PAYMENTS = [
    ("paypal", "PayPal"), ("ps_checkout", "Carte bancaire"), ("stripe_official", "Stripe"),
    ("ps_wirepayment", "Bank transfer"), ("ps_checkpayment", "Payment by check"),
    ("klarnapayment", "Klarna"),
]
FIRST_STATE = {"ps_wirepayment": 10, "ps_checkpayment": 1}

VOUCHERS = [(9, "WELCOME3", D("3.00")), (10, "PROMO5", D("5.00")), (11, "FIDELITE10", D("10.00"))]

SHIPPING = {1: [D("6.90"), D("8.90")], 2: [D("4.95"), D("6.50")], 3: [D("5.00"), D("12.50")], 4: [D("9.00")]}

# prefix, english name, french name, tax id, base price, variant kind
FAMILIES = [
    ("SWEAT", "Hoodie", "Sweat à capuche", 1, D("39.90"), "size"),
    ("CASQ", "Cap", "Casquette", 1, D("14.00"), "color"),
    ("LIVRE", "Cookbook", "Livre de cuisine", 2, D("24.50"), ""),
    ("THE", "Organic green tea 100 g", "Thé vert bio 100 g", 2, D("6.20"), ""),
    ("CAFE", "Coffee beans 250 g", "Café en grains 250 g", 2, D("7.80"), ""),
    ("PLANTE", "Aromatic plant", "Plante aromatique", 3, D("4.50"), ""),
    ("MAG", "Garden magazine", "Magazine Jardin", 4, D("5.90"), ""),
    ("CARTE-CADEAU", "Gift card", "Carte cadeau", 5, D("50.00"), ""),
    ("POSTER", "Poster", "Affiche", 1, D("18.00"), ""),
    ("BOUGIE", "Scented candle", "Bougie parfumée", 1, D("16.90"), ""),
    ("TOTE", "Canvas tote bag", "Sac en toile", 1, D("12.00"), "color"),
]
COLORS = [("BLU", "Blue"), ("RED", "Red"), ("BLK", "Black"), ("WHT", "White")]
SIZES = ["S", "M", "L", "XL"]

FIRSTNAMES = ["Camille", "Lucas", "Léa", "Hugo", "Manon", "Louis", "Chloé", "Gabriel", "Inès", "Jules",
              "Sarah", "Arthur", "Zoé", "Nathan", "Élodie", "Théo", "Anaïs", "Maël", "Julie", "Noé"]
LASTNAMES = ["Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
             "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Müller",
             "Fontaine", "Girard"]
CITIES = [("FR", "75011", "Paris"), ("FR", "69003", "Lyon"), ("FR", "33000", "Bordeaux"),
          ("FR", "59000", "Lille"), ("FR", "13006", "Marseille"), ("FR", "44000", "Nantes"),
          ("BE", "1000", "Bruxelles"), ("LU", "L-1111", "Luxembourg")]
STREETS = ["rue des Lilas", "avenue Jean Jaurès", "boulevard Voltaire", "rue de la Paix", "chemin des Vignes",
           "place du Marché", "rue Pasteur"]

ANCHOR_ID = 1042
ANCHOR_DATE = datetime(2024, 5, 14, 10, 21, 7)


def _rng(seed: int, kind: str, key: object) -> random.Random:
    return random.Random(f"{seed}:{kind}:{key}")


def _ean(serial: int) -> str:
    body = f"3760000{serial:05d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


# -- catalogue ------------------------------------------------------------------------------------

def _catalogue(seed: int) -> tuple[list[Product], list[Article]]:
    products: list[Product] = []
    tshirt = Product(12, "TSHIRT", "T-shirt", "T-shirt", D("12.50"), 1, "3760000000005", D("0.200"),
                     "2023-09-01 09:00:00")
    combo_id = 33
    for code, color in COLORS[:2] + COLORS[3:]:
        for size in SIZES[:3]:
            ref = f"TSHIRT-{code}-{size}"
            ean = "3760000000012" if ref == "TSHIRT-BLU-M" else _ean(100 + combo_id)
            tshirt.combinations.append(Combination(combo_id, ref, [["Color", color], ["Size", size]],
                                                   D("1.00") if size == "L" else D("0.00"), ean))
            combo_id += 1
    mug = Product(27, "MUG-CLASSIC", "Classic mug", "Mug classique", D("8.00"), 1, "3760000000029",
                  D("0.350"), "2023-09-01 09:05:00")
    next_combo = 100
    for pid in range(1, 31):
        if pid == 12:
            products.append(tshirt)
            continue
        if pid == 27:
            products.append(mug)
            continue
        rng = _rng(seed, "product", pid)
        prefix, en, fr, tax_id, base, variant = FAMILIES[(pid - 1) % len(FAMILIES)]
        price = q2(base * D(rng.choice([90, 100, 100, 110, 125])) / D(100))
        ref = _cases.LONG_SKU if pid == LONG_SKU_PRODUCT else f"{prefix}-{pid:03d}"
        product = Product(pid, ref, f"{en} #{pid}", f"{fr} n°{pid}", price, tax_id, _ean(pid),
                          D(rng.choice(["0.150", "0.300", "0.450", "0.800"])),
                          (datetime(2023, 9, 1) + timedelta(days=pid)).strftime(FMT))
        if variant == "size":
            for size in SIZES:
                product.combinations.append(Combination(
                    next_combo, f"{ref}-{size}", [["Size", size]],
                    D("2.00") if size == "XL" else D("0.00"), _ean(200 + next_combo)))
                next_combo += 1
        elif variant == "color":
            for code, color in rng.sample(COLORS, 3):
                product.combinations.append(Combination(
                    next_combo, f"{ref}-{code}", [["Color", color]], D("0.00"), _ean(200 + next_combo)))
                next_combo += 1
        products.append(product)

    articles: list[Article] = []
    for product in products:  # (the long SKU's article gets its Sage reference below)
        items = product.combinations or [None]
        for combo in items:
            rng = _rng(seed, "stock", combo.reference if combo else product.reference)
            shop = rng.randint(0, 120)
            sage = max(0, shop + rng.randint(-5, 20))
            if combo is None:
                articles.append(Article(product.reference, product.name_en, product.id, 0, product.price,
                                        product.tax_id, product.ean13, shop, sage, product.reference.split("-")[0]))
            else:
                label = ", ".join(f"{k} : {v}" for k, v in combo.attributes)
                articles.append(Article(combo.reference, f"{product.name_en} - {label}", product.id, combo.id,
                                        product.price + combo.price_impact, product.tax_id, combo.ean13,
                                        shop, sage, product.reference.split("-")[0]))
    for article in articles:
        if article.reference == _cases.LONG_SKU:
            article.sage_reference = _cases.LONG_SKU_IN_SAGE
    return products, articles


# -- customers ------------------------------------------------------------------------------------

def _customers(seed: int, count: int, shop_only: int) -> list[Customer]:
    out = []
    count = max(count, 56)
    for cid in range(1, count + 1):
        rng = _rng(seed, "customer", cid)
        if cid == 56:
            first, last, email = "Claire", "Martin", "claire.martin@example.test"
            iso, postcode, city = "FR", "75011", "Paris"
            street = "12 rue des Lilas"
        else:
            first, last = rng.choice(FIRSTNAMES), rng.choice(LASTNAMES)
            email = f"{_ascii(first)}.{_ascii(last)}{cid}@example.test"
            iso, postcode, city = rng.choice(CITIES)
            street = f"{rng.randint(1, 140)} {rng.choice(STREETS)}"
        company = f"Atelier {last}" if cid % 7 == 3 else ""
        phone = f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        date_add = (datetime(2023, 1, 2, 9, 0, 0) + timedelta(days=cid * 3, minutes=cid * 7)).strftime(FMT)
        in_sage = cid == 56 or cid <= count - shop_only
        out.append(Customer(cid, first, last, email, cid + 31, street, postcode, city, iso, phone,
                            date_add, company, in_sage))
    return out


# -- orders ---------------------------------------------------------------------------------------

def _order_ids(n: int) -> list[int]:
    if n < 1:
        return []
    if n >= ANCHOR_ID - 1000:
        return list(range(1001, 1001 + n))
    return list(range(1001, 1000 + n)) + [ANCHOR_ID]


def _dates(seed: int, ids: list[int]) -> dict[int, datetime]:
    """date_add per id: fixed for 1042, gaps of 20 min to 5 h between consecutive ids."""
    if not ids:
        return {}
    gap = {k: timedelta(minutes=_rng(seed, "gap", k).randint(20, 300)) for k in range(min(ids), max(ids) + 2)}
    dates = {ANCHOR_ID: ANCHOR_DATE}
    for k in range(ANCHOR_ID + 1, max(ids) + 1):
        dates[k] = dates[k - 1] + gap[k]
    for k in range(ANCHOR_ID - 1, min(ids) - 1, -1):
        dates[k] = dates[k + 1] - gap[k + 1]
    return {k: dates[k] for k in ids}


def _reference(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(9))


def _anchor_order() -> Order:
    """Order 1042, the fixed reference order (same ids, lines and totals whatever the seed)."""
    lines = [
        OrderLine(2201, 12, 34, "TSHIRT-BLU-M", "T-shirt - Color : Blue, Size : M", "3760000000012", 2,
                  D("12.50"), 1, D("20.000")),
        OrderLine(2202, 27, 0, "MUG-CLASSIC", "Classic mug", "3760000000029", 1, D("8.00"), 1, D("20.000")),
    ]
    histories = [History(0, 10, "2024-05-14 10:21:07"), History(0, 2, "2024-05-14 10:21:09")]
    return Order(ANCHOR_ID, "LJHRTGKQE", 56, 87, 1311, 3, "ps_wirepayment", "Bank transfer", 2,
                 "2024-05-14 10:21:07", "2024-05-14 10:21:09", 318, "2024-05-14 10:21:09",
                 "3f2c9a7e5b1d4c8f9a0b6e2d7c1f5a93", lines, D("5.00"), D("20.000"), 990, 301, D("0.700"),
                 histories, Voucher(77, 9, "WELCOME3", D("3.00"), D("3.60")))


def _pick_lines(seed: int, rng: random.Random, oid: int, articles: list[Article], taxes: dict[int, Tax]) -> list[Article]:
    count = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
    picked = rng.sample(articles, count)
    if oid % 2 == 1:  # guarantee several tax rates in one order
        if len(picked) < 2:
            picked.append(rng.choice([a for a in articles if a not in picked]))
        if len({a.tax_id for a in picked}) < 2:
            other = [a for a in articles if a.tax_id != picked[0].tax_id and a not in picked]
            picked[-1] = rng.choice(other)
    for k, article in enumerate(picked):  # the long SKU is only its case's (≡ 13 mod 20): same tax, other article
        if article.reference == _cases.LONG_SKU:
            others = [a for a in articles if a.tax_id == article.tax_id and a.reference != _cases.LONG_SKU
                      and a not in picked]
            picked[k] = _rng(seed, "no-long-sku", oid).choice(others)
    return picked


def _generated_order(seed: int, oid: int, when: datetime, customers: list[Customer],
                     articles: list[Article], taxes: dict[int, Tax]) -> Order:
    rng = _rng(seed, "order", oid)
    customer = rng.choice(customers)
    module, payment = PAYMENTS[oid % len(PAYMENTS)]
    state = 3 if oid % 3 == 0 else 2
    carrier_id = 4 if oid % 10 == 7 else rng.choice([1, 2, 3])
    lines: list[OrderLine] = []
    for article in _pick_lines(seed, rng, oid, articles, taxes):
        lines.append(OrderLine(0, article.product_id, article.attribute_id, article.reference, article.name,
                               article.ean13, rng.choice([1, 1, 1, 2, 2, 3, 4]), article.price,
                               article.tax_id, taxes[article.tax_id].rate))
    if oid % 3 == 1:
        lines[0].reduction_percent = D(rng.choice(["10", "15", "20", "25", "50"]))
    if oid % 5 == 3:
        target = lines[-1] if len(lines) > 1 or not lines[0].reduction_percent else None
        if target is not None and not target.reduction_percent:
            target.reduction_amount_excl = min(D(rng.choice(["0.50", "1.00", "2.00"])), target.price - D("0.50"))
    shipping = D("0.00") if oid % 6 == 0 else rng.choice(SHIPPING[carrier_id])
    voucher = None
    draft = Order(oid, "", customer.id, customer.address_id, oid + 269, carrier_id, module, payment, state,
                  "", "", oid - 724, "", "", lines, shipping, D("20.000"), oid - 52, oid - 741, D("0"), [], None)
    if oid % 4 == 2:
        fitting = [v for v in VOUCHERS if v[2] < draft.products_excl]
        if fitting:
            cart_rule_id, name, excl = rng.choice(fitting)
            incl = q2(excl * draft.products_incl / draft.products_excl)
            voucher = Voucher(0, cart_rule_id, name, excl, incl)
    paid_at = when + timedelta(seconds=rng.randint(2, 120))
    histories = []
    if module in FIRST_STATE:
        histories.append(History(0, FIRST_STATE[module], when.strftime(FMT)))
    histories.append(History(0, 2, paid_at.strftime(FMT)))
    last = paid_at
    if state == 3:
        last = paid_at + timedelta(minutes=rng.randint(5, 15))
        histories.append(History(0, 3, last.strftime(FMT)))
    draft.reference = _reference(rng)
    draft.date_add = when.strftime(FMT)
    draft.date_upd = last.strftime(FMT)
    draft.invoice_date = paid_at.strftime(FMT)
    draft.secure_key = "%032x" % rng.getrandbits(128)
    draft.weight = sum((D("0.300") * line.quantity for line in lines), D("0")) + D("0.100")
    draft.histories = histories
    draft.voucher = voucher
    draft.vouchers = [voucher] if voucher else []
    return draft


def _number_children(orders: list[Order]) -> None:
    """Ids of lines, cart rules and histories: fixed for 1042, counted outwards from it."""
    before = [o for o in orders if o.id < ANCHOR_ID]
    after = [o for o in orders if o.id > ANCHOR_ID]
    line_id, rule_id, hist_id = 2200, 76, 2000
    for order in reversed(before):
        for line in reversed(order.lines):
            line.id, line_id = line_id, line_id - 1
        if order.voucher:
            order.voucher.order_cart_rule_id, rule_id = rule_id, rule_id - 1
        _number_extra_vouchers(order)
        for history in reversed(order.histories):
            history.id, hist_id = hist_id, hist_id - 1
    line_id, rule_id, hist_id = 2203, 78, 2003
    for order in orders:
        if order.id == ANCHOR_ID:
            order.histories[0].id, order.histories[1].id = 2001, 2002
    for order in after:
        for line in order.lines:
            line.id, line_id = line_id, line_id + 1
        if order.voucher:
            order.voucher.order_cart_rule_id, rule_id = rule_id, rule_id + 1
        _number_extra_vouchers(order)
        for history in order.histories:
            history.id, hist_id = hist_id, hist_id + 1


def _number_extra_vouchers(order: Order) -> None:
    """A second coupon gets ``100000 + order id × 10 + k`` (the first keeps the shared sequence)."""
    for k, voucher in enumerate(order.vouchers[1:], start=1):
        voucher.order_cart_rule_id = 100000 + order.id * 10 + k


def build(seed: int, n_orders: int, n_customers: int, shop_only_customers: int, cases: bool = True) -> Dataset:
    products, articles = _catalogue(seed)
    customers = _customers(seed, n_customers, shop_only_customers)
    taxes = {t.id: t for t in TAXES}
    ids = _order_ids(n_orders)
    dates = _dates(seed, ids)
    orders = [
        _anchor_order() if oid == ANCHOR_ID else _generated_order(seed, oid, dates[oid], customers, articles, taxes)
        for oid in ids
    ]
    if cases:
        _cases.seed_cases(seed, orders, customers, articles, taxes)
    _number_children(orders)
    if cases:
        _cases.seed_movements(seed, orders)
    return Dataset(seed, [Tax(t.id, t.rate, t.name, t.sage_code) for t in TAXES],
                   [Carrier(c.id, c.name, c.delay, c.url, c.is_free, c.pickup) for c in CARRIERS],
                   customers, products, articles, orders)
