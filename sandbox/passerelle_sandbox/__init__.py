"""Local simulators of the vendor APIs Passerelle talks to, served over real HTTP on 127.0.0.1.

This package is the one place with vendor-specific code; it depends on the standard library, lxml and
(for tests) httpx only. Public fixture API::

    from passerelle_sandbox import Sandbox, Faults

    with Sandbox(systems=("prestashop", "sage100"), seed=1, orders=20) as sb:
        sb.url("prestashop")          # "http://127.0.0.1:PORT"   (shop root: the connector's base_url)
        sb.api_url("prestashop")      # "http://127.0.0.1:PORT/api/"  (webservice root, for direct calls)
        sb.credentials("prestashop")  # {"key": "<32 chars>"}
        sb.url("sage100")             # "http://127.0.0.1:PORT/WebServices100/BIJOU"  (the connector's base_url)
        sb.api_url("sage100")         # the same with a trailing "/"
        sb.credentials("sage100")     # {"token": "<raw token>"}
        sb.sim("sage100").documents   # what was inserted
        sb.sim("prestashop").faults = Faults(error_rate=0.2, seed=3)

``dataset`` may be a :class:`~passerelle_sandbox.dataset.Dataset`, a path written by ``Dataset.write`` or None
(generated from ``seed``/``orders``). ``faults`` is one :class:`Faults` for every system or a dict per
system; ``options`` passes keyword arguments to each simulator (``{"sage100": {"base": "DEMO"}}``);
``ports`` fixes ports per system (0 = ephemeral). Nothing starts at import time.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from passerelle_sandbox.dataset import Dataset, generate
from passerelle_sandbox.faults import Faults

__all__ = ["SIMULATORS", "SYSTEMS", "Dataset", "Faults", "Sandbox", "generate"]

# system -> (module, class). Each simulator class provides ``connector_url(root)`` (the value of its
# connector's ``base_url`` setting), ``api_root(root)`` and ``credentials()``.
SIMULATORS = {
    "prestashop": ("passerelle_sandbox.prestashop", "PrestaShopSim"),
    "sage100": ("passerelle_sandbox.sage100", "Sage100Sim"),
    "woocommerce": ("passerelle_sandbox.woocommerce", "WooCommerceSim"),
    "shopify": ("passerelle_sandbox.shopify", "ShopifySim"),
    "magento": ("passerelle_sandbox.magento", "MagentoSim"),
    "sagex3": ("passerelle_sandbox.sagex3", "SageX3Sim"),
    "sage-accounting": ("passerelle_sandbox.sage_accounting", "SageAccountingSim"),
    "smartstore": ("passerelle_sandbox.smartstore", "SmartstoreSim"),
}
SYSTEMS = ("prestashop", "sage100")  # the default pair (the demo's)


def _make_sim(system: str, dataset: Dataset, faults: Faults | None, options: dict[str, Any]) -> Any:
    import importlib

    if system not in SIMULATORS:
        raise ValueError(f"unknown system {system!r}; known: {', '.join(SIMULATORS)}")
    module, name = SIMULATORS[system]
    return getattr(importlib.import_module(module), name)(dataset, faults=faults, **options)


class Sandbox:
    """Start simulators on 127.0.0.1 (context manager); see the module docstring."""

    def __init__(
        self,
        systems: tuple[str, ...] | list[str] | str = SYSTEMS,
        dataset: Dataset | str | Path | None = None,
        seed: int = 1,
        orders: int = 20,
        faults: Faults | dict[str, Faults] | None = None,
        *,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        if isinstance(systems, str):
            systems = tuple(s.strip() for s in systems.split(",") if s.strip())
        unknown = [s for s in systems if s not in SIMULATORS]
        if unknown:
            raise ValueError(f"unknown system(s) {', '.join(unknown)}; known: {', '.join(SIMULATORS)}")
        self.systems = tuple(systems)
        if isinstance(dataset, (str, Path)):
            dataset = Dataset.load(dataset)
        self.dataset = dataset if dataset is not None else generate(seed=seed, orders=orders)
        self.host = host
        self.ports = dict(ports or {})
        self.options = dict(options or {})
        self._faults = faults
        self._sims: dict[str, Any] = {}
        self._servers: dict[str, Any] = {}

    def start(self) -> "Sandbox":
        if self._servers:
            return self
        try:
            for system in self.systems:
                faults = self._faults.get(system) if isinstance(self._faults, dict) else self._faults
                sim = _make_sim(system, self.dataset, faults, self.options.get(system, {}))
                self._sims[system] = sim
                self._servers[system] = sim.serve(self.host, self.ports.get(system, 0))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _server(self, system: str) -> Any:
        if system not in self._servers:
            raise KeyError(f"{system!r} is not running (systems: {', '.join(self.systems)})")
        return self._servers[system]

    def base_url(self, system: str) -> str:
        """``http://host:port`` of the system's server."""
        return self._server(system).url

    def url(self, system: str) -> str:
        """The ``base_url`` setting of the system's connector (no trailing slash): the shop root for
        PrestaShop (the API lives under ``/api``), ``…/WebServices100/<BASE>`` for Sage 100."""
        return self.sim(system).connector_url(self.base_url(system))

    def api_url(self, system: str) -> str:
        """The API root for direct calls, ending with ``/`` (``…/api/``, ``…/WebServices100/BIJOU/``)."""
        return self.sim(system).api_root(self.base_url(system))

    def credentials(self, system: str) -> dict[str, str]:
        return self.sim(system).credentials()

    def sim(self, system: str) -> Any:
        if system not in self._sims:
            raise KeyError(f"{system!r} is not part of this sandbox (systems: {', '.join(self.systems)})")
        return self._sims[system]
