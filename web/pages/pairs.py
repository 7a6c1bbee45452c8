"""The near-duplicate pair pages and the overlap report viewer (to be written)."""

from __future__ import annotations
