"""File formats qbank reads and writes, one module per format.

Each module owns its format whole: the constants, the writer, the reader and the errors the
reader raises, so a change to a format is a change to one file. `importers/` and `exporters/`
use these modules; the engine (`qbank/`) never does. See docs/architecture.md.
"""
