"""Flows that join the database and files: one function per flow, shared by cli/ and web/.

A workflow opens what it needs from `qbank/` (the engine) and from `formats/`, `importers/`
and `exporters/` (files), so the CLI, the demo and the browser pages run one orchestration.
See docs/architecture.md.
"""
