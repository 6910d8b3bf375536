"""Issue 14: the WordPress media library of the WooCommerce simulator (wp_media) — binary uploads with
their Content-Disposition, application-password Basic auth and its refusals, the upload errors WordPress
answers, served files at their source_url, and WooCommerce's product images naming attachments by id."""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from passerelle_sandbox import Sandbox
from passerelle_sandbox.sage100sql_media import jpeg, pdf
from test_sandbox_woocommerce import woo_client

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)
USERS = {"shop-sync": ("abcd EFGH 1234 ijkl MNOP 5678", "shop_manager"), "reader": ("zzzz zzzz zzzz zzzz zzzz zzzz", "subscriber")}


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("woocommerce",), orders=1,
                 options={"woocommerce": {"clock": lambda: NOW, "wp_users": USERS}}) as box:
        yield box


def _wp(sb: Sandbox, user: str | None = "shop-sync", password: str | None = None) -> httpx.Client:
    headers = {}
    if user:
        secret = password if password is not None else USERS[user][0].replace(" ", "")
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
    return httpx.Client(base_url=sb.url("woocommerce") + "/wp-json/wp/v2/", headers=headers, timeout=10)


def _upload(client: httpx.Client, data: bytes, name: str | None = "photo.jpg", kind: str | None = "image/jpeg",
            **params) -> httpx.Response:
    headers = {}
    if kind:
        headers["Content-Type"] = kind
    if name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{name}"' if name else "attachment"
    return client.post("media", content=data, headers=headers, params=params)


def _err(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_an_upload_is_stored_served_and_named_uniquely(sb: Sandbox) -> None:
    photo = jpeg(60)
    with _wp(sb) as wp:
        made = _upload(wp, photo, alt_text="Théière")
        assert made.status_code == 201, made.text
        media = made.json()
        assert made.headers["Location"].endswith(f"/wp-json/wp/v2/media/{media['id']}")
        assert (media["media_type"], media["mime_type"], media["alt_text"], media["status"]) == \
            ("image", "image/jpeg", "Théière", "inherit")
        assert media["source_url"] == f"{sb.url('woocommerce')}/wp-content/uploads/2024/06/photo.jpg"
        served = httpx.get(media["source_url"])
        assert (served.status_code, served.headers["content-type"], served.content) == (200, "image/jpeg", photo)
        again = _upload(wp, jpeg(90)).json()  # the same name: made unique in the month's folder
        assert again["source_url"].endswith("/2024/06/photo-1.jpg") and again["id"] != media["id"]
        assert wp.get(f"media/{media['id']}").json()["source_url"] == media["source_url"]
        listed = wp.get("media", params={"order": "asc", "per_page": 1, "page": 2})
        assert [m["id"] for m in listed.json()] == [again["id"]] and listed.headers["X-WP-TotalPages"] == "2"
        assert _err(wp.get("media/999999")) == (404, "rest_post_invalid_id")
        assert wp.delete(f"media/{media['id']}").status_code == 501  # not simulated
    assert httpx.get(sb.url("woocommerce") + "/wp-content/uploads/2024/06/nothing.jpg").status_code == 404


def test_application_password_auth_and_its_refusals(sb: Sandbox) -> None:
    with _wp(sb, None) as anonymous:
        assert _err(_upload(anonymous, jpeg(60))) == (401, "rest_cannot_create")
    with _wp(sb, "shop-sync", "wrongwrongwrongwrongwron") as wrong:
        refused = _upload(wrong, jpeg(60))
        assert _err(refused) == (401, "incorrect_password")
        assert refused.json()["message"] == "The provided password is an invalid application password."
    with _wp(sb, "nobody", "abcd") as unknown:
        assert _err(_upload(unknown, jpeg(60))) == (401, "invalid_username")
    with _wp(sb, "reader") as reader:
        assert _err(_upload(reader, jpeg(60))) == (403, "rest_cannot_create")  # no upload_files
    with _wp(sb, "shop-sync", USERS["shop-sync"][0]) as spaced:  # the spaces WordPress shows are ignored
        assert _upload(spaced, jpeg(60)).status_code == 201
    # the WooCommerce keys are no WordPress credentials
    creds = sb.credentials("woocommerce")
    assert (creds["wp_user"], creds["wp_application_password"]) == ("shop-sync", USERS["shop-sync"][0])  # can upload
    with _wp(sb, creds["consumer_key"], creds["consumer_secret"]) as keys:
        assert _err(_upload(keys, jpeg(60))) == (401, "invalid_username")


def test_a_site_without_application_passwords_ignores_basic_auth() -> None:
    with Sandbox(systems=("woocommerce",), orders=1,
                 options={"woocommerce": {"wp_users": USERS, "application_passwords": False}}) as box:
        with _wp(box) as wp:
            assert _err(_upload(wp, jpeg(60))) == (401, "rest_cannot_create")


def test_upload_errors_as_wordpress_answers_them(sb: Sandbox) -> None:
    with _wp(sb) as wp:
        assert _err(_upload(wp, b"")) == (400, "rest_upload_no_data")
        assert _err(_upload(wp, jpeg(60), kind=None)) == (400, "rest_upload_no_content_type")
        assert _err(_upload(wp, jpeg(60), name=None)) == (400, "rest_upload_no_content_disposition")
        assert _err(_upload(wp, jpeg(60), name="")) == (400, "rest_upload_invalid_disposition")
        assert _err(_upload(wp, b"MZ\x90\x00", name="tool.exe", kind="application/octet-stream")) == \
            (500, "rest_upload_sideload_error")
        md5 = wp.post("media", content=jpeg(60), headers={"Content-Type": "image/jpeg", "Content-MD5": "0" * 32,
                                                          "Content-Disposition": 'attachment; filename="a.jpg"'})
        assert _err(md5) == (412, "rest_upload_hash_mismatch")
        good = wp.post("media", content=jpeg(60), headers={
            "Content-Type": "image/jpeg", "Content-MD5": hashlib.md5(jpeg(60)).hexdigest(),  # noqa: S324
            "Content-Disposition": 'attachment; filename="a.jpg"'})
        assert good.status_code == 201


def test_product_images_name_attachments_and_a_document_is_no_image(sb: Sandbox) -> None:
    with _wp(sb) as wp:
        photo = _upload(wp, jpeg(60)).json()
        notice = _upload(wp, pdf("Notice"), name="notice.pdf", kind="application/pdf").json()
    assert notice["media_type"] == "file"
    with woo_client(sb, at=NOW) as wc:
        pid = wc.post("products", json={"name": "Théière", "sku": "T8"}).json()["id"]
        put = wc.put(f"products/{pid}", json={"images": [{"id": photo["id"]}]}).json()
        assert [(i["id"], i["src"], i["position"]) for i in put["images"]] == [(photo["id"], photo["source_url"], 0)]
        bad = wc.put(f"products/{pid}", json={"images": [{"id": notice["id"]}]})
        assert (bad.status_code, bad.json()["code"], bad.json()["message"]) == \
            (400, "woocommerce_product_invalid_image_id", f"#{notice['id']} is an invalid image ID.")
        assert _err(wc.put(f"products/{pid}", json={"images": [{"id": 424242}]})) == \
            (400, "woocommerce_product_invalid_image_id")
        assert [i["id"] for i in wc.get(f"products/{pid}").json()["images"]] == [photo["id"]]  # refused: kept
