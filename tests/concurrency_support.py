"""Fakes for `concurrency: N` tests: a project whose Sage endpoint declares it, a shop source and a Sage
target that record what was in flight together (tests/runtime/test_concurrency.py and
tests/test_robustness_concurrency.py)."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from engine.connectors.errors import EndpointError
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime.runner import FlowRunner

SPEC = """
endpoints:
  shop: { use: woocommerce, settings: { base_url: "http://s.test", consumer_key: "${env:K}", consumer_secret: "${env:S}" }, override: { operations: { add_order_note: { accepts: null } } } }
  sage: { use: sage100-ws, concurrency: WIDTH, settings: { base_url: "http://sage.test", token: "${env:T}" }, override: { operations: { insert_document: { accepts: null } } } }
flows:
  f:
    source: { endpoint: shop, read: orders, since: date_modified }
    target: { endpoint: sage, write: insert_document, REFERENCE }
    acknowledge: { endpoint: shop, write: add_order_note, with: { id: id }, map: { note: { from: _target.id } } }
    map: { doc: { Reference: { from: ref } } }
"""


def plan_for(tmp_path, width: int = 4, reference: bool = False):
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    text = SPEC.replace("WIDTH", str(width)).replace(", REFERENCE", ", reference: doc.Reference" if reference else "")
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    plan, diags = compile_project(load_project(folder))
    assert plan is not None, [d.format_text() for d in diags]
    return plan


class Shop:
    """The source: one page of orders; acknowledgements (notes) recorded with the id they name."""

    concurrent = True

    def __init__(self, orders):
        self.orders, self.notes, self.lock = orders, [], threading.Lock()

    def read(self, resource, *, where=None, since=None, keys=None, page_size=None):
        yield [dict(order) for order in self.orders if since is None or order["date_modified"] > since[1]]

    def write(self, operation, payload, values):
        with self.lock:
            self.notes.append((values["id"], payload["note"]))
        return SimpleNamespace(result=None)

    def close(self):
        pass


class Sage:
    """The target: documents by reference; ``gates`` hold a reference's write until set; what was in
    flight together is recorded."""

    concurrent = True

    def __init__(self, gates=None, reject=(), down=(), pause=0.01):
        self.gates, self.reject, self.down, self.pause = gates or {}, set(reject), set(down), pause
        self.lock = threading.Lock()
        self.documents: list[str] = []
        self.active: set[str] = set()
        self.overlaps: list[str] = []
        self.most = 0
        self.order: list[str] = []  # references in the order their writes ended

    def write(self, operation, payload, values):
        ref = payload["doc"]["Reference"]
        with self.lock:
            if ref in self.active:
                self.overlaps.append(ref)
            self.active.add(ref)
            self.most = max(self.most, len(self.active))
        try:
            gate = self.gates.get(ref)
            if gate is not None:
                assert gate.wait(10), f"{ref} held too long"
            else:
                time.sleep(self.pause)
            if ref in self.reject:
                raise EndpointError(f"400 Bad Request: {ref} refused", status=400)
            if ref in self.down:
                raise EndpointError("503 Service Unavailable", status=503, transient=True)
            with self.lock:
                self.documents.append(ref)
                return SimpleNamespace(result=f"BC{ref}")
        finally:
            with self.lock:
                self.active.discard(ref)
                self.order.append(ref)

    def find(self, operation, values):
        with self.lock:
            return [{"NumeroDocument": f"BC{r}", "Reference": r} for r in self.documents if r == values["reference"]]

    def close(self):
        pass


def orders(n: int, ref=lambda i: f"R{i}"):
    return [{"id": i, "ref": ref(i), "date_modified": f"2026-01-01T00:00:{i:02d}"} for i in range(1, n + 1)]


def run(plan, shop, sage, store, **options):
    options.setdefault("sleep", lambda s: None)
    options.setdefault("create_attempts", 2)
    return FlowRunner(plan, plan.flows["f"], {"shop": shop, "sage": sage}, store, **options).run()
