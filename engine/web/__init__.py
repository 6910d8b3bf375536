"""What ``passerelle serve`` answers over HTTP: the operator dashboard, ``/healthz`` and ``/metrics``
(Starlette routes served by uvicorn). This package imports the runtime; the runtime never imports it,
and Starlette is imported nowhere else."""
