"""One conformance suite, run against every connector definition + simulator pair.

* a wrong credential is reported clearly (status and vendor message, never the secret);
* pagination returns every record exactly once, in the simulator's own page sizes;
* an incremental read returns exactly what changed after the cursor;
* a write is visible afterwards;
* a rate-limited system is never overrun (no 429 in a normal run).
"""
from __future__ import annotations

import pytest

from engine.connectors.http.client import HttpError
from passerelle_sandbox import Sandbox
from profiles import all_profiles, endpoint

PROFILES = all_profiles()


@pytest.fixture(scope="module", params=PROFILES, ids=lambda p: p.system)
def running(request):
    profile = request.param
    with Sandbox(systems=(profile.system,), orders=60, **profile.sandbox_options) as sb:
        yield profile, sb


def keys(profile, pages) -> list:
    return [str(record[profile.key]) for page in pages for record in page]


def test_auth_failure_is_reported_clearly(running):
    profile, sb = running
    bad = profile.bad_settings(sb)
    with endpoint(profile, bad) as ep, pytest.raises(HttpError) as info:
        list(ep.read(profile.resource))
    assert info.value.status in (401, 403), info.value.message
    assert str(info.value.status) in info.value.message
    for name in profile.secret_settings:
        assert str(bad[name]) not in info.value.message


def test_pagination_returns_every_record_exactly_once(running):
    profile, sb = running
    with endpoint(profile, profile.settings(sb)) as ep:
        pages = list(ep.read(profile.resource, page_size=profile.page_size))
    found = keys(profile, pages)
    assert len(found) == len(set(found)), "a record came twice"
    assert set(found) == profile.expected_keys(sb)
    if profile.paginated:
        assert len(pages) > 1 and all(len(p) <= profile.page_size for p in pages)


def test_incremental_read_returns_only_what_changed(running):
    profile, sb = running
    if profile.since is None:
        pytest.skip(f"{profile.system}: no incremental cursor")
    field, value, expected = profile.since
    with endpoint(profile, profile.settings(sb)) as ep:
        found = keys(profile, ep.read(profile.resource, since=(field, value(sb)), page_size=profile.page_size))
    assert sorted(found) == sorted(expected(sb)) and found


def test_write_is_visible_afterwards(running):
    profile, sb = running
    if profile.write is None:
        pytest.skip(f"{profile.system}: no write in the profile")
    operation, payload, values, verify = profile.write
    with endpoint(profile, profile.settings(sb)) as ep:
        result = ep.write(operation, payload(sb), values(sb))
    assert 200 <= result.status < 300
    assert verify(sb, result)


@pytest.mark.slow
@pytest.mark.parametrize("profile", [p for p in PROFILES if p.big_orders], ids=lambda p: p.system)
def test_every_order_exactly_once_at_scale(profile):
    """Many orders, read in the connector's own page size: each one exactly once, no 429."""
    with Sandbox(systems=(profile.system,), orders=profile.big_orders, **profile.sandbox_options) as sb:
        with endpoint(profile, profile.settings(sb)) as ep:
            found = keys(profile, ep.read(profile.resource))
        assert len(found) == len(set(found)) == len(profile.expected_keys(sb))
        assert set(found) == profile.expected_keys(sb)
        if profile.rate_limited:
            assert profile.requests_429(sb) == 0
