"""The staff pages (to be written)."""

from __future__ import annotations
