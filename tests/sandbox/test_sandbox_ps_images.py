"""PrestaShop product images: multipart POST (field `image`), first image is the cover, ?ps_method=PUT replaces,
size limit (code 72), unknown product (76), unknown image (57), missing field (66), listing."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes, xml

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _product(fresh: Sandbox) -> int:
    return int(fresh.sim("prestashop").add_product("IMG-1", "Pictured", "10")["id"])


def _upload(client: httpx.Client, path: str, data: bytes, field: str = "image", **params) -> httpx.Response:
    return client.post(path, files={field: ("a.png", data, "image/png")}, params=params)


def test_upload_cover_position_and_replace(ps_w: httpx.Client, fresh: Sandbox) -> None:
    product = _product(fresh)
    assert ps_w.get(f"images/products/{product}").status_code == 404
    first = _upload(ps_w, f"images/products/{product}", PNG)
    second = _upload(ps_w, f"images/products/{product}", PNG + b"2")
    assert first.status_code == second.status_code == 200
    one, two = xml(first).find("image"), xml(second).find("image")
    assert (one.findtext("cover"), one.findtext("position"), two.findtext("cover"), two.findtext("position")) == (
        "1", "1", "0", "2")
    replaced = _upload(ps_w, f"images/products/{product}/{one.findtext('id')}", PNG + b"new", ps_method="PUT")
    assert replaced.status_code == 200 and xml(replaced).find("image").findtext("id") == one.findtext("id")
    sim = fresh.sim("prestashop")
    assert [i["data"] for i in sim.product_images.of(product)] == [PNG + b"new", PNG + b"2"]
    listing = xml(ps_w.get(f"images/products/{product}")).find("image")
    assert [d.get("id") for d in listing] == [one.findtext("id"), two.findtext("id")]
    assert ps_w.delete(f"images/products/{product}/{one.findtext('id')}").status_code == 200
    assert sim.product_images.of(product)[0]["cover"] == 1


def test_upload_errors(ps_w: httpx.Client, fresh: Sandbox) -> None:
    product = _product(fresh)
    too_big = _upload(ps_w, f"images/products/{product}", b"x" * 3_000_001)
    assert too_big.status_code == 400 and error_codes(too_big) == [72]
    assert error_codes(_upload(ps_w, "images/products/999999", PNG)) == [76]
    no_field = _upload(ps_w, f"images/products/{product}", PNG, field="file")
    assert no_field.status_code == 500 and error_codes(no_field) == [66]
    unknown = _upload(ps_w, f"images/products/{product}/4242", PNG, ps_method="PUT")
    assert unknown.status_code == 400 and error_codes(unknown) == [57]
    assert _upload(ps_w, f"images/categories/{product}", PNG).status_code == 501
    assert not fresh.sim("prestashop").product_images.images
