"""PrestaShop 8.x webservice resource definitions served by the simulator (data only).

Field lists follow PrestaShop 8.x's ``ObjectModel::$definition`` / ``$webserviceParameters`` for the
served resources (order, order rows, order_cart_rules, order_carriers, taxes…). Kinds drive both
renderings (8.x typing):

========  ===================================  ==========================
kind      XML (inside CDATA)                   JSON
========  ===================================  ==========================
int       ``1042``                             number ``1042``
bool      ``0`` / ``1``                        string ``"0"`` / ``"1"``
money     6 decimals ``42.000000``             string ``"42.000000"``
dec3      3 decimals ``20.000``                string ``"20.000"``
dec2      2 decimals (percentages)             string ``"10.00"``
dec6      6 decimals (weights)                 string
str/date  as is (dates ``YYYY-MM-DD HH:MM:SS``)  string
i18n      ``<language id="1" …>`` per language   ``[{"id":1,"value":…}]`` or a plain string
========  ===================================  ==========================

``xlink`` names the resource a foreign key points to (rendered as ``xlink:href``); ``getter`` fields
are ``notFilterable`` (filtering them → 400 code 34); ``required`` fields must be present on PUT/POST
(400 code 41).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ALL_RESOURCES", "Assoc", "F", "RESOURCES", "Resource"]


@dataclass(frozen=True, slots=True)
class F:
    name: str
    kind: str = "str"
    xlink: str | None = None
    required: bool = False
    getter: bool = False
    fmt: str = ""  # validation format for writes: "int", "uint", "bool", or "" (no check)


@dataclass(frozen=True, slots=True)
class Assoc:
    name: str
    node: str
    fields: tuple[F, ...]
    api: str | None = None  # real entity → api="…" and xlink:href on items
    virtual: bool = False  # virtualEntity="true"
    read_only: bool = False  # readOnly="true" (association without setter)


@dataclass(frozen=True)
class Resource:
    name: str
    node: str
    description: str
    fields: tuple[F, ...]
    associations: tuple[Assoc, ...] = ()
    forbidden: frozenset[str] = frozenset()
    writable: frozenset[str] = frozenset()  # methods the simulator implements besides GET/HEAD
    plural: str = ""  # the list's node when it is not the resource name (objectsNodeName: order_slips)
    field_map: dict[str, F] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})

    def assoc(self, name: str) -> Assoc | None:
        return next((a for a in self.associations if a.name == name), None)


def _ints(*names: str, xlinks: dict[str, str] | None = None) -> tuple[F, ...]:
    xlinks = xlinks or {}
    return tuple(F(n, "int", xlinks.get(n)) for n in names)


ORDER_ROW = (
    F("id", "int"), F("product_id", "int", "products"), F("product_attribute_id", "int"),
    F("product_quantity", "int"), F("product_name"), F("product_reference"), F("product_ean13"),
    F("product_isbn"), F("product_upc"), F("product_price", "money"),
    F("id_customization", "int", "customizations"), F("unit_price_tax_incl", "money"),
    F("unit_price_tax_excl", "money"),
)

ORDERS = Resource("orders", "order", "The Customers orders", (
    F("id", "int"), F("id_address_delivery", "int", "addresses", True),
    F("id_address_invoice", "int", "addresses", True), F("id_cart", "int", "carts", True),
    F("id_currency", "int", "currencies", True), F("id_lang", "int", "languages", True),
    F("id_customer", "int", "customers", True), F("id_carrier", "int", "carriers", True),
    F("current_state", "int", "order_states"), F("module", required=True), F("invoice_number", "int"),
    F("invoice_date", "date"), F("delivery_number", "int"), F("delivery_date", "date"), F("valid", "bool"),
    F("date_add", "date"), F("date_upd", "date"), F("shipping_number", getter=True), F("note"),
    F("id_shop_group", "int"), F("id_shop", "int"), F("secure_key"), F("payment", required=True),
    F("recyclable", "bool"), F("gift", "bool"), F("gift_message"), F("mobile_theme", "bool"),
    F("total_discounts", "money"), F("total_discounts_tax_incl", "money"), F("total_discounts_tax_excl", "money"),
    F("total_paid", "money", required=True), F("total_paid_tax_incl", "money"),
    F("total_paid_tax_excl", "money"), F("total_paid_real", "money", required=True),
    F("total_products", "money", required=True), F("total_products_wt", "money", required=True),
    F("total_shipping", "money"), F("total_shipping_tax_incl", "money"), F("total_shipping_tax_excl", "money"),
    F("carrier_tax_rate", "dec3"), F("total_wrapping", "money"), F("total_wrapping_tax_incl", "money"),
    F("total_wrapping_tax_excl", "money"), F("round_mode", "int"), F("round_type", "int"),
    F("conversion_rate", "money", required=True), F("reference"),
), (Assoc("order_rows", "order_row", ORDER_ROW, virtual=True, read_only=True),),
    writable=frozenset({"PATCH"}))  # 8.x: the internal note (ps_money.py); PUT would null what is left out

ORDER_DETAILS = Resource("order_details", "order_detail", "Details of an order", (
    F("id", "int"), F("id_order", "int", "orders", True), F("product_id", "int", "products"),
    F("product_attribute_id", "int"), F("product_quantity_reinjected", "int"), F("group_reduction", "dec2"),
    F("discount_quantity_applied", "int"), F("download_hash"), F("download_deadline", "date"),
    F("id_order_invoice", "int", "order_invoices"), F("id_warehouse", "int", "warehouses", True),
    F("id_shop", "int", "shops", True), F("id_customization", "int", "customizations"),
    F("product_name", required=True), F("product_quantity", "int", required=True),
    F("product_quantity_in_stock", "int"), F("product_quantity_return", "int"),
    F("product_quantity_refunded", "int"), F("product_price", "money", required=True),
    F("reduction_percent", "dec2"), F("reduction_amount", "money"), F("reduction_amount_tax_incl", "money"),
    F("reduction_amount_tax_excl", "money"), F("product_quantity_discount", "money"), F("product_ean13"),
    F("product_isbn"), F("product_upc"), F("product_mpn"), F("product_reference"),
    F("product_supplier_reference"), F("product_weight", "dec6"), F("tax_computation_method", "int"),
    F("id_tax_rules_group", "int", "tax_rule_groups"), F("ecotax", "money"), F("ecotax_tax_rate", "dec3"),
    F("download_nb", "int"), F("unit_price_tax_incl", "money"), F("unit_price_tax_excl", "money"),
    F("total_price_tax_incl", "money"), F("total_price_tax_excl", "money"),
    F("total_shipping_price_tax_excl", "money"), F("total_shipping_price_tax_incl", "money"),
    F("purchase_supplier_price", "money"), F("original_product_price", "money"),
    F("original_wholesale_price", "money"), F("total_refunded_tax_excl", "money"),
    F("total_refunded_tax_incl", "money"),
), (Assoc("taxes", "tax", (F("id", "int"),), api="taxes"),))

ORDER_HISTORIES = Resource("order_histories", "order_history", "The Order histories", (
    F("id", "int"), F("id_employee", "int", "employees", fmt="uint"),
    F("id_order_state", "int", "order_states", True, fmt="uint"),
    F("id_order", "int", "orders", True, fmt="uint"), F("date_add", "date"),
), writable=frozenset({"POST"}))

ORDER_STATES = Resource("order_states", "order_state", "The Order statuses", (
    F("id", "int"), F("unremovable", "bool"), F("delivery", "bool"), F("hidden", "bool"),
    F("send_email", "bool"), F("module_name"), F("invoice", "bool"), F("color"), F("logable", "bool"),
    F("shipped", "bool"), F("paid", "bool"), F("pdf_delivery", "bool"), F("pdf_invoice", "bool"),
    F("deleted", "bool"), F("name", "i18n"), F("template", "i18n"),
))

ORDER_CARRIERS = Resource("order_carriers", "order_carrier", "The Order carriers", (
    F("id", "int"), F("id_order", "int", "orders", True), F("id_carrier", "int", "carriers", True),
    F("id_order_invoice", "int", "order_invoices"), F("weight", "dec6"), F("shipping_cost_tax_excl", "money"),
    F("shipping_cost_tax_incl", "money"), F("tracking_number", fmt="tracking"), F("date_add", "date"),
), writable=frozenset({"PUT", "PATCH"}))  # the tracking number (ps_money.py)

# order_payments and order_slip: served read-only, see ps_money.py
ORDER_PAYMENTS = Resource("order_payments", "order_payment", "The Order payments", (
    F("id", "int"), F("order_reference"), F("id_currency", "int", "currencies", True),
    F("amount", "money", required=True), F("payment_method"), F("conversion_rate", "money"),
    F("transaction_id"), F("card_number"), F("card_brand"), F("card_expiration"), F("card_holder"),
    F("date_add", "date"),
))

ORDER_SLIP = Resource("order_slip", "order_slip", "The Order slips (used for refunds)", (
    F("id", "int"), F("id_customer", "int", "customers", True), F("id_order", "int", "orders", True),
    F("conversion_rate", "money", required=True), F("total_products_tax_excl", "money", required=True),
    F("total_products_tax_incl", "money", required=True), F("total_shipping_tax_excl", "money", required=True),
    F("total_shipping_tax_incl", "money", required=True), F("amount", "money"), F("shipping_cost", "int"),
    F("shipping_cost_amount", "money"), F("partial", "int"), F("date_add", "date"), F("date_upd", "date"),
    F("order_slip_type", "int"),
), (Assoc("order_slip_details", "order_slip_detail", (
    F("id", "int"), F("id_order_detail", "int"), F("product_quantity", "int"), F("amount_tax_excl", "money"),
    F("amount_tax_incl", "money"),
), virtual=True, read_only=True),), plural="order_slips")

ORDER_CART_RULES = Resource("order_cart_rules", "order_cart_rule", "The Order cart rules", (
    F("id", "int"), F("id_order", "int", "orders", True), F("id_cart_rule", "int", "cart_rules", True),
    F("id_order_invoice", "int", "order_invoices"), F("name", required=True), F("value", "money", required=True),
    F("value_tax_excl", "money", required=True), F("free_shipping", "bool"), F("deleted", "bool"),
))

CARRIERS = Resource("carriers", "carrier", "The Carriers", (
    F("id", "int"), F("deleted", "bool"), F("is_module", "bool"),
    F("id_tax_rules_group", "int", "tax_rule_groups"), F("id_reference", "int"), F("name", required=True),
    F("active", "bool", required=True), F("is_free", "bool"), F("url"), F("shipping_handling", "bool"),
    F("shipping_external", "bool"), F("range_behavior", "bool"), F("shipping_method", "int"),
    F("max_width", "int"), F("max_height", "int"), F("max_depth", "int"), F("max_weight", "dec6"),
    F("grade", "int"), F("external_module_name"), F("need_range", "bool"), F("position", "int"),
    F("delay", "i18n"),
))

CUSTOMERS = Resource("customers", "customer", "The e-shop's customers", (
    F("id", "int"), F("id_default_group", "int", "groups"), F("id_lang", "int", "languages"),
    F("newsletter_date_add", "date"), F("deleted", "bool"), F("lastname", required=True),
    F("firstname", required=True), F("email", required=True), F("id_gender", "int"), F("birthday"),
    F("newsletter", "bool"), F("optin", "bool"), F("website"), F("company"), F("siret"), F("ape"),
    F("active", "bool"), F("note"), F("is_guest", "bool"), F("id_shop", "int"), F("id_shop_group", "int"),
    F("date_add", "date"), F("date_upd", "date"),
), (Assoc("groups", "group", (F("id", "int"),), api="groups"),))

ADDRESSES = Resource("addresses", "address", "The Customer, Brand and Customer addresses", (
    F("id", "int"), F("id_customer", "int", "customers"), F("id_manufacturer", "int", "manufacturers"),
    F("id_supplier", "int", "suppliers"), F("id_warehouse", "int", "warehouses"),
    F("id_country", "int", "countries", True), F("id_state", "int", "states"), F("alias", required=True),
    F("company"), F("lastname", required=True), F("firstname", required=True), F("vat_number"),
    F("address1", required=True), F("address2"), F("postcode"), F("city", required=True), F("other"),
    F("phone"), F("phone_mobile"), F("dni"), F("deleted", "bool"), F("date_add", "date"), F("date_upd", "date"),
))

COUNTRIES = Resource("countries", "country", "The countries", (
    F("id", "int"), F("id_zone", "int", "zones"), F("id_currency", "int", "currencies"), F("call_prefix", "int"),
    F("iso_code"), F("active", "bool"), F("contains_states", "bool"), F("need_identification_number", "bool"),
    F("need_zip_code", "bool"), F("zip_code_format"), F("display_tax_label", "bool"), F("name", "i18n"),
))

CURRENCIES = Resource("currencies", "currency", "The currencies", (
    F("id", "int"), F("names", "i18n"), F("name"), F("symbol", "i18n"), F("iso_code"),
    F("numeric_iso_code"), F("precision", "int"), F("conversion_rate", "money"), F("deleted", "bool"),
    F("active", "bool"),
))

LANGUAGES = Resource("languages", "language", "Shop languages", (
    F("id", "int"), F("name"), F("iso_code"), F("locale"), F("language_code"), F("active", "bool"),
    F("is_rtl", "bool"), F("date_format_lite"), F("date_format_full"),
))

TAXES = Resource("taxes", "tax", "The tax rate", (
    F("id", "int"), F("rate", "dec3"), F("active", "bool"), F("deleted", "bool"), F("name", "i18n"),
))

TAX_RULE_GROUPS = Resource("tax_rule_groups", "tax_rule_group", "Tax rule groups", (
    F("id", "int"), F("name"), F("active", "bool"), F("deleted", "bool"), F("date_add", "date"),
    F("date_upd", "date"),
))

PRODUCTS = Resource("products", "product", "The products", (
    F("id", "int"), F("id_manufacturer", "int", "manufacturers"), F("id_supplier", "int", "suppliers"),
    F("id_category_default", "int", "categories"), F("id_default_combination", "int", "combinations"),
    F("id_tax_rules_group", "int", "tax_rule_groups"), F("type", getter=True), F("reference"),
    F("supplier_reference"), F("ean13", fmt="uint"), F("isbn"), F("upc"), F("mpn"), F("weight", "dec6"),
    F("product_type"), F("minimal_quantity", "int"), F("price", "money", required=True),
    F("wholesale_price", "money"), F("active", "bool"), F("available_for_order", "bool"),
    F("visibility"), F("state", "int"), F("date_add", "date"), F("date_upd", "date"),
    F("name", "i18n"), F("link_rewrite", "i18n"), F("description_short", "i18n"), F("description", "i18n"),
), (
    Assoc("categories", "category", (F("id", "int"),), api="categories"),
    Assoc("combinations", "combination", (F("id", "int"),), api="combinations"),
    Assoc("stock_availables", "stock_available", (F("id", "int"), F("id_product_attribute", "int")),
          api="stock_availables"),
), writable=frozenset({"POST", "PUT", "PATCH"}))  # the catalogue from the ERP (ps_catalogue_writes.py)

COMBINATIONS = Resource("combinations", "combination", "The product combinations", (
    F("id", "int"), F("id_product", "int", "products", True), F("location"), F("ean13"), F("isbn"), F("upc"),
    F("mpn"), F("quantity", "int"), F("reference"), F("supplier_reference"), F("wholesale_price", "money"),
    F("price", "money"), F("ecotax", "money"), F("weight", "dec6"), F("unit_price_impact", "money"),
    F("minimal_quantity", "int", required=True), F("default_on", "bool"), F("available_date", "date"),
), (Assoc("product_option_values", "product_option_value", (F("id", "int"),), api="product_option_values"),
    Assoc("images", "image", (F("id", "int"),), api="images")), writable=frozenset({"POST", "PUT", "PATCH"}))

STOCK_AVAILABLES = Resource("stock_availables", "stock_available", "Available quantities", (
    F("id", "int"), F("id_product", "int", "products", True, fmt="uint"),
    F("id_product_attribute", "int", required=True, fmt="uint"),
    F("id_shop", "int", "shops", fmt="uint"), F("id_shop_group", "int", "shop_groups", fmt="uint"),
    F("quantity", "int", required=True, fmt="int"), F("depends_on_stock", "bool", required=True, fmt="bool"),
    F("out_of_stock", "int", required=True, fmt="int"), F("location"),
), forbidden=frozenset({"POST", "DELETE"}), writable=frozenset({"PUT", "PATCH"}))

SPECIFIC_PRICES = Resource("specific_prices", "specific_price", "Specific price management", (
    F("id", "int"), F("id_shop_group", "int", "shop_groups"), F("id_shop", "int", "shops", True),
    F("id_cart", "int", "carts", True), F("id_product", "int", "products", True),
    F("id_product_attribute", "int", "combinations"), F("id_currency", "int", "currencies", True),
    F("id_country", "int", "countries", True), F("id_group", "int", "groups", True),
    F("id_customer", "int", "customers", True), F("id_specific_price_rule", "int"),
    F("price", "money", required=True), F("from_quantity", "int", required=True, fmt="uint"),
    F("reduction", "dec6", required=True), F("reduction_tax", "bool", required=True, fmt="bool"),
    F("reduction_type", required=True), F("from", "date", required=True), F("to", "date", required=True),
), writable=frozenset({"POST", "PUT", "PATCH", "DELETE"}))  # group and quantity prices from the ERP

RESOURCES: dict[str, Resource] = {r.name: r for r in (
    ADDRESSES, CARRIERS, COMBINATIONS, COUNTRIES, CURRENCIES, CUSTOMERS, LANGUAGES, ORDER_CARRIERS,
    ORDER_CART_RULES, ORDER_DETAILS, ORDER_HISTORIES, ORDER_PAYMENTS, ORDER_SLIP, ORDER_STATES, ORDERS,
    PRODUCTS, SPECIFIC_PRICES,
    STOCK_AVAILABLES, TAX_RULE_GROUPS, TAXES,
)}

# Every resource name PrestaShop 8.x knows (WebserviceRequest::getResources), for the
# "does not exists … Did you mean" error (code 27) and forbidden methods (code 101).
ALL_RESOURCES: dict[str, frozenset[str]] = {name: frozenset() for name in (
    "addresses attachments carriers cart_rules carts categories combinations configurations contacts "
    "content_management_system countries currencies customer_messages customer_threads customers "
    "customizations deliveries employees groups guests image_types images languages manufacturers messages "
    "order_carriers order_cart_rules order_details order_histories order_invoices order_payments order_slip "
    "order_states orders price_ranges product_customization_fields product_feature_values product_features "
    "product_option_values product_options product_suppliers products search shop_groups shop_urls shops "
    "specific_price_rules specific_prices states stock_availables stock_movement_reasons stock_movements "
    "stocks stores suppliers supply_order_details supply_order_histories supply_order_receipt_histories "
    "supply_order_states supply_orders tags tax_rule_groups tax_rules taxes translated_configurations "
    "warehouse_product_locations warehouses weight_ranges zones"
).split()}
_READ_ONLY = frozenset({"PUT", "POST", "DELETE"})
ALL_RESOURCES.update({
    "search": _READ_ONLY, "stock_movements": _READ_ONLY, "stocks": _READ_ONLY,
    "warehouse_product_locations": _READ_ONLY, "supply_orders": _READ_ONLY, "supply_order_details": _READ_ONLY,
    "supply_order_states": _READ_ONLY, "supply_order_histories": _READ_ONLY,
    "supply_order_receipt_histories": _READ_ONLY, "stock_availables": frozenset({"POST", "DELETE"}),
    "warehouses": frozenset({"DELETE"}),
})
