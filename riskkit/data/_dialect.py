"""A CSV file's dialect, told from its first bytes (private; see riskkit.data.read).

Contents
--------
Dialect     encoding, delimiter, decimal and thousands marks, and the notes saying why
sniff       the dialect of a file, or a riskkit error for a file that is not a price table
to_number   text written in a dialect (``"1.234,56"``) as text pandas reads (``"1234.56"``)

Only the head (:data:`HEAD_BYTES`) and the tail of a file are read here, so an
empty, binary or NUL-padded file is refused before pandas loads any of it.
The rules, in order:

- **encoding**: a byte-order mark (UTF-8, UTF-16, UTF-32); else UTF-16 without a
  mark when every other byte of the head is NUL; else UTF-8 when the head
  decodes; else cp1252 (what Excel on Windows writes). Any NUL byte left, or
  more than 1% control characters, is a binary file, refused.
- **delimiter**: for each of ``,`` ``;`` tab ``|``, the number of fields of each
  of the first lines, counted as the csv module reads them (quotes respected); the
  delimiter whose count is the same, and above one, on the most lines (the header
  first) wins. ``csv.Sniffer`` is not used: it guesses from character frequencies
  and takes the decimal comma of ``04.01.2010;1234,56`` for the delimiter.
- **decimal**: ``","`` when the delimiter is not a comma, some value is written
  ``1234,56`` or ``1.234,56`` and none ``1234.56``; the thousands mark is then
  ``"."``, a space or an apostrophe when values are grouped by it.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import lzma
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from riskkit.exceptions import EmptyDataError, InvalidParameterError, LayoutError

HEAD_BYTES = 1 << 16  # what is read to tell the dialect (64 KiB)
SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one): save the sheet as CSV"),
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls): save the sheet as CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"SQLite format 3", "an SQLite database"),
)
_COMMA_DECIMAL = re.compile(r"[-+]?(?:\d{1,3}(?:[. '\u00a0\u202f]\d{3})+|\d+),\d+")
_DOT_DECIMAL = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)\.(?:\d{1,2}|\d{4,})")
_GROUPED = {m: re.compile(rf"[-+]?\d{{1,3}}(?:{re.escape(m)}\d{{3}})+(?:,\d+)?") for m in ".' \u00a0\u202f"}


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written; ``notes`` are (step, text) pairs for the log."""

    encoding: str = "utf-8"
    sep: str = ","
    decimal: str = "."
    thousands: str | None = None
    notes: list = field(default_factory=list)
    ends_with_newline: bool = True


def _open(path: Path):
    lower = path.name.lower()
    if lower.endswith(".gz"):
        return gzip.open(path, "rb")
    if lower.endswith(".bz2"):
        return bz2.open(path, "rb")
    if lower.endswith(".xz"):
        return lzma.open(path, "rb")
    if lower.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        return archive.open(archive.namelist()[0])
    return open(path, "rb")


def _head_and_tail(path: Path) -> tuple[bytes, bytes]:
    """The first :data:`HEAD_BYTES` of the file's content and its last bytes (uncompressed
    files only; the tail of a compressed one is its head's end)."""
    try:
        with _open(path) as f:
            head = f.read(HEAD_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError, IndexError) as exc:
        raise LayoutError(
            f"source {path.name!r} cannot be decompressed ({type(exc).__name__}: {exc}); the archive "
            "is damaged or truncated: download or write it again."
        ) from None
    tail = head
    if head and path.suffix.lower() in (".csv", ".txt") and path.stat().st_size > HEAD_BYTES:
        with open(path, "rb") as f:
            f.seek(-min(HEAD_BYTES, path.stat().st_size - HEAD_BYTES), 2)
            tail = f.read()
    return head, tail


def sniff(path: Path, *, sep: str | None, decimal: str | None, encoding: str | None) -> Dialect:
    """The dialect of the CSV file at ``path``, each choice not given explained in a note.

    Raises :class:`EmptyDataError` for an empty or NUL-only file and :class:`LayoutError`
    for a binary one, having read at most twice :data:`HEAD_BYTES`."""
    head, tail = _head_and_tail(path)
    name = repr(path.name)
    if not head.strip(b" \t\r\n\x00"):
        what = "0 bytes" if not head else (
            f"only NUL bytes (the first {len(head):,})" if head.strip(b"\x00") == b""
            else "only blank lines"
        )  # fmt: skip
        raise EmptyDataError(
            f"source {name} is empty: it holds {what}, no header and no prices. A download or export "
            "that did not finish leaves such a file: write it again."
        )
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise LayoutError(f"source {name} is not a CSV text file: it is {what}.")
    notes: list = []
    enc = encoding or _encoding(head, notes)
    if not enc.startswith(("utf-16", "utf-32")):
        _refuse_binary(name, head.decode("latin-1"), tail, enc)
    text = _decode(name, head, enc)
    _refuse_binary(name, text, tail, enc)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(head) == HEAD_BYTES:  # the head's last line may be cut short
        lines = lines[:-1] or lines
    lines = lines[:60]
    chosen = sep if sep is not None else _separator(lines, notes)
    if sep is not None:
        _check_sep(name, lines, sep)
    if decimal and sep is not None and decimal == sep:
        raise InvalidParameterError(f"decimal={decimal!r} is also the delimiter sep={sep!r}.")
    if decimal:
        _check_decimal(name, lines, chosen, decimal)
    dec, thousands = (decimal, _thousands_mark(lines, chosen, decimal)) if decimal else _decimal(
        lines, chosen, notes
    )  # fmt: skip
    stripped = tail.rstrip(b"\x00") if enc.startswith("utf-16") or enc.startswith("utf-32") else tail
    newline = stripped.endswith(b"\n") or stripped.endswith(b"\n\x00")
    return Dialect(enc, chosen, dec, thousands, notes, newline)


def _encoding(head: bytes, notes: list) -> str:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            label = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}[enc]
            notes.append(("dialect", f"encoding {label} (from its byte-order mark)"))
            return enc
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        notes.append(("dialect", "encoding UTF-16 (little-endian, no byte-order mark: every other byte NUL)"))
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        notes.append(("dialect", "encoding UTF-16 (big-endian, no byte-order mark: every other byte NUL)"))
        return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        notes.append(
            (
                "dialect",
                f"encoding cp1252 (Windows, as Excel writes it): byte 0x{head[exc.start]:02x} at "
                f"{exc.start} is not UTF-8; pass encoding= if the file uses another",
            )
        )
        return "cp1252"
    return "utf-8"


def _decode(name: str, head: bytes, enc: str) -> str:
    try:
        return codecs.getincrementaldecoder(enc)(errors="strict").decode(head, final=False)
    except LookupError:
        raise InvalidParameterError(f"encoding={enc!r} is not an encoding Python knows.") from None
    except UnicodeDecodeError as exc:
        raise LayoutError(
            f"source {name} cannot be read as {enc}: byte 0x{head[exc.start]:02x} at {exc.start} is not "
            f"{enc}. Pass the file's encoding with encoding= (e.g. 'cp1252' for Excel on Windows).",
            fixes=[{"encoding": e} for e in ("cp1252", "utf-8") if e != enc],
        ) from None


def _refuse_binary(name: str, text: str, tail: bytes, enc: str) -> None:
    """A head of text followed by NUL bytes (in the head or the tail): padded, refused;
    NUL bytes inside, or more than 1% control characters: binary, refused."""
    body = text.rstrip("\x00")
    controls = [i for i, ch in enumerate(body) if ch < " " and ch not in "\t\r\n\f"]
    padded = len(body) < len(text) or (not enc.startswith(("utf-16", "utf-32")) and tail.endswith(b"\x00"))
    if padded and not controls:
        n = len(text) - len(body) if len(body) < len(text) else len(tail) - len(tail.rstrip(b"\x00"))
        raise LayoutError(
            f"source {name} ends with {n:,}{'+' if n == len(tail) else ''} NUL bytes after its text: the "
            "file was padded or not fully written (a copy or download cut short). Write it again, or "
            "remove the NUL bytes."
        )
    if controls and ("\x00" in body or len(controls) > 0.01 * len(body)):
        at = controls[0]
        raise LayoutError(
            f"source {name} is not a text file: it holds control characters "
            f"({len(controls):,} in its first {len(body):,} characters, the first {body[at]!r} at "
            f"character {at:,}), as binary data does. riskkit reads CSV text and Parquet."
        )


def _check_sep(name: str, lines: list, sep: str) -> None:
    """An explicit ``sep=`` that splits no line of the head, or splits the header into a
    different number of fields than the rows, while another delimiter splits every line
    alike: refused (the file would be read as one column of text, or as fields cut at its
    decimal commas), naming the other."""
    counts = _fields(lines, sep)
    if counts and max(counts) >= 2 and _consistent(counts):
        return
    other = _separator(lines, [])
    theirs = _fields(lines, other)
    if other == sep or not theirs or min(theirs) < 2 or not _consistent(theirs):
        return
    if max(counts, default=0) < 2:
        what = f"splits no line of source {name} into fields"
    else:
        what = f"splits the header of source {name} into {counts[0]} fields and its rows into {_mode(counts)}"
    raise InvalidParameterError(
        f"sep={sep!r} {what}: its first line {lines[0][:60]!r} has {theirs[0]} fields with {other!r}, as "
        f"every line does. Pass sep={other!r}, or leave sep out to have it detected (logged).",
        fixes=[{"sep": other}],
    )


def _mode(counts: list[int]) -> int:
    return max(set(counts), key=counts.count)


def _consistent(counts: list[int]) -> bool:
    """The header and at least 95% of the lines have the same number of fields (a short
    last line of the head, cut mid-line, does not count against it)."""
    mode = _mode(counts)
    return counts[0] == mode and counts.count(mode) >= 0.95 * len(counts)


def _check_decimal(name: str, lines: list, sep: str, decimal: str) -> None:
    """An explicit ``decimal=`` the file's values contradict (``decimal=","`` with values
    such as ``1234.56`` and none ``1234,56``, or the reverse): refused rather than read wrong."""
    values = _values(lines, sep)
    comma = [v for v in values if _COMMA_DECIMAL.fullmatch(v)] if sep != "," else []
    dot = [v for v in values if _DOT_DECIMAL.fullmatch(v)]
    seen, other, wrong = (dot, ".", comma) if decimal == "," else (comma, ",", dot)
    if seen and not wrong:
        raise InvalidParameterError(
            f"decimal={decimal!r} contradicts source {name}: its values are written with a decimal "
            f"{'point' if other == '.' else 'comma'}, such as {seen[0]!r}, and none with a decimal "
            f"{'comma' if decimal == ',' else 'point'}. Pass decimal={other!r}, or leave decimal out "
            "to have it detected (logged).",
            fixes=[{"decimal": other}],
        )


def _fields(lines: list, sep: str) -> list[int]:
    return [len(row) for row in csv.reader(lines, delimiter=sep)]


def _separator(lines: list, notes: list) -> str:
    best, best_score = ",", None
    for sep in SEPARATORS:
        counts = _fields(lines, sep)
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts[0] == mode, counts.count(mode) / len(counts), mode)
        if best_score is None or score > best_score:
            best, best_score = sep, score
    if best != ",":
        share = f"{best_score[1]:.0%}" if best_score else ""
        notes.append(
            (
                "dialect",
                f"delimiter {_SEP_NAMES[best]} ({best!r}): {best_score[2]} fields on {share} of the first "
                f"{len(lines)} lines; pass sep= to choose another",
            )
        )
    return best


def _values(lines: list, sep: str) -> list[str]:
    rows = list(csv.reader(lines[1:], delimiter=sep))
    return [cell.strip() for row in rows for cell in row[1:] if cell.strip()]


def _thousands_mark(lines: list, sep: str, decimal: str) -> str | None:
    if decimal != ",":
        return None
    values = _values(lines, sep)
    for mark, pattern in _GROUPED.items():
        if mark != sep and any(pattern.fullmatch(v) for v in values):
            return mark
    return None


def _decimal(lines: list, sep: str, notes: list) -> tuple[str, str | None]:
    if sep == ",":
        return ".", None
    values = _values(lines, sep)
    comma = [v for v in values if _COMMA_DECIMAL.fullmatch(v)]
    dot = [v for v in values if _DOT_DECIMAL.fullmatch(v)]
    if not comma or dot:
        return ".", None
    thousands = _thousands_mark(lines, sep, ",")
    grouped = f", thousands mark {thousands!r}" if thousands else ""
    notes.append(
        (
            "dialect",
            f"decimal comma{grouped}: values such as {comma[0]!r} and none with a decimal point; pass "
            "decimal='.' if the commas are thousands marks",
        )
    )
    return ",", thousands


def to_number(text, decimal: str, thousands: str | None):
    """``text`` as pandas reads numbers: the thousands marks removed, the decimal mark a point.
    Anything but a string is returned as it is."""
    if not isinstance(text, str):
        return text
    if thousands:
        text = text.replace(thousands, "")
    return text.replace(decimal, ".") if decimal != "." else text
