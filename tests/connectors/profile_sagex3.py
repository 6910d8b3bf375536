"""Sage X3 (connector `sagex3`) against the X3 simulator: customers over SData REST (key-set paging),
sales orders over the classic SOAP web service (save on SOH, answer HTTP 200 + status)."""
from decimal import Decimal

from profiles import Profile


def _settings(sb, password=None):
    creds = sb.credentials("sagex3")
    return {"base_url": sb.url("sagex3"), "username": creds["username"],
            "password": password or creds["password"], "pool": creds["pool"], "folder": creds["folder"],
            "language": "ENG", "order_publication": "SOH", "lookup_size": 10}


def _payload(sb):
    return {"SOH0_1": {"SALFCY": "FR011", "SOHTYP": "SON", "ORDDAT": "20260115", "BPCORD": "WEB000056",
                       "CUSORDREF": "PS_CONFORM"},
            "SOH4_1": [{"ITMREF": "TSHIRT-BLU-M", "QTY": 2, "GROPRI": Decimal("12.50")},
                       {"ITMREF": "MUG-CLASSIC", "QTY": 1, "GROPRI": Decimal("8.00")}]}


def _verify(sb, result):
    found = sb.sim("sagex3").find_orders("PS_CONFORM")
    return (len(found) == 1 and found[0]["SOHNUM"] == result.result and result.body["status"] == 1
            and found[0]["ORDNOT"] == Decimal("33.00") and found[0]["BPCORD"] == "WEB000056")


PROFILE = Profile(
    system="sagex3",
    connector="sagex3",
    settings=_settings,
    bad_settings=lambda sb: _settings(sb, password="not-the-password"),
    resource="customers",
    key="BPCNUM",
    expected_keys=lambda sb: set(sb.sim("sagex3").customers),
    write=("create_sales_order", _payload, lambda sb: {}, _verify),
    secret_settings=("password",),
    big_orders=0,
)
