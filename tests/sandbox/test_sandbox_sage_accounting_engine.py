"""The `sage-accounting` connector through the engine's HttpEndpoint against the simulator: short-lived
access tokens renewed before expiry, a 401 mid-read recovered, $next paging, error-array messages, find."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from engine.connectors.http.client import HttpError
from passerelle_sandbox import Faults, Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profile_sage_accounting import PROFILE  # noqa: E402
from profiles import endpoint  # noqa: E402

SYSTEM = "sage-accounting"


def _slow_sandbox(**options) -> Sandbox:
    """2 s access tokens; every API call (not the token endpoint) takes 150 ms."""
    return Sandbox(systems=(SYSTEM,), orders=20, options={SYSTEM: {"access_token_ttl": 2, **options}},
                   faults={SYSTEM: Faults(latency_ms=150, path_contains="/v3.1/")})


def _read_slowly(sb: Sandbox) -> tuple[list[str], float]:
    started = time.monotonic()
    with endpoint(PROFILE, PROFILE.settings(sb)) as ep:
        found = [r["id"] for page in ep.read("contacts", page_size=5) for r in page]
    return found, time.monotonic() - started


@pytest.mark.slow
def test_a_read_longer_than_the_token_lifetime_keeps_working() -> None:
    with _slow_sandbox(rotate_refresh_tokens=False) as sb:
        sim = sb.sim(SYSTEM)
        found, elapsed = _read_slowly(sb)
        assert elapsed > 2.5  # 17 pages of 5 contacts, 150 ms each: longer than one token's life
        assert len(found) == len(set(found)) == len(sim.tables["contacts"].items)
        assert sim.rejected_tokens == 0 and not [r for r in sim.requests if r[2] == 401]  # refreshed in time
        assert sum(t["status"] == 200 for t in sim.token_requests) >= 2


@pytest.mark.slow
def test_a_long_read_survives_refresh_token_rotation() -> None:
    with _slow_sandbox() as sb:  # rotation on: the simulator's default
        found, _ = _read_slowly(sb)
        assert len(found) == len(sb.sim(SYSTEM).tables["contacts"].items)


def test_an_access_token_revoked_mid_read_is_renewed_once() -> None:
    with Sandbox(systems=(SYSTEM,), orders=20, options={SYSTEM: {"rotate_refresh_tokens": False}}) as sb:
        sim = sb.sim(SYSTEM)
        with endpoint(PROFILE, PROFILE.settings(sb)) as ep:
            pages = ep.read("contacts", page_size=20)
            first = next(pages)
            sim.expire_access_tokens()
            rest = [r for page in pages for r in page]
        assert len(first) + len(rest) == len(sim.tables["contacts"].items)
        assert [r[2] for r in sim.requests if r[2] == 401] == [401] and len(sim.token_requests) == 2


def test_next_links_carry_the_filters_and_the_error_array_becomes_one_message() -> None:
    with Sandbox(systems=(SYSTEM,), orders=60) as sb:
        sim = sb.sim(SYSTEM)
        with endpoint(PROFILE, PROFILE.settings(sb)) as ep:
            cut = sorted(i["updated_at"] for i in sim.invoices)[20]
            pages = list(ep.read("sales_invoices", since=("updated_at", cut), page_size=7))
            found = [r["id"] for page in pages for r in page]
            expected = [i["id"] for i in sim.invoices if i["updated_at"] >= cut]
            assert found == expected and len(pages) > 2
            vendors = [r["reference"] for page in ep.read("contacts", where={"contact_type_id": "VENDOR"})
                       for r in page]
            assert vendors == ["FOURN01", "FOURN02", "FOURN03"]
            with pytest.raises(HttpError) as info:
                ep.write("create_sales_invoice", {"sales_invoice": {"date": "2024-13-01", "invoice_lines": []}})
        assert info.value.status == 422 and not info.value.transient
        assert info.value.message.endswith(
            "HTTP 422 Unprocessable Entity: contact_id can't be blank; date '2024-13-01' is not a valid date "
            "(YYYY-MM-DD); invoice_lines can't be blank (at least one line is required)")


def test_created_invoice_is_found_by_its_reference() -> None:
    with Sandbox(systems=(SYSTEM,), orders=20) as sb:
        with endpoint(PROFILE, PROFILE.settings(sb)) as ep:
            created = ep.write("create_sales_invoice", PROFILE.write[1](sb))
            found = ep.find("find_invoice", {"reference": "PS_CONFORM"})
        assert created.status == 201 and [r["id"] for r in found] == [created.result]
        assert found[0]["total_amount"] == "38.40"  # a string with 2 dp on the wire
