"""Texts of the regulator pages: key -> (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {}
