"""Exporters: qbank records → files out (item banks, papers, answer keys, reports)."""
