import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.imports.csv_files import FileRejected, Limits, read

COLUMNS = ["name", "email", "note"]
LIMITS = Limits(max_bytes=10_000, max_rows=5, max_field=20)


def parse(text: str | bytes, limits: Limits = LIMITS):
    content = text.encode() if isinstance(text, str) else text
    return read(content, COLUMNS, {"name"}, limits)


def test_bom_and_no_bom_read_the_same():
    plain = b"name,email\r\nAda,a@x.example\r\n"
    assert [r.values for r in parse(b"\xef\xbb\xbf" + plain)] == [r.values for r in parse(plain)]


def test_latin1_is_refused_with_an_encoding_message():
    with pytest.raises(FileRejected, match="not UTF-8"):
        parse("name\nJosé\n".encode("latin-1"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,colour\nx,y\n", "Unknown column: “colour”. The columns are: name, email"),
        ("name,name\nx,y\n", "Column given twice: name"),
        ("email\nx@y.example\n", "Missing column"),
        ("name\n", "no rows"),
        ("", "empty"),
        ("name\na\nb\nc\nd\ne\nf\n", "more than 5 rows"),
        ("name\nab\x00c\n", "NUL byte on line 2"),
        ('name\n"unterminated\n', "malformed"),
    ],
)
def test_whole_file_problems_reject_it_with_a_clear_message(text, message):
    with pytest.raises(FileRejected, match=message):
        parse(text)


def test_cell_problems_name_the_line_and_the_column():
    rows = parse('name,email,note\nok,,\n"two\nlines",,\n' + "x" * 21 + ",,\na,b,c,d\n")
    assert rows[0].errors == []
    assert str(rows[1].errors[0]) == "line 3, column name: line breaks are not allowed here."
    assert str(rows[2].errors[0]) == "line 5, column name: longer than 20 characters."
    assert "4 cells for 3 columns" in str(rows[3].errors[0]) and rows[3].line == 6


def test_header_injection_in_an_email_cell_is_a_row_error():
    rows = parse('name,email\nx,"a@x.example\r\nBcc: victim@y.example"\n')
    assert rows[0].errors and rows[0].errors[0].column == "email"


def test_formulas_are_kept_as_text_and_our_export_prefix_is_undone():
    rows = parse("name,note\n=1+1,'=HYPERLINK(1)\n'plain,'-5\n")
    assert rows[0].values == {"name": "=1+1", "note": "=HYPERLINK(1)"}
    assert rows[1].values == {"name": "'plain", "note": "-5"}


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    rows = parse("name\n\na\n,\nb\n")
    assert [(r.line, r.values["name"]) for r in rows] == [(3, "a"), (5, "b")]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_a_clear_rejection(content):
    try:
        rows = read(b"name,email,note\n" + content, COLUMNS, {"name"}, LIMITS)
    except FileRejected as rejection:
        assert str(rejection)
    else:
        assert all(isinstance(r.line, int) and set(r.values) <= set(COLUMNS) for r in rows)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_rows_or_a_clear_rejection(text):
    try:
        parse(text)
    except FileRejected as rejection:
        assert str(rejection)


CELLS = st.text(alphabet=st.sampled_from(list("ab '=-\n\r\t")), max_size=10)
SHORT = Limits(max_bytes=10_000, max_rows=5, max_field=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=5))
def test_each_cell_is_trimmed_un_neutralised_or_refused_on_its_own(cells):
    """Whether a row is read whole (every cell fits) or cell by cell, each cell ends the
    same: a line break or more than max_field characters is that cell's error and leaves
    it blank; any other is trimmed, and our export's quote before a formula is undone."""
    (row,) = read_cells(cells) or [None]
    if row is None:  # a row of blanks is skipped
        assert not any(cell.strip() for cell in cells)
        return
    errors = {error.column: error.message for error in row.errors if error.column}
    for name, cell in zip(COLUMNS, cells, strict=False):
        if len(cell) > SHORT.max_field:
            assert errors[name] == "longer than 6 characters." and row.values[name] == ""
        elif "\n" in cell or "\r" in cell:
            assert errors[name] == "line breaks are not allowed here." and row.values[name] == ""
        else:
            trimmed = cell.strip()
            undone = trimmed.startswith("'") and trimmed[1:].startswith(("=", "-", "\t", "\r"))
            assert name not in errors and row.values[name] == (trimmed[1:] if undone else trimmed)
    assert any("cells for 3 columns" in error.message for error in row.errors) == (len(cells) > 3)


def read_cells(cells: list[str]):
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([COLUMNS, cells])
    try:
        return read(buffer.getvalue().encode(), COLUMNS, set(), SHORT)
    except FileRejected:  # a header but no rows: the one row was blank
        return []
