"""Property-based fuzzing of the OneRoster CSV reader: whatever bytes a set holds, a fetch
gives a Feed or a SourceError naming the set, never another exception."""

from __future__ import annotations

import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.feed import Feed, SourceError
from connectors.oneroster_csv import OneRosterCsvConnector
from connectors.oneroster_map import SPEC_COLUMNS

from ..support.paths import FIXTURES

EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"
NAMES = sorted(p.name for p in EDFI.iterdir())
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Bytes that mean something to a CSV reader or a decoder
SPECIAL = [b",", b'"', b"\n", b"\r", b"\r\n", b"\0", b"\xff", b"\xef\xbb\xbf", b"\xff\xfe",
           b"\xc3", b" ", b"\t", b"=", b"metadata.", b"tobedeleted", b"2025-13-45T25:61:00Z"]


def outcome(path: Path) -> Feed | SourceError:
    """The fetch's result: a Feed, or the SourceError it raised (its first line names the
    set). Any other exception fails the test."""
    try:
        return OneRosterCsvConnector(path).fetch("full", None)
    except SourceError as e:
        assert str(e).startswith(f"{path}: "), str(e)
        assert "Traceback" not in str(e)
        return e


@contextmanager
def edfi_copy() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "set"
        shutil.copytree(EDFI, folder)
        yield folder


# -- one file of a real set replaced --------------------------------------------------------

@FUZZ
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=4000))
def test_any_bytes_as_one_file(name, data):
    with edfi_copy() as folder:
        (folder / name).write_bytes(data)
        outcome(folder)


@FUZZ
@given(name=st.sampled_from(NAMES), cuts=st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 30),
              st.lists(st.sampled_from(SPECIAL) | st.binary(max_size=4), max_size=4)),
    min_size=1, max_size=6))
def test_a_real_file_with_bytes_spliced_in(name, cuts):
    """A real file with a few spans replaced by meaningful bytes: deeper than random
    bytes, which rarely get past the header."""
    with edfi_copy() as folder:
        data = (folder / name).read_bytes()
        for where, length, inserted in cuts:
            at = int(where * len(data))
            data = data[:at] + b"".join(inserted) + data[at + length:]
        (folder / name).write_bytes(data)
        outcome(folder)


# -- small sets made up from scratch ------------------------------------------------------

COLUMN = st.sampled_from(sorted({c for cols in SPEC_COLUMNS.values() for c in cols})
                         + ["", "Email", "metadata.x", "vendor", "sourcedid"])
VALUE = st.sampled_from(["", "1", "2", "s1", "d1", "u1", "c1", "active", "tobedeleted",
                         "school", "district", "department", "student", "teacher", "true",
                         "2025-08-11", "2025-02-30", "2025-08-11T06:00:00Z", "a,b", '"',
                         "x\ny", "09"]) | st.text(max_size=6)
MODE = st.sampled_from(["bulk", "delta", "absent", "sometimes"])
VERSION = st.sampled_from(["1.1", "1.2", "", "1.1 "])


def file_text(columns: list[str], rows: list[list[str]]) -> str:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') \
            else value
    return "".join(",".join(map(cell, row)) + "\n" for row in [columns, *rows])


@st.composite
def small_sets(draw) -> dict[str, str]:
    """{file name: text}: a manifest and some OneRoster files, their headers either the
    spec's or a draw of column names, their rows drawn values."""
    files = draw(st.lists(st.sampled_from(list(SPEC_COLUMNS)), unique=True, max_size=7))
    version = draw(VERSION)
    manifest = [["propertyName", "value"]] + ([["oneroster.version", version]] if version
                                              else [])
    texts = {}
    for file in files:
        manifest.append([f"file.{file}", draw(MODE)])
        spec = list(SPEC_COLUMNS[file])
        columns = draw(st.just(spec) | st.permutations(spec) | st.lists(COLUMN, max_size=12))
        rows = draw(st.lists(st.lists(VALUE, min_size=len(columns), max_size=len(columns))
                             | st.lists(VALUE, max_size=4), max_size=5))
        texts[f"{file}.csv"] = file_text(columns, rows)
    texts["manifest.csv"] = file_text(manifest[0], manifest[1:])
    return texts


@FUZZ
@given(texts=small_sets(), as_zip=st.booleans(), twice=st.booleans())
def test_any_small_set(texts, as_zip, twice):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "set"
        folder.mkdir()
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
        source = folder
        if as_zip:
            source = Path(tmp) / "set.zip"
            with warnings.catch_warnings(), zipfile.ZipFile(source, "w") as zf:
                warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
                for name, text in texts.items():
                    zf.writestr(name, text)
                if twice:
                    zf.writestr("manifest.csv", texts["manifest.csv"])
        result = outcome(source)
        if as_zip and twice:
            assert isinstance(result, SourceError)
