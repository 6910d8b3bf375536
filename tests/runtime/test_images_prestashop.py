"""Product images through the engine to the PrestaShop simulator: a first run uploads each image
(multipart, field `image`), a second run sends nothing (the file's hash is in the ledger), a changed file
is replaced (`?ps_method=PUT` on the image id remembered), a file over 3,000,000 bytes is set aside
before anything is sent, with a located error naming the member."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.runtime_support import Sandbox, cli, run_flow

CONNECTOR = """\
connector:
  name: erp
  protocol: file
  settings: { dir: { required: true } }
  file: { dir: "{settings.dir}" }
  resources:
    articles: { path: "articles/*.json", key: ref }
"""

ENDPOINTS = """\
endpoints:
  erp: { use: erp, settings: { dir: "${env:ERP_DIR}" } }
  shop:
    use: prestashop
    settings: { base_url: "${env:PS_URL}", key: "${env:PS_KEY}" }
"""

FLOW = """\
flows:
  images_to_shop:
    source: { endpoint: erp, read: articles }
    key: ref
    target:
      endpoint: shop
      write: upload_product_image
      update: replace_product_image
      with: { product_id: product_id }
    map:
      image:
        file: { from: picture }
"""

JPEG = b"\xff\xd8\xff\xe0" + b"pixels" * 100 + b"\xff\xd9"


@pytest.fixture
def setup(tmp_path: Path):
    project = tmp_path / "project"
    (project / "connectors").mkdir(parents=True)
    (project / "connectors" / "erp.yaml").write_text(CONNECTOR)
    (project / "endpoints.yaml").write_text(ENDPOINTS)
    (project / "images.yaml").write_text(FLOW)
    (project / "media").mkdir()
    (project / "media" / "A1.jpg").write_bytes(JPEG)
    (project / "media" / "B2.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"b" * 50)
    data = tmp_path / "erp"
    (data / "articles").mkdir(parents=True)
    with Sandbox(systems=("prestashop",), seed=1, orders=1) as sb:
        sim = sb.sim("prestashop")
        ids = {ref: int(sim.add_product(ref, f"Article {ref}", "10")["id"]) for ref in ("A1", "B2")}
        articles = [{"ref": "A1", "product_id": ids["A1"], "picture": "media/A1.jpg"},
                    {"ref": "B2", "product_id": ids["B2"], "picture": "media/B2.png"}]
        (data / "articles" / "articles.json").write_text(json.dumps(articles))
        env = {"ERP_DIR": str(data), "PS_URL": sb.url("prestashop"), "PS_KEY": sb.credentials("prestashop")["key"]}
        yield project, str(tmp_path / "state"), env, sim, ids, data


def _image_posts(sim) -> int:
    return sum(1 for method, path, *_ in sim.requests if "/api/images/" in path and method == "POST")


def test_upload_then_nothing_then_only_the_changed_file(setup, monkeypatch):
    project, state, env, sim, ids, _ = setup
    first = run_flow(project, state, env, monkeypatch, "images_to_shop")
    assert (first["created"], first["failed"]) == (2, 0)
    a1, b2 = sim.product_images.of(ids["A1"]), sim.product_images.of(ids["B2"])
    assert [(i["data"], i["type"], i["name"], i["cover"]) for i in a1] == [(JPEG, "image/jpeg", "A1.jpg", 1)]
    assert [i["type"] for i in b2] == ["image/png"]
    posts = _image_posts(sim)
    assert posts == 2

    second = run_flow(project, state, env, monkeypatch, "images_to_shop")
    assert (second["created"], second["updated"], second["skipped"]) == (0, 0, 2)
    assert _image_posts(sim) == posts  # nothing sent

    (project / "media" / "A1.jpg").write_bytes(JPEG + b"retouched")
    third = run_flow(project, state, env, monkeypatch, "images_to_shop")
    assert (third["created"], third["updated"], third["skipped"]) == (0, 1, 1)
    replaced = sim.product_images.of(ids["A1"])
    assert [(i["id"], i["data"]) for i in replaced] == [(a1[0]["id"], JPEG + b"retouched")]  # same image id
    assert _image_posts(sim) == posts + 1
    assert run_flow(project, state, env, monkeypatch, "images_to_shop")["skipped"] == 2


def test_a_file_over_the_limit_is_set_aside_before_sending(setup, monkeypatch):
    project, state, env, sim, ids, _ = setup
    (project / "media" / "A1.jpg").write_bytes(b"x" * 3_000_001)
    summary = run_flow(project, state, env, monkeypatch, "images_to_shop", code=3)
    assert (summary["created"], summary["failed"]) == (1, 1)
    assert not sim.product_images.of(ids["A1"])
    code, out, err = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert "image: 'media/A1.jpg' is larger than 3000000 bytes" in out + err, out + err
    assert "images.yaml:" in out + err


def test_a_path_leading_out_of_the_images_folder_is_refused(setup, monkeypatch):
    project, state, env, sim, ids, data = setup
    (project.parent / "secret.jpg").write_bytes(b"SECRET")
    articles = [{"ref": "A1", "product_id": ids["A1"], "picture": "../secret.jpg"}]
    (data / "articles" / "articles.json").write_text(json.dumps(articles))
    summary = run_flow(project, state, env, monkeypatch, "images_to_shop", code=3)
    assert summary["failed"] == 1 and not sim.product_images.images
    code, out, err = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert "is outside the folder files are read from" in out + err and "SECRET" not in out + err
