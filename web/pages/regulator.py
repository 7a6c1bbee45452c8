"""The regulator pages (to be written)."""

from __future__ import annotations
