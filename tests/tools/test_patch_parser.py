"""apply_patch parser (spec §5.2): the grammar, lenient markers, heredoc leniency, every error text."""

from __future__ import annotations

import pytest

from agent.tools.patch.parser import AddFile, Chunk, DeleteFile, PatchParseError, UpdateFile, parse_patch

HEADERS = "Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'"
UNEXPECTED = ("Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)")


def wrap(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"])


def error_of(text: str) -> PatchParseError:
    with pytest.raises(PatchParseError) as info:
        parse_patch(text)
    return info.value


def test_all_three_hunk_kinds():
    hunks = parse_patch(wrap(
        "*** Add File: new.txt", "+hello", "+", "+world",
        "*** Delete File: old.txt",
        "*** Update File: src.py", "*** Move to: dst.py", "@@ def f():", " a", "-b", "+c",
    ))
    assert hunks == [
        AddFile("new.txt", "hello\n\nworld\n"),
        DeleteFile("old.txt"),
        UpdateFile("src.py", "dst.py", [Chunk("def f():", ["a", "b"], ["a", "c"], False)]),
    ]


def test_zero_hunks_parse_and_add_without_lines_is_empty_file():
    assert parse_patch("*** Begin Patch\n*** End Patch\n") == []
    assert parse_patch(wrap("*** Add File: empty.txt")) == [AddFile("empty.txt", "")]


def test_update_chunks_context_eof_and_blank_lines():
    hunks = parse_patch(wrap(
        "*** Update File: f",
        "   ",             # whitespace-only lines between chunks are skipped
        " first",          # the first chunk may omit @@
        "+x",
        "",                # a truly empty line inside a chunk is an empty context line
        "  ",              # inside a chunk, a line of spaces is a context line ' '
        "@@",
        "-y",
        "+z",
        "*** End of File",
        "",
        "\t",
        "@@ class A",
        " tail",
    ))
    (update,) = hunks
    assert update.chunks == [
        Chunk(None, ["first", "", " "], ["first", "x", "", " "], False),
        Chunk(None, ["y"], ["z"], True),
        Chunk("class A", ["tail"], ["tail"], False),
    ]


def test_chunk_ends_at_a_line_with_another_prefix_after_the_first():
    hunks = parse_patch(wrap("*** Update File: a", "@@", "-x", "+y", "*** Delete File: b"))
    assert hunks == [UpdateFile("a", None, [Chunk(None, ["x"], ["y"])]), DeleteFile("b")]


def test_markers_are_trimmed_and_crlf_tolerated():
    assert parse_patch(" *** Begin Patch\n*** Add File: a\n+x\n*** End Patch ") == [AddFile("a", "x\n")]
    assert parse_patch("*** Begin Patch \n*** Add File: a\n+x\n *** End Patch") == [AddFile("a", "x\n")]
    assert parse_patch("\n\n  *** Begin Patch\r\n   *** Delete File: b  \r\n*** End Patch\r\n\n") == [DeleteFile("b")]


def test_move_to_line_is_not_trimmed():
    (hunk,) = parse_patch(wrap("*** Update File: a", "  *** Move to: b", "@@", "-x", "+y"))
    # an indented Move line is not a Move line: it is read as a context line of a first chunk
    assert hunk.move_path is None
    assert hunk.chunks[0] == Chunk(None, [" *** Move to: b"], [" *** Move to: b"])


@pytest.mark.parametrize("opener", ["<<EOF", "<<'EOF'", '<<"EOF"'])
def test_heredoc_leniency(opener):
    text = f"{opener}\n*** Begin Patch\n*** Add File: a\n+x\n*** End Patch\nEOF\n"
    assert parse_patch(text) == [AddFile("a", "x\n")]


def test_heredoc_leniency_limits():
    assert error_of("<<\"EOF'\n*** Begin Patch\n*** Add File: a\n*** End Patch\nEOF").message == (
        "The first line of the patch must be '*** Begin Patch'")
    # inner lines are checked strictly and their error is returned
    assert error_of("<<EOF\n*** Begin Patch\n+x\nEOF").message == "The last line of the patch must be '*** End Patch'"
    # fewer than 4 lines: the original error
    assert error_of("<<EOF\n*** Begin Patch\nEOF").message == "The first line of the patch must be '*** Begin Patch'"


def test_boundary_errors_and_wording():
    err = error_of("hello\n*** End Patch")
    assert (err.kind, err.line_number) == ("patch", None)
    assert str(err) == "invalid patch: The first line of the patch must be '*** Begin Patch'"
    assert err.cli_message() == "Invalid patch: The first line of the patch must be '*** Begin Patch'"
    assert str(error_of("*** Begin Patch\n*** Add File: a\n+x")) == (
        "invalid patch: The last line of the patch must be '*** End Patch'")
    assert error_of("*** Begin Patch").message == "The last line of the patch must be '*** End Patch'"
    assert error_of("").message == "The last line of the patch must be '*** End Patch'"
    assert error_of("   \n  ").message == "The last line of the patch must be '*** End Patch'"


def test_invalid_hunk_header():
    err = error_of(wrap("*** Add File: a", "+x", "*** Frobnicate File: foo"))
    assert (err.kind, err.line_number) == ("hunk", 4)
    assert err.message == f"'*** Frobnicate File: foo' is not a valid hunk header. {HEADERS}"
    assert str(err) == f"invalid hunk at line 4, {err.message}"
    assert err.cli_message() == f"Invalid patch hunk on line 4: {err.message}"
    # the header is trimmed before it appears in the message
    assert error_of(wrap("   bogus   ")).message == f"'bogus' is not a valid hunk header. {HEADERS}"


def test_empty_update_hunk():
    err = error_of(wrap("*** Update File: foo.txt"))
    assert (err.line_number, err.message) == (2, "Update file hunk for path 'foo.txt' is empty")
    err = error_of(wrap("*** Delete File: x", "*** Update File: foo.txt", "*** Move to: bar.txt"))
    assert (err.line_number, err.message) == (3, "Update file hunk for path 'foo.txt' is empty")


@pytest.mark.parametrize("body", [["@@"], ["@@ ctx"], ["@@", "*** End of File"]])
def test_update_hunk_without_lines(body):
    err = error_of(wrap("*** Update File: a", *body))
    assert (err.line_number, err.message) == (4, "Update hunk does not contain any lines")


def test_second_chunk_needs_a_context_marker():
    err = error_of(wrap("*** Update File: a", "@@", "-x", "+y", "", "@@", "-p", "+q", "#oops"))
    # '#oops' ends the second chunk; it then has to start a third chunk, which needs @@
    assert (err.line_number, err.message) == (
        10, "Expected update hunk to start with a @@ context marker, got: '#oops'")


def test_unexpected_first_line_in_chunk():
    err = error_of(wrap("*** Update File: a", "@@", "#bad"))
    assert (err.line_number, err.message) == (4, f"Unexpected line found in update hunk: '#bad'. {UNEXPECTED}")


def test_line_numbers_count_earlier_hunks():
    err = error_of(wrap("*** Add File: a", "+1", "+2", "*** Delete File: b", "*** Update File: c", "@@"))
    assert err.line_number == 8  # upstream reports the line after the lone @@
