"""Build the PrestaShop tables (resource → {id: record}) from the neutral :class:`Dataset`.

Records hold Python values (int, Decimal, str, ``{lang_id: text}`` for i18n, None for NULL) plus an
``associations`` dict; :mod:`.ps_render` formats them. Values follow PrestaShop 8.x's column types and
the reference order (order 1042, its rows, cart rule 77, order carrier 990, tax 1). Languages are 1 = English,
2 = French. Order state ids follow a typical fresh install [unverified], plus
14 "Exported to ERP", a dedicated state for orders handed to the ERP.
"""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset, q2

__all__ = ["COUNTRY_IDS", "ORDER_STATES", "build_tables", "tax_group"]

D = Decimal
COUNTRY_IDS = {"FR": 8, "BE": 3, "LU": 12}



def tax_group(tax_id: int, rate: Decimal) -> int:
    """The product's tax rules group: 0 ("No tax") for a tax-exempt (0 %) product such as a gift card.

    Its order details then have ``id_tax_rules_group`` 0 and an EMPTY ``taxes`` association: the
    webservice getter ``OrderDetail::getWsTaxes`` selects the ``order_detail_tax`` rows, and PrestaShop
    writes none for an untaxed product (PrestaShop/PrestaShop ``classes/order/OrderDetail.php``)."""
    return tax_id if rate else 0


# id: (english, french, paid, shipped, delivery, logable, invoice, color, template)
ORDER_STATES: dict[int, tuple[str, str, int, int, int, int, int, str, str]] = {
    1: ("Awaiting check payment", "En attente du paiement par chèque", 0, 0, 0, 0, 0, "#34209E", "cheque"),
    2: ("Payment accepted", "Paiement accepté", 1, 0, 0, 1, 1, "#3498D8", "payment"),
    3: ("Processing in progress", "En cours de préparation", 1, 0, 0, 1, 1, "#3498D8", "preparation"),
    4: ("Shipped", "Expédié", 1, 1, 1, 1, 1, "#01B887", "shipped"),
    5: ("Delivered", "Livré", 1, 1, 1, 1, 1, "#01B887", ""),
    6: ("Canceled", "Annulé", 0, 0, 0, 0, 0, "#2C3E50", "order_canceled"),
    7: ("Refunded", "Remboursé", 1, 0, 0, 0, 1, "#ED2B2B", "refund"),
    8: ("Payment error", "Erreur de paiement", 0, 0, 0, 0, 0, "#ED2B2B", "payment_error"),
    9: ("On backorder (paid)", "En attente de réapprovisionnement (payé)", 1, 0, 0, 1, 1, "#3498D8", "outofstock"),
    10: ("Awaiting bank wire payment", "En attente de virement bancaire", 0, 0, 0, 0, 0, "#34209E", "bankwire"),
    11: ("Remote payment accepted", "Paiement à distance accepté", 1, 0, 0, 1, 1, "#3498D8", "payment"),
    12: ("On backorder (not paid)", "En attente de réapprovisionnement (non payé)", 0, 0, 0, 0, 0, "#34209E",
         "outofstock"),
    13: ("Awaiting Cash On Delivery validation", "En attente de validation (contre-remboursement)", 0, 0, 0, 0, 0,
         "#34209E", "cashondelivery"),
    14: ("Exported to ERP", "Exportée vers l'ERP", 1, 0, 0, 1, 1, "#8E44AD", ""),
}

Table = dict[int, dict[str, Any]]


def _i18n(en: str, fr: str | None = None) -> dict[int, str]:
    return {1: en, 2: en if fr is None else fr}


def _orders(ds: Dataset) -> tuple[Table, Table, Table, Table, Table]:
    orders: Table = {}
    details: Table = {}
    histories: Table = {}
    carriers: Table = {}
    cart_rules: Table = {}
    for o in ds.orders:
        rows = []
        for line in o.lines:
            rows.append({
                "id": line.id, "product_id": line.product_id, "product_attribute_id": line.attribute_id,
                "product_quantity": line.quantity, "product_name": line.name, "product_reference": line.reference,
                "product_ean13": line.ean13, "product_isbn": "", "product_upc": "", "product_price": line.price,
                "id_customization": 0, "unit_price_tax_incl": line.unit_incl, "unit_price_tax_excl": line.unit_excl,
            })
            details[line.id] = {
                "id": line.id, "id_order": o.id, "product_id": line.product_id,
                "product_attribute_id": line.attribute_id, "product_quantity_reinjected": 0,
                "group_reduction": D(0), "discount_quantity_applied": 0, "download_hash": "",
                "download_deadline": "0000-00-00 00:00:00", "id_order_invoice": o.order_invoice_id,
                "id_warehouse": 0, "id_shop": 1, "id_customization": 0, "product_name": line.name,
                "product_quantity": line.quantity, "product_quantity_in_stock": line.quantity,
                "product_quantity_return": 0, "product_quantity_refunded": 0, "product_price": line.price,
                "reduction_percent": line.reduction_percent, "reduction_amount": line.reduction_amount_incl,
                "reduction_amount_tax_incl": line.reduction_amount_incl,
                "reduction_amount_tax_excl": line.reduction_amount_excl, "product_quantity_discount": D(0),
                "product_ean13": line.ean13, "product_isbn": "", "product_upc": "", "product_mpn": "",
                "product_reference": line.reference, "product_supplier_reference": "",
                "product_weight": D("0.300"), "tax_computation_method": 0,
                "id_tax_rules_group": tax_group(line.tax_id, line.tax_rate),
                "ecotax": D(0), "ecotax_tax_rate": D(0), "download_nb": 0,
                "unit_price_tax_incl": line.unit_incl, "unit_price_tax_excl": line.unit_excl,
                "total_price_tax_incl": line.total_incl, "total_price_tax_excl": line.total_excl,
                "total_shipping_price_tax_excl": D(0), "total_shipping_price_tax_incl": D(0),
                "purchase_supplier_price": q2(line.price * D("0.45")), "original_product_price": line.price,
                "original_wholesale_price": q2(line.price * D("0.45")), "total_refunded_tax_excl": D(0),
                "total_refunded_tax_incl": D(0),
                # a tax-exempt product has no order_detail_tax row: PrestaShop's getWsTaxes gives no taxes
                "associations": {"taxes": [{"id": line.tax_id}] if line.tax_rate else []},
            }
        orders[o.id] = {
            "id": o.id, "id_address_delivery": o.address_id, "id_address_invoice": o.address_id,
            "id_cart": o.cart_id, "id_currency": 1, "id_lang": 1, "id_customer": o.customer_id,
            "id_carrier": o.carrier_id, "current_state": o.current_state, "module": o.module,
            "invoice_number": o.invoice_number, "invoice_date": o.invoice_date, "delivery_number": 0,
            "delivery_date": "0000-00-00 00:00:00", "valid": 1, "date_add": o.date_add, "date_upd": o.date_upd,
            "shipping_number": "", "note": "", "id_shop_group": 1, "id_shop": 1, "secure_key": o.secure_key,
            "payment": o.payment, "recyclable": 0, "gift": 0, "gift_message": "", "mobile_theme": 0,
            "total_discounts": o.discounts_incl, "total_discounts_tax_incl": o.discounts_incl,
            "total_discounts_tax_excl": o.discounts_excl, "total_paid": o.total_paid_incl,
            "total_paid_tax_incl": o.total_paid_incl, "total_paid_tax_excl": o.total_paid_excl,
            "total_paid_real": o.total_paid_incl, "total_products": o.products_excl,
            "total_products_wt": o.products_incl, "total_shipping": o.shipping_incl,
            "total_shipping_tax_incl": o.shipping_incl, "total_shipping_tax_excl": o.shipping_excl,
            "carrier_tax_rate": o.carrier_tax_rate, "total_wrapping": D(0), "total_wrapping_tax_incl": D(0),
            "total_wrapping_tax_excl": D(0), "round_mode": 2, "round_type": 2, "conversion_rate": D(1),
            "reference": o.reference, "associations": {"order_rows": rows},
        }
        for h in o.histories:
            histories[h.id] = {"id": h.id, "id_employee": 0, "id_order_state": h.state, "id_order": o.id,
                               "date_add": h.date}
        carriers[o.order_carrier_id] = {
            "id": o.order_carrier_id, "id_order": o.id, "id_carrier": o.carrier_id,
            "id_order_invoice": o.order_invoice_id, "weight": o.weight, "shipping_cost_tax_excl": o.shipping_excl,
            "shipping_cost_tax_incl": o.shipping_incl, "tracking_number": "", "date_add": o.date_add,
        }
        if o.voucher:
            v = o.voucher
            cart_rules[v.order_cart_rule_id] = {
                "id": v.order_cart_rule_id, "id_order": o.id, "id_cart_rule": v.cart_rule_id,
                "id_order_invoice": o.order_invoice_id, "name": v.name, "value": v.amount_incl,
                "value_tax_excl": v.amount_excl, "free_shipping": 0, "deleted": 0,
            }
    return orders, details, histories, carriers, cart_rules


def _catalogue(ds: Dataset) -> tuple[Table, Table, Table]:
    products: Table = {}
    combinations: Table = {}
    stock: Table = {}
    by_ref = {a.reference: a for a in ds.articles}
    stock_id = 1
    for p in ds.products:
        stock_rows = []
        product_stock_id = stock_id
        stock_id += 1
        total = 0
        for c in p.combinations:
            qty = by_ref[c.reference].stock_shop
            total += qty
            stock[stock_id] = _stock_row(stock_id, p.id, c.id, qty)
            stock_rows.append({"id": stock_id, "id_product_attribute": c.id})
            stock_id += 1
            combinations[c.id] = {
                "id": c.id, "id_product": p.id, "location": "", "ean13": c.ean13, "isbn": "", "upc": "", "mpn": "",
                "quantity": qty, "reference": c.reference, "supplier_reference": "",
                "wholesale_price": D(0), "price": c.price_impact, "ecotax": D(0), "weight": D(0),
                "unit_price_impact": D(0), "minimal_quantity": 1, "default_on": 1 if c is p.combinations[0] else 0,
                "available_date": "0000-00-00", "associations": {"product_option_values": []},
            }
        if not p.combinations:
            total = by_ref[p.reference].stock_shop
        stock[product_stock_id] = _stock_row(product_stock_id, p.id, 0, total)
        stock_rows.insert(0, {"id": product_stock_id, "id_product_attribute": 0})
        products[p.id] = {
            "id": p.id, "id_manufacturer": 0, "id_supplier": 0, "id_category_default": 2,
            "id_default_combination": p.combinations[0].id if p.combinations else 0,
            "id_tax_rules_group": tax_group(p.tax_id, ds.tax(p.tax_id).rate), "type": "combinations" if p.combinations else "simple",
            "reference": p.reference, "supplier_reference": "", "ean13": p.ean13, "isbn": "", "upc": "", "mpn": "",
            "weight": p.weight, "product_type": "combinations" if p.combinations else "standard",
            "minimal_quantity": 1, "price": p.price, "wholesale_price": q2(p.price * D("0.45")), "active": 1,
            "available_for_order": 1, "visibility": "both", "state": 1, "date_add": p.date_add,
            "date_upd": p.date_add, "name": _i18n(p.name_en, p.name_fr),
            "link_rewrite": _i18n(p.reference.lower()), "description_short": _i18n("", ""),
            "associations": {"combinations": [{"id": c.id} for c in p.combinations],
                             "stock_availables": stock_rows},
        }
    return products, combinations, stock


def _stock_row(sid: int, product_id: int, attribute_id: int, qty: int) -> dict[str, Any]:
    return {"id": sid, "id_product": product_id, "id_product_attribute": attribute_id, "id_shop": 1,
            "id_shop_group": 0, "quantity": qty, "depends_on_stock": 0, "out_of_stock": 2, "location": ""}


def _people(ds: Dataset) -> tuple[Table, Table]:
    customers: Table = {}
    addresses: Table = {}
    for c in ds.customers:
        customers[c.id] = {
            "id": c.id, "id_default_group": 3, "id_lang": 1, "newsletter_date_add": "0000-00-00 00:00:00",
            "deleted": 0, "lastname": c.lastname, "firstname": c.firstname, "email": c.email,
            "id_gender": 2 if c.id % 2 == 0 else 1, "birthday": "0000-00-00", "newsletter": 0, "optin": 0,
            "website": "", "company": c.company, "siret": "", "ape": "", "active": 1, "note": "", "is_guest": 0,
            "id_shop": 1, "id_shop_group": 1, "date_add": c.date_add, "date_upd": c.date_add,
            "associations": {"groups": [{"id": 3}]},
        }
        addresses[c.address_id] = {
            "id": c.address_id, "id_customer": c.id, "id_manufacturer": 0, "id_supplier": 0, "id_warehouse": 0,
            "id_country": COUNTRY_IDS[c.country_iso], "id_state": 0, "alias": "Mon adresse", "company": c.company,
            "lastname": c.lastname, "firstname": c.firstname, "vat_number": "", "address1": c.address1,
            "address2": "", "postcode": c.postcode, "city": c.city, "other": "", "phone": c.phone,
            "phone_mobile": "", "dni": "", "deleted": 0, "date_add": c.date_add, "date_upd": c.date_add,
        }
    return customers, addresses


def _reference_tables(ds: Dataset) -> dict[str, Table]:
    taxes = {t.id: {"id": t.id, "rate": t.rate, "active": 1, "deleted": 0, "name": _i18n(t.name)} for t in ds.taxes}
    groups = {t.id: {"id": t.id, "name": f"FR Taux {t.rate.normalize():f}%", "active": 1, "deleted": 0,
                     "date_add": "2023-09-01 08:00:00", "date_upd": "2023-09-01 08:00:00"} for t in ds.taxes}
    carriers = {c.id: {
        "id": c.id, "deleted": 0, "is_module": 0, "id_tax_rules_group": 1, "id_reference": c.id, "name": c.name,
        "active": 1, "is_free": 1 if c.is_free else 0, "url": c.url, "shipping_handling": 0,
        "shipping_external": 0, "range_behavior": 0, "shipping_method": 1, "max_width": 0, "max_height": 0,
        "max_depth": 0, "max_weight": D(0), "grade": 0, "external_module_name": "", "need_range": 0,
        "position": c.id - 1, "delay": _i18n(c.delay),
    } for c in ds.carriers}
    states = {sid: {
        "id": sid, "unremovable": 1 if sid < 14 else 0, "delivery": s[4], "hidden": 0, "send_email": 1 if s[8] else 0,
        "module_name": "", "invoice": s[6], "color": s[7], "logable": s[5], "shipped": s[3], "paid": s[2],
        "pdf_delivery": 0, "pdf_invoice": s[6], "deleted": 0, "name": _i18n(s[0], s[1]), "template": _i18n(s[8]),
    } for sid, s in ORDER_STATES.items()}
    countries = {
        cid: {"id": cid, "id_zone": 1, "id_currency": 0, "call_prefix": prefix, "iso_code": iso, "active": 1,
              "contains_states": 0, "need_identification_number": 0, "need_zip_code": 1, "zip_code_format": fmt,
              "display_tax_label": 1, "name": _i18n(en, fr)}
        for cid, iso, prefix, fmt, en, fr in (
            (8, "FR", 33, "NNNNN", "France", "France"), (3, "BE", 32, "NNNN", "Belgium", "Belgique"),
            (12, "LU", 352, "NNNN", "Luxemburg", "Luxembourg"))
    }
    currencies = {1: {"id": 1, "names": _i18n("Euro", "euro"), "name": "Euro", "symbol": _i18n("€"),
                      "iso_code": "EUR", "numeric_iso_code": "978", "precision": 2, "conversion_rate": D(1),
                      "deleted": 0, "active": 1}}
    languages = {
        1: {"id": 1, "name": "English (English)", "iso_code": "en", "locale": "en-US", "language_code": "en-us",
            "active": 1, "is_rtl": 0, "date_format_lite": "m/d/Y", "date_format_full": "m/d/Y H:i:s"},
        2: {"id": 2, "name": "Français (French)", "iso_code": "fr", "locale": "fr-FR", "language_code": "fr",
            "active": 1, "is_rtl": 0, "date_format_lite": "d/m/Y", "date_format_full": "d/m/Y H:i:s"},
    }
    return {"taxes": taxes, "tax_rule_groups": groups, "carriers": carriers, "order_states": states,
            "countries": countries, "currencies": currencies, "languages": languages}


def build_tables(ds: Dataset) -> dict[str, Table]:
    """All simulated resources, keyed by resource name then id."""
    orders, details, histories, order_carriers, cart_rules = _orders(ds)
    products, combinations, stock = _catalogue(ds)
    customers, addresses = _people(ds)
    tables = _reference_tables(ds)
    tables.update({
        "orders": orders, "order_details": details, "order_histories": histories,
        "order_carriers": order_carriers, "order_cart_rules": cart_rules, "products": products,
        "combinations": combinations, "stock_availables": stock, "customers": customers, "addresses": addresses,
    })
    return tables


def derive_key(seed: int) -> str:
    """The webservice key a data set's shop answers to (32 characters, the same for the same seed)."""
    rng = random.Random(f"prestashop-key:{seed}")
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(32))
