"""File I/O for the jobs, all through Spark and the Hadoop FileSystem API.

One code path reads and writes local folders (`make run-job`), `s3://` on Glue (EMRFS) and `s3://`
through s3a against moto (local mode): the trip files, the rules SQL, the reference CSV, run reports,
and the listing and removal of partition folders.

Reading an arriving file (`reading`, `read_input`) takes it as its producer wrote it, by column name and
meaning, never by physical type, and never fails on a value:
- CSV (plain or gzip): every column as text. The file's first bytes are looked at first (through the file
  system, no Spark job): its compression, a byte-order mark, the encoding (UTF-8, else Windows-1252), the
  line ends, and the delimiter (`,` `;` tab `|`: the one whose header names the most expected columns).
  Quoted fields may hold delimiters, doubled quotes and line breaks; a row with fewer fields than the
  header gets nulls; a row with more gets them dropped when they are empty (trailing delimiters), and is
  marked in `ROW_PROBLEM` when they are not (a value with an unquoted delimiter shifts the columns).
- Parquet: the footer is read first (Parquet's own reader, through Spark's JVM), which gives the columns
  as stored and decides how each is read: integers of any width, signedness or decimal, floats,
  strings or unannotated binary (decoded as UTF-8 text), dates, INT96, and INT64 timestamps in
  milliseconds, microseconds or nanoseconds (converted here from the epoch count, so no unit and no value
  can fail the read); a column whose type Spark cannot read at all (TIME, nested groups, FLOAT16,
  INTERVAL, UUID) is left out and named in `InputFile.columns` with the reason. A footer the reader
  cannot decode at all (Spark 3.5's parquet-mr and a FLOAT16 column) fails the run as such, not as a
  truncated upload.
- A file that cannot be read at all raises `UnreadableInputError`, one line naming the file, the problem
  and what to do; errors raised while the rows are read (a truncated gzip, a corrupt Parquet page) are
  turned into it by `reading`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)
from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from job_family.glue.runtime import values
from job_family.glue.runtime.arguments import in_flight_folder, in_flight_mark, in_flight_run, staging_key
from job_family.glue.runtime.session_settings import session_conf

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
JSON_LINES_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
# The formats an arriving file can be read in, by name suffix (`input_format`).
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": CSV_SUFFIXES,
    "parquet": PARQUET_SUFFIXES,
    "json": JSON_LINES_SUFFIXES,
}

# Set while an arriving file is read and its rows are first evaluated (`reading`):
# - column names are matched exactly (a file may hold both `airport_fee` and `Airport_fee`);
# - timestamps are computed in UTC (the job's convention: wall-clock times are kept as written);
# - dates and times before the Gregorian switch or 1900 are read as stored (non-Spark writers use the
#   proleptic calendar), never refused with an "ancient datetime" error.
READ_CONF: dict[str, str] = {
    "spark.sql.caseSensitive": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
}
# Set on rows of a CSV file that hold more values than its header names (null on every other row).
ROW_PROBLEM = "_row_problem"
CSV_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 65536
_CORRUPT = "_corrupt_record_"
_REASON_CHARS = 200
# What an error raised while the rows are read says when the file itself is at fault.
_READ_FAILURES = (
    "Encountered error while reading file",
    "FAILED_READ_FILE",
    "CANNOT_READ_FILE_FOOTER",
    "EOFException",
    "ZipException",
    "not a gzip file",
    "Unexpected end of input stream",
    "is not a Parquet file",
    "ParquetDecodingException",
    "can not read class org.apache.parquet",
    "TProtocolException",
    "MalformedInputException",
    "TextParsingException",
    "Premature EOF",
)


class UnreadableInputError(ValueError):
    """A raw file the job cannot read at all. The message is one line, `<file> <problem>; <what to do>;
    nothing was written`: it becomes the cause on the audit item and in the failure notification."""

    def __init__(self, path: str, problem: str, action: str) -> None:
        self.path = path
        self.problem = _one_line(problem)
        self.action = _one_line(action)
        super().__init__(f"{path} {self.problem}; {self.action}; nothing was written")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _short(text: str) -> str:
    text = _one_line(text)
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def input_format(path: str, formats: Sequence[str] = tuple(FORMATS)) -> str:
    """`csv` (plain or gzip), `parquet` or `json` (JSON Lines, plain or gzip), from the file name; only
    `formats` are accepted."""
    name = path.lower()
    for fmt in formats:
        if name.endswith(FORMATS[fmt]):
            return fmt
    suffixes = [f"*{suffix}" for fmt in formats for suffix in FORMATS[fmt]]
    accepted = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]
    raise UnreadableInputError(
        path, "is not a file type the job reads", f"name it {accepted} and upload it again"
    )


@dataclass(frozen=True)
class StoredColumn:
    """One column as the file stores it, and where its values are in `InputFile.frame`.

    `stored_type`: the type as stored (`text` for CSV; for Parquet the physical type and its annotation,
    e.g. `INT64 TIMESTAMP(NANOS,false)`, `DOUBLE`, `BINARY STRING`, `INT96`). `field`: the frame's column
    holding the values, typed by meaning (text, a number type, boolean, date, `timestamp_ntz` for a
    wall-clock time, `timestamp` for an instant), or None when Spark cannot read the column
    (`unreadable` says why). `text`: a frame column with the stored value as text for the rows where
    `field` is null although the file held a value (an epoch count outside Spark's range), else None.
    `note`: what reading did to it (`nanoseconds truncated to microseconds`)."""

    name: str
    stored_type: str
    field: str | None
    text: str | None = None
    note: str = ""
    unreadable: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.stored_type}


@dataclass(frozen=True)
class InputFile:
    """An arriving file, read: `frame` holds one column per readable stored column (named by its
    `field`) and `ROW_PROBLEM`; `details` are facts about the file for the run report."""

    path: str
    format: str
    frame: DataFrame
    columns: tuple[StoredColumn, ...]
    details: dict[str, Any] = field(default_factory=dict)

    def physical_schema(self) -> list[dict[str, str]]:
        """[{name, type}] as stored, in file order."""
        return [column.as_dict() for column in self.columns]


# What a job did with a stored column (`ColumnUse.action`).
KEPT, CAST, RENAMED, MISSING, EXTRA = "kept", "cast", "renamed", "missing", "extra"


@dataclass(frozen=True)
class ColumnUse:
    """What was done with one column, for the run report's `columns`: `name`/`type` as the file stores
    it (None for a missing column), `conformed`/`conformed_type` what it became (None for an extra
    column), and `action`: `kept` (same name, already the conformed type), `cast` (converted to the
    conformed type), `renamed` (the file spells the name otherwise than the dataset declares it, e.g.
    `Airport_fee`; the types show whether it was cast too), `missing` (an optional column the file
    lacks: null in every row), `extra` (not a column of the dataset: not written)."""

    name: str | None
    type: str | None
    conformed: str | None
    conformed_type: str | None
    action: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "conformed": self.conformed,
            "conformed_type": self.conformed_type,
            "action": self.action,
            "note": self.note,
        }


def frame_input(frame: DataFrame, path: str) -> InputFile:
    """An in-memory frame as an arriving file (tests, callers that read on their own): its columns
    as stored, typed as they are."""
    fields = [f"c{i}" for i in range(len(frame.columns))]
    columns = tuple(
        StoredColumn(name, frame.schema[i].dataType.simpleString(), fields[i])
        for i, name in enumerate(frame.columns)
    )
    renamed = frame.toDF(*fields).withColumn(ROW_PROBLEM, F.lit(None).cast(StringType()))
    return InputFile(path, "frame", renamed, columns, {"format": "frame"})


@contextmanager
def reading(
    spark: SparkSession,
    path: str,
    *,
    expected_columns: Iterable[str] = (),
    formats: Sequence[str] = tuple(FORMATS),
) -> Iterator[InputFile]:
    """`read_input` with `READ_CONF` set for the block, which must also run the first action over the
    rows (the staged copy). An error the file causes there (a truncated gzip, a corrupt Parquet page)
    comes out as `UnreadableInputError`; any other error as it was."""
    fmt = input_format(path, formats)
    with session_conf(spark, READ_CONF):
        try:
            yield read_input(spark, path, expected_columns=expected_columns, formats=formats)
        except UnreadableInputError:
            raise
        except Exception as error:
            unreadable = unreadable_cause(error, path, fmt)
            if unreadable is None:
                raise
            raise unreadable from error


def read_input(
    spark: SparkSession,
    path: str,
    *,
    expected_columns: Iterable[str] = (),
    formats: Sequence[str] = tuple(FORMATS),
) -> InputFile:
    """An arriving file as its producer wrote it (module docstring). `expected_columns` (the names the
    dataset publishes) only decide a CSV file's delimiter. Call it inside `reading`."""
    fmt = input_format(path, formats)
    files = _data_files(spark, path, folder_allowed=fmt == "parquet")
    size = sum(length for _, length in files)
    if size == 0:
        raise UnreadableInputError(
            path,
            "is empty (0 bytes)",
            "upload the complete file again (an upload that failed or was cut off leaves an empty object)",
        )
    if fmt == "parquet":
        return _read_parquet(spark, path, [name for name, _ in files], size)
    if fmt == "json":
        return _read_json_lines(spark, path, size)
    return _read_csv(spark, path, size, [name.strip().lower() for name in expected_columns])


def _data_files(spark: SparkSession, path: str, *, folder_allowed: bool) -> list[tuple[str, int]]:
    """(path, bytes) of the file, or of the data files of a folder as Spark writes Parquet (its names
    not starting with `_` or `.`)."""
    hadoop_path, fs = _hadoop(spark, path)
    try:
        status = fs.getFileStatus(hadoop_path)
    except Exception as error:
        if "FileNotFoundException" in _chain_text(error):
            raise UnreadableInputError(
                path, "does not exist", "upload the file again (it was removed or renamed before the run)"
            ) from None
        raise
    if not status.isDirectory():
        return [(path, int(status.getLen()))]
    if not folder_allowed:
        raise UnreadableInputError(path, "is a folder, not a file", "upload one file per object")
    parts = [
        (str(child.getPath().toString()), int(child.getLen()))
        for child in fs.listStatus(hadoop_path)
        if child.isFile() and not str(child.getPath().getName()).startswith(("_", "."))
    ]
    if not parts:
        raise UnreadableInputError(path, "is a folder without data files", "upload the Parquet file itself")
    return sorted(parts)


# --- errors -------------------------------------------------------------------------------------------
def _java_chain(error: BaseException) -> list[tuple[str, str]]:
    """(class, message) of the Java exception behind a py4j/PySpark error and its causes."""
    java = getattr(error, "java_exception", None) or getattr(error, "_origin", None)
    chain: list[tuple[str, str]] = []
    seen = 0
    while java is not None and seen < 20:
        try:
            chain.append((str(java.getClass().getName()), str(java.getMessage() or "")))
            java = java.getCause()
        except Exception:
            break
        seen += 1
    return chain


def _chain_text(error: BaseException) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    parts += [f"{name}: {message}" for name, message in _java_chain(error)]
    return "\n".join(parts)


def _reason(error: BaseException, path: str) -> str:
    """The innermost message that says something (a Java cause's, else the error's first line), the
    file's own path left out (the cause names it once, first)."""
    text = ""
    for name, message in reversed(_java_chain(error)):
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        if lines:
            text = f"{name.rsplit('.', 1)[-1]}: {lines[0]}"
            break
    if not text:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        text = lines[0] if lines else type(error).__name__
    file_name = path.rstrip("/").rsplit("/", 1)[-1]
    if file_name:
        text = re.sub(r"\S*" + re.escape(file_name) + r"\S*", "the file", text)
    return _short(text)


_LABELS = {"csv": "CSV", "json": "JSON Lines", "parquet": "Parquet"}


def _suffix(path: str) -> str:
    """The file's format suffix as named (`.csv.gz`, `.jsonl`), or its last suffix."""
    name = path.lower().rstrip("/")
    found = [suffix for suffixes in FORMATS.values() for suffix in suffixes if name.endswith(suffix)]
    if found:
        return max(found, key=len)
    base = name.rsplit("/", 1)[-1]
    return base[base.rfind(".") :] if "." in base else ""


def _problem(path: str, fmt: str, reason: str) -> tuple[str, str]:
    label = _LABELS.get(fmt, fmt)
    if fmt == "parquet":
        return (
            f"is not a readable Parquet file ({reason})",
            "upload the complete Parquet file again (a truncated or damaged upload cannot be read)",
        )
    if path.lower().endswith(".gz"):
        suffix = _suffix(path)
        return (
            f"is not a readable gzip file ({reason})",
            f"upload the complete {suffix} again, or the plain {label} named *{suffix.removesuffix('.gz')}",
        )
    return (f"is not a readable {label} file ({reason})", f"upload it again as {label} text (UTF-8)")


def unreadable_cause(error: BaseException, path: str, fmt: str) -> UnreadableInputError | None:
    """The `UnreadableInputError` for an error raised while a file's rows were read, when the file is
    at fault (its bytes cannot be decoded); None for anything else (a failed write, a lost executor)."""
    text = _chain_text(error)
    name = path.rstrip("/").rsplit("/", 1)[-1]
    at_fault = any(marker in text for marker in _READ_FAILURES)
    if not at_fault and not ("reading file" in text and name in text):
        return None
    problem, action = _problem(path, fmt, _reason(error, path))
    return UnreadableInputError(path, problem, action)


# --- CSV ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CsvLook:
    names: list[str]
    delimiter: str
    encoding: str
    byte_order_mark: bool
    line_ends: str


def _head(spark: SparkSession, path: str, count: int, *, decompress: bool) -> bytes:
    """The file's first `count` bytes, as stored or through its compression codec (from the suffix)."""
    hadoop_path, fs = _hadoop(spark, path)
    jvm: Any = spark.sparkContext._jvm
    stream = fs.open(hadoop_path)
    try:
        if decompress:
            codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(
                spark.sparkContext._jsc.hadoopConfiguration()
            ).getCodec(hadoop_path)
            if codec is not None:
                stream = codec.createInputStream(stream)
        return bytes(stream.readNBytes(count))
    finally:
        stream.close()


@dataclass(frozen=True)
class _TextLook:
    text: str  # the first bytes, decoded, without a byte-order mark
    encoding: str
    byte_order_mark: bool
    line_ends: str


def _look_at_text(spark: SparkSession, path: str, fmt: str) -> _TextLook:
    """The first bytes of a text file (CSV, JSON Lines), through the file system (no Spark job): a file
    that is not text of that format by name (gzip or not, Parquet, zip, UTF-16, binary) is refused."""
    label = _LABELS[fmt]
    suffix = _suffix(path)
    gz = suffix.endswith(".gz")
    plain = suffix.removesuffix(".gz") or ".csv"
    head = _head(spark, path, 4, decompress=False)
    if gz and not head.startswith(b"\x1f\x8b"):
        raise UnreadableInputError(
            path,
            "is named .gz but is not gzip-compressed",
            f"name a plain {label} file *{plain}, or compress it with gzip",
        )
    if not gz and head.startswith(b"\x1f\x8b"):
        raise UnreadableInputError(path, f"is gzip-compressed but named {plain}", f"name it *{plain}.gz")
    try:
        sample = _head(spark, path, _SAMPLE_BYTES, decompress=True)
    except Exception as error:
        problem, action = _problem(path, fmt, _reason(error, path))
        raise UnreadableInputError(path, problem, action) from None
    if sample.startswith(b"PAR1"):
        raise UnreadableInputError(path, f"is a Parquet file, not {label}", "name it *.parquet")
    if sample.startswith(b"PK\x03\x04"):
        raise UnreadableInputError(
            path,
            f"is a zip archive (an Excel workbook?), not {label}",
            f"save or export it as {label} (UTF-8) and upload that",
        )
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableInputError(path, "is UTF-16 text", f"save it as {label} UTF-8 and upload that")
    if b"\x00" in sample or _binary_share(sample) > 0.05:
        raise UnreadableInputError(
            path,
            f"holds binary data, not {label} text",
            f"upload the {label} text (UTF-8)"
            + (", or name a Parquet file *.parquet" if fmt == "csv" else ""),
        )
    bom = sample.startswith(codecs.BOM_UTF8)
    utf8 = _is_utf8(sample, truncated=len(sample) == _SAMPLE_BYTES)
    if not utf8 and fmt == "json":
        raise UnreadableInputError(
            path, "is not UTF-8 text (JSON Lines are UTF-8)", "save it as UTF-8 and upload it again"
        )
    encoding = "UTF-8" if utf8 else "windows-1252"
    text = sample.decode("utf-8" if utf8 else "cp1252", errors="replace").removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    line_ends = "CRLF" if first.endswith("\r\n") else ("CR" if first.endswith("\r") else "LF")
    return _TextLook(text, encoding, bom, line_ends)


def _look_at_csv(spark: SparkSession, path: str, expected: list[str]) -> _CsvLook:
    look = _look_at_text(spark, path, "csv")
    if not look.text.strip():
        raise UnreadableInputError(
            path, "has no header line (it holds no text)", "upload the file with its header row"
        )
    delimiter, names = _header(look.text, expected)
    if not any(name.strip() for name in names):
        raise UnreadableInputError(path, "has no column names on its header line", "put the header row first")
    return _CsvLook(names, delimiter, look.encoding, look.byte_order_mark, look.line_ends)


def _binary_share(sample: bytes) -> float:
    """The share of control bytes other than tab, CR, LF (text has none)."""
    if not sample:
        return 0.0
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return control / len(sample)


def _is_utf8(sample: bytes, *, truncated: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # a multi-byte character cut by the end of the sample is not an error of the file
        return truncated and error.start >= len(sample) - 3 and error.reason == "unexpected end of data"
    return True


def _header(text: str, expected: list[str]) -> tuple[str, list[str]]:
    """(delimiter, names of the first record): the delimiter whose split names the most expected
    columns; without expected names, the one giving the most fields; `,` on a tie."""
    wanted = set(expected)
    best: tuple[int, int, str, list[str]] | None = None
    for rank, delimiter in enumerate(CSV_DELIMITERS):
        try:
            # the first record that is not a blank line, as Spark takes it
            names = next(row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row)
        except (csv.Error, StopIteration):
            continue
        score = sum(1 for name in names if name.strip().lower() in wanted) if wanted else len(names)
        if best is None or score > best[0]:
            best = (score, rank, delimiter, names)
    if best is None:
        return ",", []
    return best[2], best[3]


def _needs_multiline(spark: SparkSession, path: str, size: int, compressed: bool) -> bool:
    """Parse quoted line breaks (whole-file parsing) unless the file is large, plain and has none.

    Spark reads a multi-line CSV file in one task: nothing is lost for a compressed file (gzip is never
    split) or one no larger than a split; a larger plain file is first scanned, split, for a line with an
    odd number of quotes (a quoted field that goes on to the next line): one Spark job whose tasks read
    their splits side by side, each stopping at the first such line; a line without a quote costs one
    byte search."""
    if compressed:
        return True
    if size <= _split_bytes(spark):
        return True
    line = F.col("value")
    quotes = F.length(line) - F.length(F.translate(line, '"', ""))
    odd = spark.read.text(path).where((F.instr(line, '"') > 0) & (quotes % 2 == 1))
    return odd.limit(1).count() > 0


def _split_bytes(spark: SparkSession) -> int:
    """`spark.sql.files.maxPartitionBytes` in bytes (`128MB`, `134217728b`, `1000`)."""
    setting = spark.conf.get("spark.sql.files.maxPartitionBytes", None) or "128MB"
    jvm: Any = spark.sparkContext._jvm
    return int(jvm.org.apache.spark.network.util.JavaUtils.byteStringAsBytes(str(setting)))


def _read_csv(spark: SparkSession, path: str, size: int, expected: list[str]) -> InputFile:
    look = _look_at_csv(spark, path, expected)
    compressed = path.lower().endswith(".gz")
    multiline = _needs_multiline(spark, path, size, compressed)
    count = len(look.names)
    fields = [f"c{i}" for i in range(count)]
    schema = StructType([StructField(name, StringType()) for name in [*fields, _CORRUPT]])
    raw = (
        spark.read.schema(schema)
        .option("header", True)
        .option("enforceSchema", True)
        .option("sep", look.delimiter)
        .option("encoding", look.encoding)
        .option("quote", '"')
        .option("escape", '"')
        .option("multiLine", multiline)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", _CORRUPT)
        .option("ignoreLeadingWhiteSpace", True)
        .option("ignoreTrailingWhiteSpace", True)
        .csv(path)
    )
    frame = raw.select(*fields, _row_problem(F.col(_CORRUPT), look.delimiter, count).alias(ROW_PROBLEM))
    columns = tuple(
        StoredColumn(name if name.strip() else f"_c{i}", "text", fields[i])
        for i, name in enumerate(look.names)
    )
    details = {
        "format": "csv",
        "bytes": size,
        "compression": "gzip" if compressed else None,
        "encoding": look.encoding,
        "byte_order_mark": look.byte_order_mark,
        "delimiter": look.delimiter,
        "line_ends": look.line_ends,
        "multiline": multiline,
    }
    return InputFile(path, "csv", frame, columns, details)


def _row_problem(corrupt: Column, delimiter: str, count: int) -> Column:
    """For a row Spark marked malformed (its raw text in `corrupt`): a sentence when it holds more
    non-empty values than the header has names; null for rows with fewer values (they read as nulls) or
    with only empty extra values (trailing delimiters)."""
    masked = F.regexp_replace(corrupt, r'"(?:[^"]|"")*"', "q")  # a quoted value, whatever it holds
    values_ = F.split(masked, "\\Q" + delimiter + "\\E", -1)
    extra = F.regexp_replace(F.array_join(F.slice(values_, count + 1, F.size(values_)), ""), r"\s", "")
    return F.when(
        corrupt.isNotNull() & (F.size(values_) > count) & (extra != ""),
        F.format_string(f"%d values for {count} header names", F.size(values_)),
    )


# --- JSON Lines ---------------------------------------------------------------------------------------
# A frame column of JSON Lines input: the line itself when it is not a JSON object (null otherwise).
CORRUPT_LINE = "_corrupt_line"
_NOT_AN_OBJECT = "the line is not a JSON object"


def _infer_json(spark: SparkSession, lines: DataFrame) -> StructType:
    """The top-level keys of the JSON objects on `lines` (column `value`) and the type Spark infers for
    each from every line (a key whose values have different JSON types is `string`), one pass."""
    jvm: Any = spark.sparkContext._jvm
    texts = getattr(lines.select("value")._jdf, "as")(jvm.org.apache.spark.sql.Encoders.STRING())
    reader = (
        spark._jsparkSession.read()
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", _CORRUPT)
        .option("inferTimestamp", "false")
        .option("prefersDecimal", "false")
    )
    inferred = StructType.fromJson(json.loads(str(reader.json(texts).schema().json())))
    # a key written twice in one object is inferred twice; the parser fills the first field of a name
    fields: dict[str, StructField] = {}
    for field_ in inferred.fields:
        if field_.name != _CORRUPT:
            fields.setdefault(field_.name, field_)
    return StructType(list(fields.values()))


def no_json_object(path: str, first_line: str) -> UnreadableInputError:
    """The error for a JSON Lines file none of whose lines is a JSON object (pretty-printed JSON, a JSON
    array, another format under a .json name)."""
    return UnreadableInputError(
        path,
        f"holds no JSON object on any line (it starts: {_one_line(first_line)[:60]})",
        "write one JSON object per line (JSON Lines; a JSON array becomes that with jq -c '.[]')",
    )


def _read_json_lines(spark: SparkSession, path: str, size: int) -> InputFile:
    """JSON Lines: one JSON object per line; blank lines skipped; a byte-order mark dropped. Every value
    is read as text (nested values as their JSON text) by position, so keys that differ only by case
    stay apart and a value of any JSON type never fails the file; a line that is not a JSON object is
    kept whole in `CORRUPT_LINE`. The stored type of a key is the type Spark infers from every line."""
    look = _look_at_text(spark, path, "json")
    value = F.regexp_replace(F.col("value"), "^\ufeff", "")
    lines = spark.read.text(path).select(value.alias("value")).where(F.col("value").rlike(r"\S"))
    inferred = _infer_json(spark, lines)
    if not inferred.fields:
        first = lines.first()
        if first is not None:
            raise no_json_object(path, str(first["value"]))
    count = len(inferred.fields)
    text_schema = StructType(
        [StructField(f.name, StringType()) for f in inferred.fields] + [StructField(_CORRUPT, StringType())]
    )
    # positional names: keys that differ only by case never meet a case-insensitive resolver
    by_position = "struct<" + ",".join(f"k{i}:string" for i in range(count + 1)) + ">"
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
    record = F.from_json(F.col("value"), text_schema, options).cast(by_position)
    parsed = lines.select(record.alias("r"), "value")
    # a line the parser gives nothing for at all (`null`, a bare value) is not an object either
    corrupt = F.coalesce(F.col(f"r.k{count}"), F.when(F.col("r").isNull(), F.col("value")))
    frame = parsed.select(
        *[F.col(f"r.k{i}").alias(f"c{i}") for i in range(count)],
        corrupt.alias(CORRUPT_LINE),
        F.when(corrupt.isNotNull(), F.lit(_NOT_AN_OBJECT)).alias(ROW_PROBLEM),
    )
    columns = tuple(
        StoredColumn(f.name, f.dataType.simpleString(), f"c{i}") for i, f in enumerate(inferred.fields)
    )
    details = {
        "format": "json",
        "bytes": size,
        "compression": "gzip" if _suffix(path).endswith(".gz") else None,
        "encoding": look.encoding,
        "byte_order_mark": look.byte_order_mark,
        "line_ends": look.line_ends,
    }
    return InputFile(path, "json", frame, columns, details)


# --- Parquet ------------------------------------------------------------------------------------------
_ANNOTATION = re.compile(r"^([A-Z0-9_]+)(?:\((.*)\))?$")
_MAX_DECIMAL_PRECISION = 38
_UNREADABLE_ANNOTATIONS = {"TIME", "INTERVAL", "UUID", "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"}


@dataclass(frozen=True)
class _ParquetPlan:
    read_as: DataType | None
    convert: Callable[[Column], Column] | None = None
    text: Callable[[Column], Column] | None = None
    note: str = ""
    unreadable: str = ""


def _footer(spark: SparkSession, path: str, *, reported_as: str) -> Any:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    try:
        source = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(hadoop_path, conf)
        reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(source)
        try:
            return reader.getFooter()
        finally:
            reader.close()
    except Exception as error:
        reason = _reason(error, path)
        if _ends_with_footer(spark, path):
            raise UnreadableInputError(
                reported_as,
                f"has a complete Parquet footer that Spark {spark.version} cannot decode ({_short(reason)}): "
                "it uses a column type newer than this reader (such as FLOAT16), or the footer is damaged",
                "write the file again with column types Spark reads (float32 or double instead of float16) "
                "and upload it",
            ) from None
        if "magic number" in reason or "length is too low" in reason:
            reason = f"it does not end with a Parquet footer, so it is truncated or not Parquet: {reason}"
        raise UnreadableInputError(
            reported_as,
            f"is not a readable Parquet file ({_short(reason)})",
            "upload the complete Parquet file again (a truncated or damaged upload cannot be read)",
        ) from None


def _ends_with_footer(spark: SparkSession, path: str) -> bool:
    """Whether the file ends as a whole Parquet file does: its footer's length, then `PAR1`."""
    hadoop_path, fs = _hadoop(spark, path)
    length = int(fs.getFileStatus(hadoop_path).getLen())
    if length < 12:
        return False
    stream = fs.open(hadoop_path)
    try:
        stream.seek(length - 8)
        tail = bytes(stream.readNBytes(8))
    finally:
        stream.close()
    return tail[4:] == b"PAR1" and 0 < int.from_bytes(tail[:4], "little") <= length - 12


def _stored_type(parquet_type: Any) -> str:
    annotation = parquet_type.getLogicalTypeAnnotation()
    label = str(annotation) if annotation is not None else ""
    repeated = "REPEATED " if str(parquet_type.getRepetition().name()) == "REPEATED" else ""
    if not parquet_type.isPrimitive():
        return f"{repeated}GROUP {label}".strip()
    primitive = parquet_type.asPrimitiveType()
    physical = str(primitive.getPrimitiveTypeName().name())
    if physical == "FIXED_LEN_BYTE_ARRAY":
        physical = f"{physical}({int(primitive.getTypeLength())})"
    return f"{repeated}{physical} {label}".strip()


def _epoch(unit: str, utc: bool) -> _ParquetPlan:
    def convert(value: Column) -> Column:
        return values.timestamp_from_epoch(value, unit, utc=utc)

    def text(value: Column) -> Column:
        return F.when(
            value.isNotNull() & convert(value).isNull(),
            F.concat(value.cast("string"), F.lit(f" ({unit.lower()} since 1970-01-01, out of range)")),
        )

    note = "epoch count read as a timestamp" + (
        ", nanoseconds truncated to microseconds" if unit == "NANOS" else ""
    )
    return _ParquetPlan(LongType(), convert, text if unit == "MILLIS" else None, note)


def _parquet_plan(parquet_type: Any) -> _ParquetPlan:
    """How one top-level Parquet column is read (the Spark type asked of the reader) and made into a
    value by meaning; or why it cannot be read."""
    if str(parquet_type.getRepetition().name()) == "REPEATED":
        return _ParquetPlan(None, unreadable="a repeated field (a list), not one value per row")
    if not parquet_type.isPrimitive():
        return _ParquetPlan(None, unreadable="a nested group (list, map or struct), not one value per row")
    physical = str(parquet_type.asPrimitiveType().getPrimitiveTypeName().name())
    annotation = parquet_type.getLogicalTypeAnnotation()
    match = _ANNOTATION.match(str(annotation)) if annotation is not None else None
    kind = match.group(1) if match else ""
    arguments = (
        [part.strip() for part in (match.group(2) or "").split(",")] if match and match.group(2) else []
    )
    if kind in _UNREADABLE_ANNOTATIONS:
        return _ParquetPlan(None, unreadable=f"Spark cannot read the {kind} type")
    if kind == "DECIMAL":
        precision, scale = int(arguments[0]), int(arguments[1])
        if precision > _MAX_DECIMAL_PRECISION:
            return _ParquetPlan(
                None, unreadable=f"a decimal of precision {precision} (Spark holds at most 38)"
            )
        return _ParquetPlan(DecimalType(precision, scale))
    if physical == "BOOLEAN":
        return _ParquetPlan(BooleanType())
    if physical == "FLOAT":
        return _ParquetPlan(FloatType())
    if physical == "DOUBLE":
        return _ParquetPlan(DoubleType())
    if physical == "INT96":
        return _ParquetPlan(
            TimestampType(),
            lambda value: value.cast("timestamp_ntz"),
            note="INT96 read as the wall-clock time it holds",
        )
    if physical == "INT32":
        if kind == "DATE":
            return _ParquetPlan(DateType())
        if kind == "INTEGER" and arguments[:2] == ["8", "true"]:
            return _ParquetPlan(ByteType())
        if kind == "INTEGER" and arguments[:2] == ["16", "true"]:
            return _ParquetPlan(ShortType())
        if kind == "INTEGER" and arguments[:2] == ["32", "false"]:
            return _ParquetPlan(LongType())
        return _ParquetPlan(IntegerType())
    if physical == "INT64":
        if kind == "TIMESTAMP" and len(arguments) == 2:
            return _epoch(arguments[0], arguments[1] == "true")
        if kind == "INTEGER" and arguments[:2] == ["64", "false"]:
            return _ParquetPlan(DecimalType(20, 0))
        return _ParquetPlan(LongType())
    if physical == "BINARY":
        if kind in ("STRING", "ENUM", "JSON"):
            return _ParquetPlan(StringType())
        return _ParquetPlan(BinaryType(), lambda value: value.cast("string"), note="bytes read as UTF-8 text")
    if physical == "FIXED_LEN_BYTE_ARRAY" and not kind:
        return _ParquetPlan(BinaryType(), lambda value: value.cast("string"), note="bytes read as UTF-8 text")
    return _ParquetPlan(None, unreadable=f"Spark cannot read {physical} {kind}".strip())


def _read_parquet(spark: SparkSession, path: str, files: list[str], size: int) -> InputFile:
    footers = [_footer(spark, file, reported_as=path) for file in files]
    footer = footers[0]
    metadata = footer.getFileMetaData()
    message = metadata.getSchema()
    rows = sum(int(block.getRowCount()) for each in footers for block in each.getBlocks())
    read_fields: list[StructField] = []
    plans: list[tuple[str, str, _ParquetPlan]] = []
    for index in range(message.getFieldCount()):
        parquet_type = message.getType(index)
        plan = _parquet_plan(parquet_type)
        name = str(parquet_type.getName())
        plans.append((name, _stored_type(parquet_type), plan))
        if plan.read_as is not None:
            read_fields.append(StructField(name, plan.read_as))
    raw = spark.read.schema(StructType(read_fields)).parquet(path)
    raw = raw.toDF(*[f"c{i}" for i in range(len(read_fields))])
    selected: list[Column] = []
    columns: list[StoredColumn] = []
    position = 0
    for name, stored, plan in plans:
        if plan.read_as is None:
            columns.append(StoredColumn(name, stored, None, unreadable=plan.unreadable))
            continue
        source = F.col(f"c{position}")
        target = f"c{position}"
        selected.append((plan.convert(source) if plan.convert else source).alias(target))
        text = None
        if plan.text is not None:
            text = f"{target}_text"
            selected.append(plan.text(source).alias(text))
        columns.append(StoredColumn(name, stored, target, text, plan.note))
        position += 1
    frame = raw.select(*selected, F.lit(None).cast(StringType()).alias(ROW_PROBLEM))
    details = {
        "format": "parquet",
        "bytes": size,
        "rows": rows,
        "row_groups": sum(int(each.getBlocks().size()) for each in footers),
        "created_by": str(metadata.getCreatedBy() or ""),
    }
    return InputFile(path, "parquet", frame, tuple(columns), details)


def _hadoop(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def read_text(spark: SparkSession, path: str) -> str:
    """One small UTF-8 file (a run report, a rule), read through the file system, not a Spark job."""
    hadoop_path, fs = _hadoop(spark, path)
    if not fs.exists(hadoop_path):
        raise FileNotFoundError(f"{path} does not exist")
    return _read(spark, fs, hadoop_path)


def read_texts(spark: SparkSession, pattern: str) -> dict[str, str]:
    """Every file matching a glob (e.g. `<rules_path>/*.sql`), by file name."""
    hadoop_path, fs = _hadoop(spark, pattern)
    statuses = [status for status in fs.globStatus(hadoop_path) or [] if status.isFile()]
    return {str(status.getPath().getName()): _read(spark, fs, status.getPath()) for status in statuses}


def _read(spark: SparkSession, fs: Any, hadoop_path: Any) -> str:
    jvm: Any = spark.sparkContext._jvm
    buffer = jvm.java.io.ByteArrayOutputStream()
    jvm.org.apache.hadoop.io.IOUtils.copyBytes(fs.open(hadoop_path), buffer, 65536, True)
    return str(buffer.toString("UTF-8"))


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Create or replace one small file (a run report)."""
    hadoop_path, fs = _hadoop(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def partition_folder(location: str, partition: Mapping[str, object], names: Sequence[str]) -> str:
    """`<location>k1=v1/k2=v2/` for a partition, keys in table order."""
    return location.rstrip("/") + "/" + "".join(f"{name}={partition[name]}/" for name in names)


def list_partitions(
    spark: SparkSession, location: str, names: Sequence[str], fixed: Mapping[str, str]
) -> list[dict[str, str]]:
    """Partition folders under `location`, any value for keys not in `fixed`."""
    pattern = partition_folder(location, {n: fixed.get(n, "*") for n in names}, names).rstrip("/")
    hadoop_path, fs = _hadoop(spark, pattern)
    statuses = fs.globStatus(hadoop_path) or []
    found = []
    for status in statuses:
        if not status.isDirectory():
            continue
        parts = str(status.getPath().toString()).rstrip("/").split("/")[-len(names) :]
        found.append(dict(part.split("=", 1) for part in parts))
    return sorted(found, key=lambda p: [p[n] for n in names])


def delete_folder(spark: SparkSession, path: str) -> None:
    """Remove a folder and everything below it (nothing happens when it does not exist)."""
    hadoop_path, fs = _hadoop(spark, path)
    fs.delete(hadoop_path, True)


def delete_partitions(
    spark: SparkSession, location: str, partitions: Iterable[Mapping[str, object]], names: Sequence[str]
) -> None:
    for partition in partitions:
        delete_folder(spark, partition_folder(location, partition, names))


# --- staged writes ------------------------------------------------------------------------------------
def _children(spark: SparkSession, path: str) -> list[str]:
    """Names of the entries of a folder (none when it does not exist)."""
    hadoop_path, fs = _hadoop(spark, path)
    if not fs.exists(hadoop_path):
        return []
    return sorted(str(status.getPath().getName()) for status in fs.listStatus(hadoop_path))


@contextmanager
def staging_area(
    spark: SparkSession, *, report_path: str, run_id: str, step: str, owner: str
) -> Iterator[str]:
    """The run's staging folder (`arguments.staging_key`), removed when the block ends, failed or not.

    Everything a run writes goes there first, so a run killed in the middle of writing (a lost driver,
    a timeout, a kill) leaves no table touched: only its staging folder, which no reader sees. Before the
    block, the staging left by earlier runs of the same `owner` (the source file, the delivery) that
    were killed before they could remove theirs is removed: while it runs, each run is marked in
    `arguments.in_flight_folder` (an empty object named by the owner and the run). Two runs of one source
    at once are not expected (one object version, one run): the later one wins and the earlier one
    fails."""
    staging = staging_key(report_path, run_id, step)
    marks = in_flight_folder(report_path, step)
    for mark in _children(spark, marks):
        other = in_flight_run(mark, owner)
        if other is not None and other != run_id:
            delete_folder(spark, staging_key(report_path, other, step))
            delete_folder(spark, marks + mark)
    mine = marks + in_flight_mark(owner, run_id)
    write_text(spark, mine, "")
    try:
        yield staging
    finally:
        delete_folder(spark, staging)
        delete_folder(spark, mine)


def write_partitions(frame: DataFrame, location: str, names: Sequence[str]) -> None:
    """Write Parquet partitioned by `names` into a folder of its own (a staging folder), replacing it."""
    frame.write.mode("overwrite").partitionBy(*names).parquet(location)


def replace_partitions(
    spark: SparkSession,
    *,
    staged: str | None,
    location: str,
    names: Sequence[str],
    remove: Iterable[Mapping[str, object]],
) -> list[dict[str, str]]:
    """Publish the partitions written under `staged` (`write_partitions`) into a table's `location`:
    each partition in `remove` (the ones the source had) is deleted, then each staged partition folder
    is moved into place. Returns the partitions published. The data was written before (a kill while
    writing touches no table); this is only deletes and moves: a rename of the folder on a local or
    HDFS file system, one copy per object on S3 (catalog readers see none of the source's partitions
    meanwhile when the caller withdrew them from the catalog first)."""
    for partition in remove:
        delete_folder(spark, partition_folder(location, partition, names))
    if staged is None:
        return []
    published = list_partitions(spark, staged, names, {})
    jvm: Any = spark.sparkContext._jvm
    for partition in published:
        source, fs = _hadoop(spark, partition_folder(staged, partition, names).rstrip("/"))
        target = jvm.org.apache.hadoop.fs.Path(partition_folder(location, partition, names).rstrip("/"))
        if fs.exists(target):  # a partition of the source not listed in `remove`: replaced too
            fs.delete(target, True)
        fs.mkdirs(target.getParent())
        if not fs.rename(source, target):
            raise OSError(f"could not move {source} to {target}")
    return published


def replace_parquet(frame: DataFrame, location: str) -> None:
    """Write Parquet to a folder, replacing whatever it held."""
    frame.write.mode("overwrite").parquet(location)


def overwrite_partitions(frame: DataFrame, location: str, names: Sequence[str]) -> None:
    """Write Parquet, replacing exactly the partitions present in `frame` (dynamic overwrite)."""
    (
        frame.write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*names)
        .parquet(location)
    )
