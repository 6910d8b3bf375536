"""Passerelle: a declarative mapping engine between Sage ERPs and e-commerce shops.

Public API (everything else is internal)::

    from engine import load_project, compile_project, dry_run, validate_paths
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "Loc",
    "RecordError",
    "SpecError",
    "__version__",
    "compile_project",
    "dry_run",
    "load_project",
    "validate_paths",
]


def __getattr__(name: str):
    # Lazy re-exports: importing the package has no side effect and stays cheap.
    if name in ("Diagnostic", "Loc", "RecordError", "SpecError"):
        from engine import errors
        return getattr(errors, name)
    if name == "load_project":
        from engine.project.load import load_project
        return load_project
    if name == "compile_project":
        from engine.plan.compile import compile_project
        return compile_project
    if name == "dry_run":
        from engine.runtime.dryrun import dry_run
        return dry_run
    if name == "validate_paths":
        from engine.plan.validate import validate_paths
        return validate_paths
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
