"""Importers: files in (docx, xlsx, csv, yaml, json) → validated records for qbank.

Each importer is a pure function `path → Parsed[record]`: it reads one file, returns every
record it could read and every problem it found, and never touches the database.
"""
