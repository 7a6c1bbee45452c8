"""Texts of the near-duplicate pair and overlap report pages: key -> (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {}
