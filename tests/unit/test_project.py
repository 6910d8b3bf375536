"""Project folders: merging files, connector resolution and overrides, discovery."""
from pathlib import Path

from engine.plan.compile import compile_project
from engine.project.load import ConnectorStore, deep_merge, discover, load_project
from helpers import ENDPOINTS as DROPPED

# the shop and Sage endpoints as a project writes them (FLOW's made-up payload drops the contract below)
ENDPOINTS = DROPPED.replace(', override: { operations: { insert_document: { accepts: null } } }', '')

FLOW = """
flows:
  f:
    source: { endpoint: shop, read: orders }
    target: { endpoint: sage, write: insert_document }
    map: { a: { from: id } }
"""


def test_files_merge(tmp_path):
    (tmp_path / "endpoints.yaml").write_text(DROPPED)
    (tmp_path / "flows.yaml").write_text(FLOW)
    plan, diags = compile_project(load_project(tmp_path))
    assert plan is not None and diags == []
    assert list(plan.flows) == ["f"] and set(plan.connectors) == {"shop", "sage"}


def test_project_connector_folder_wins_and_override_applies(tmp_path):
    (tmp_path / "connectors").mkdir()
    shipped = (Path(__file__).resolve().parents[2] / "specs/connectors/sage100-ws.yaml").read_text()
    (tmp_path / "connectors" / "sage100-ws.yaml").write_text(
        shipped.replace("InsertDocumentEtLignes\n", "InsertDocumentEtLignesV2\n"))
    text = ENDPOINTS.replace('token: "${env:SAGE_TOKEN}" } }',
                             'token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: '
                             '{ result: Piece, accepts: null } } } }')
    (tmp_path / "p.yaml").write_text(text + FLOW)
    plan, diags = compile_project(load_project(tmp_path))
    assert plan is not None, [d.format_text() for d in diags]
    op = plan.connectors["sage"].operations["insert_document"].detail
    assert op.path.text.endswith("InsertDocumentEtLignesV2") and op.result.text == "Piece"
    assert op.method == "POST"  # the rest of the definition is kept


def test_override_that_breaks_the_connector_is_reported(tmp_path):
    text = ENDPOINTS.replace('token: "${env:SAGE_TOKEN}" } }',
                             'token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: '
                             '{ method: SEND, accepts: null } } } }')
    (tmp_path / "p.yaml").write_text(text + FLOW)
    _, diags = compile_project(load_project(tmp_path))
    assert [d.code for d in diags] == ["bad-override"]
    assert "SEND" in diags[0].message and diags[0].loc.line == 4


def test_deep_merge_does_not_touch_its_inputs():
    base = {"a": {"b": 1, "c": [1]}, "d": 2}
    over = {"a": {"b": 3}, "e": {"f": 4}}
    merged = deep_merge(base, over)
    assert merged == {"a": {"b": 3, "c": [1]}, "d": 2, "e": {"f": 4}}
    assert base == {"a": {"b": 1, "c": [1]}, "d": 2} and over == {"a": {"b": 3}, "e": {"f": 4}}


def test_discover_projects_and_connectors():
    root = Path(__file__).resolve().parents[2] / "specs"
    projects, connectors = discover([root])
    assert root / "examples" / "prestashop-sage100" in projects
    assert {p.name for p in connectors} >= {"prestashop.yaml", "sage100-ws.yaml"}


def test_connector_store_lists_available_names(tmp_path):
    assert {"prestashop", "sage100-ws"} <= set(ConnectorStore().available(tmp_path))


def test_connector_store_reads_a_changed_connector_file_again(tmp_path):
    """`serve` keeps one store: a consultant's edit of the project's own connector must reach the next build."""
    import os

    folder = tmp_path / "connectors"
    folder.mkdir()
    shipped = (Path(__file__).resolve().parents[2] / "specs/connectors/sage100-ws.yaml").read_text()
    path = folder / "sage100-ws.yaml"
    path.write_text(shipped)
    store = ConnectorStore()
    first = store.plan(path)
    assert first is not None and store.plan(path) is first  # unchanged: compiled once
    path.write_text(shipped.replace("InsertDocumentEtLignes\n", "InsertDocumentEtLignesV2\n"))
    os.utime(path, ns=(1, 1))  # a different modification time even on a coarse clock
    second = store.plan(path)
    assert second is not first
    assert second.operations["insert_document"].detail.path.text.endswith("InsertDocumentEtLignesV2")


def test_connector_store_keys_its_cache_by_content_and_reads_pinned_bytes(tmp_path):
    """Hot reload builds from the bytes it hashed (`fileio.pinned`): the store must parse those bytes,
    and never serve a definition parsed from other bytes because the date and size look the same."""
    import os

    from engine.util.fileio import pinned

    shipped = (Path(__file__).resolve().parents[2] / "specs/connectors/sage100-ws.yaml").read_text()
    path = tmp_path / "sage100-ws.yaml"
    changed = shipped.replace("InsertDocumentEtLignes\n", "InsertDocumentEtLignesV9\n")  # same size
    path.write_text(changed)
    store = ConnectorStore()

    def operation_path() -> str:
        return store.plan(path).operations["insert_document"].detail.path.text

    with pinned({path: shipped.encode()}):  # what the reload hashed, the file having moved on since
        assert operation_path().endswith("InsertDocumentEtLignes")
    assert operation_path().endswith("InsertDocumentEtLignesV9")  # the disk's, not the pinned parse
    stat = path.stat()
    path.write_text(shipped)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same date, same size, other content
    assert operation_path().endswith("InsertDocumentEtLignes")
