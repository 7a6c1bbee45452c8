"""Save an openpyxl workbook with item text's sub- and superscripts as Excel writes them.

openpyxl writes every string inline in the sheet (`<c t="inlineStr">`), rich text too, and
in read-only mode, which the importers use, it reads an inline rich string as plain text:
`U_{2}` written as rich text would come back as `U2`, a different item (and a filing
package's bank.xlsx would no longer hash to its versions). Excel and WPS keep rich text in
the shared-string table, which read-only mode reads with its runs. So `save` writes the
workbook with the markup as text, then moves every cell whose text has a sub- or superscript
(`qbank.text.scripts`) into a shared-string table, as runs with `vertAlign`: Excel and
WPS show real scripts, and `importers.tables` reads the same markup back (baseline runs keep
their escapes, so the text round-trips exactly). Cells without scripts stay as they were.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree
from openpyxl import Workbook

from qbank.text import scripts

__all__ = ["save"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SST_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_PART = "xl/sharedStrings.xml"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _m(tag: str) -> str:
    return f"{{{_MAIN}}}{tag}"


def save(workbook: Workbook, path: str | Path) -> None:
    """Write `workbook` to `path`, scripts as shared rich strings (module notes).
    Side effects: creates or overwrites `path`."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    Path(path).write_bytes(_with_shared_scripts(buffer.getvalue()))


def _with_shared_scripts(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        parts = {info.filename: source.read(info) for info in infos}
    if _SST_PART in parts:  # openpyxl writes none; a table of its own is left alone
        return data
    strings: list[etree._Element] = []
    for name in parts:
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            parts[name] = _move_scripted(parts[name], strings)
    if not strings:
        return data
    table = etree.fromstring(f'<sst xmlns="{_MAIN}"/>')
    table.set("count", str(len(strings)))
    table.set("uniqueCount", str(len(strings)))
    table.extend(strings)
    parts[_SST_PART] = etree.tostring(table, xml_declaration=True, encoding="UTF-8")
    parts["[Content_Types].xml"] = _add_override(parts["[Content_Types].xml"])
    parts["xl/_rels/workbook.xml.rels"] = _add_relationship(parts["xl/_rels/workbook.xml.rels"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            target.writestr(info, parts[info.filename])
        target.writestr(zipfile.ZipInfo(_SST_PART, infos[0].date_time), parts[_SST_PART])
    return out.getvalue()


def _move_scripted(sheet: bytes, strings: list[etree._Element]) -> bytes:
    """The sheet with each inline string that has scripts replaced by a reference to a new
    shared rich string (appended to `strings`)."""
    root = etree.fromstring(sheet)
    moved = False
    for cell in root.iter(_m("c")):
        inline = cell.find(_m("is")) if cell.get("t") == "inlineStr" else None
        if inline is None:
            continue
        text = "".join(t.text or "" for t in inline.iter(_m("t")))
        runs = scripts.stored_runs(text)
        if all(position == scripts.BASELINE for _, position in runs):
            continue
        shared = etree.Element(_m("si"))
        for part, position in runs:
            run = etree.SubElement(shared, _m("r"))
            if position != scripts.BASELINE:
                properties = etree.SubElement(run, _m("rPr"))
                etree.SubElement(properties, _m("vertAlign")).set("val", position)
            shown = etree.SubElement(run, _m("t"))
            shown.text = part
            shown.set(_XML_SPACE, "preserve")
        cell.remove(inline)
        cell.set("t", "s")
        etree.SubElement(cell, _m("v")).text = str(len(strings))
        strings.append(shared)
        moved = True
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") if moved else sheet


def _add_override(content_types: bytes) -> bytes:
    root = etree.fromstring(content_types)
    override = etree.SubElement(root, f"{{{_CONTENT_TYPES}}}Override")
    override.set("PartName", f"/{_SST_PART}")
    override.set("ContentType", _SST_CONTENT)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _add_relationship(relationships: bytes) -> bytes:
    root = etree.fromstring(relationships)
    taken = {r.get("Id") for r in root}
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    relationship = etree.SubElement(root, f"{{{_PACKAGE_RELS}}}Relationship")
    relationship.set("Type", _SST_TYPE)
    relationship.set("Target", "sharedStrings.xml")
    relationship.set("Id", f"rId{number}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
