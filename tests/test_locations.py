"""Where a record sits, as the user reads it: `describer` renders exactly `Location.describe`.

An import renders every record's origin with `qbank.records.describer` (a template per kind
of place, filled in), so it must give the same text as `describe` for every shape of
location a reader makes (sheet rows, CSV rows, Word paragraphs, tables and their cells), in
both languages, whatever the file or sheet is called.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qbank.i18n import set_language
from qbank.records import Location, describer

_NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_NUMBERS = st.none() | st.integers(1, 10**6)
_LOCATIONS = st.builds(
    Location,
    file=_NAMES,
    sheet=st.none() | _NAMES,
    row=_NUMBERS,
    paragraph=_NUMBERS,
    table=_NUMBERS,
    column=_NUMBERS,
)


@given(locations=st.lists(_LOCATIONS, max_size=12), english=st.booleans())
def test_describer_renders_as_describe(locations: list[Location], english: bool) -> None:
    set_language("en" if english else "zh")
    try:
        describe = describer()
        for location in [*locations, *locations]:  # the second time from its templates
            assert describe(location) == location.describe()
    finally:
        set_language(None)


def test_braces_and_slots_in_names_are_text() -> None:
    describe = describer()
    for location in (
        Location("题库{row}.xlsx", "试题{0}", 7),
        Location("a\x01b.csv", row=3),
        Location("卷.docx", paragraph=12),
        Location("卷.docx", table=2, row=3, column=4),
    ):
        assert describe(location) == location.describe()
    assert describe(Location("题库{row}.xlsx", "试题{0}", 8)).endswith("8 行")
