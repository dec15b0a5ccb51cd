"""JSON Lines shapes: the delivery's real rows (fixtures/smoke_delivery, one file per input) saved the ways
producers save JSON Lines, for any input.

A `Shape` turns an input's records into a file (`write(dataset, records) -> bytes`, named with its
`suffix`) and says how the rows read from it differ from those of the file as delivered, if they do:
`rows(n)` (how many rows the file holds for n records), `expect(dataset, row)` (a conformed row changed)
and `rules` (quarantined rows added, by rule). Adding a shape is one line in `SHAPES`.

Writers: the json module (separators, escapes, key order and case, nulls, nested values as text), gzip,
and pandas' `to_json(orient="records", lines=True)` (nulls for absent keys, `\\/` escapes, integers with
a null as floats).
"""

from __future__ import annotations

import copy
import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from us_legislators.steps import schemas

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "smoke_delivery"
INPUTS: tuple[str, ...] = schemas.DATASET_NAMES

Record = dict[str, Any]
Records = list[Record]


def records(dataset: str) -> Records:
    """The input's records as delivered (one JSON object per line)."""
    path = FIXTURES / f"{dataset}.json"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def delivered(dataset: str) -> bytes:
    return (FIXTURES / f"{dataset}.json").read_bytes()


def declared(dataset: str) -> dict[str, schemas.Field]:
    return {f.key: f for f in schemas.fields(dataset)}


# --- serializers ----------------------------------------------------------------------------------
Dumps = Callable[[Any], str]


def _escaped(value: Any) -> str:
    """JSON with every character of every string (keys too) written as a \\u escape."""
    if isinstance(value, str):
        return '"' + "".join(f"\\u{ord(c):04x}" for c in value) + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_escaped(k)}: {_escaped(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_escaped(v) for v in value) + "]"
    return json.dumps(value)


def json_lines(
    *,
    dumps: Dumps = json.dumps,
    line_end: str = "\n",
    bom: bool = False,
    gz: bool = False,
    last_line_end: bool = True,
    between: str = "",
) -> Callable[[str, Records], bytes]:
    def write(_dataset: str, rows: Records) -> bytes:
        lines = [dumps(row) for row in rows]
        text = (line_end + between).join(lines) + (line_end if last_line_end and lines else "")
        data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
        return gzip.compress(data, mtime=0) if gz else data

    return write


def changed(
    change: Callable[[str, Records], Records], writer: Callable[[str, Records], bytes] | None = None
) -> Callable[[str, Records], bytes]:
    """Records changed before they are written (as delivered by default)."""
    out = writer or json_lines()
    return lambda dataset, rows: out(dataset, change(dataset, copy.deepcopy(rows)))


def pandas_lines(dataset: str, rows: Records) -> bytes:
    """pandas' JSON Lines of the records: every key on every line (null where absent), `/` escaped,
    a numeric column with a null as floats (`435.0`)."""
    import pandas as pd

    return pd.DataFrame(rows).to_json(orient="records", lines=True).encode("utf-8")


# --- changes of the records -----------------------------------------------------------------------
def rename_keys(rename: Callable[[str, int], str]) -> Callable[[str, Records], Records]:
    """Every top-level key renamed (`rename(key, line number)`)."""
    return lambda _d, rows: [{rename(k, i): v for k, v in row.items()} for i, row in enumerate(rows)]


def reverse_keys(_dataset: str, rows: Records) -> Records:
    return [dict(reversed(list(row.items()))) for row in rows]


def explicit_nulls(dataset: str, rows: Records) -> Records:
    """Every declared key on every line, null where the record has none (as dataframe writers do)."""
    return [{key: row.get(key) for key in declared(dataset)} for row in rows]


def without_optional_keys(dataset: str, rows: Records) -> Records:
    """Only the required keys (an older or thinner export)."""
    required = {key for key, f in declared(dataset).items() if f.required}
    return [{k: v for k, v in row.items() if k in required} for row in rows]


def with_extra_keys(_dataset: str, rows: Records) -> Records:
    """Keys the input does not declare: text, a number, a boolean, an object and an array."""
    return [
        {
            **row,
            "updated_at": "2024-06-01T00:00:00Z",
            "score": i + 0.5,
            "active": i % 2 == 0,
            "meta": {"source": "export", "batch": i},
            "tags": ["a", "b"],
        }
        for i, row in enumerate(rows)
    ]


def _nested(dataset: str) -> list[str]:
    return [key for key, f in declared(dataset).items() if f.nested]


def nested_as_text(dataset: str, rows: Records) -> Records:
    """Nested values written as JSON text inside a string (double-encoded, as some exports do)."""
    nested = _nested(dataset)
    return [
        {k: json.dumps(v) if k in nested and v is not None else v for k, v in row.items()} for row in rows
    ]


def nested_reordered_with_extra_fields(dataset: str, rows: Records) -> Records:
    """Each element of a nested array with its fields in reverse order and one more field."""
    nested = _nested(dataset)

    def element(value: Any) -> Any:
        return {"extra": 1, **dict(reversed(list(value.items())))} if isinstance(value, dict) else value

    return [
        {k: [element(e) for e in v] if k in nested and isinstance(v, list) else v for k, v in row.items()}
        for row in rows
    ]


def numbers_as_text(dataset: str, rows: Records) -> Records:
    """Declared integers written as JSON strings (`"435"`)."""
    ints = [key for key, f in declared(dataset).items() if f.hive_type == schemas.INT]
    return [{k: str(v) if k in ints and v is not None else v for k, v in row.items()} for row in rows]


def integers_as_floats(dataset: str, rows: Records) -> Records:
    """Declared integers written as floats (`435.0`), as a dataframe column with nulls is."""
    ints = [key for key, f in declared(dataset).items() if f.hive_type == schemas.INT]
    return [
        {k: float(v) if k in ints and v is not None and str(v).isdigit() else v for k, v in row.items()}
        for row in rows
    ]


def no_records(_dataset: str, _rows: Records) -> Records:
    return []


# --- the shapes -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """A way to save an input's records. `rows(n)`: rows read from the file for n records;
    `expect(dataset, row)`: a conformed row as it must read (changed from the delivered file's);
    `rules`: quarantined rows it adds, by rule."""

    name: str
    suffix: str
    write: Callable[[str, Records], bytes]
    rows: Callable[[int], int] = field(default=lambda n: n)
    expect: Callable[[str, dict[str, Any]], dict[str, Any]] = field(default=lambda _d, row: row)
    rules: dict[str, int] = field(default_factory=dict)


def _optional_null(dataset: str, row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{f.name: None for f in schemas.fields(dataset) if not f.required}}


def _with_malformed_line(dataset: str, rows: Records) -> bytes:
    good = json_lines()(dataset, rows).decode()
    return (good + '{"id": "cut off in the mid\n').encode()


SHAPES: tuple[Shape, ...] = (
    Shape("as_delivered", ".json", json_lines()),
    Shape("jsonl_name", ".jsonl", json_lines()),
    Shape("gzip", ".json.gz", json_lines(gz=True)),
    Shape("crlf", ".json", json_lines(line_end="\r\n")),
    Shape("utf8_bom_crlf_powershell", ".json", json_lines(line_end="\r\n", bom=True)),
    Shape("gzip_bom_crlf", ".json.gz", json_lines(line_end="\r\n", bom=True, gz=True)),
    Shape("compact_separators", ".json", json_lines(dumps=lambda r: json.dumps(r, separators=(",", ":")))),
    Shape("spaces_everywhere", ".json", json_lines(dumps=lambda r: json.dumps(r, separators=(" , ", " : ")))),
    Shape("every_character_escaped", ".json", json_lines(dumps=_escaped)),
    Shape("no_final_line_end", ".json", json_lines(last_line_end=False)),
    Shape("blank_lines_between", ".json", json_lines(between="\n  \t\n")),
    Shape("keys_reversed", ".json", changed(reverse_keys)),
    Shape("keys_upper_case", ".json", changed(rename_keys(lambda k, _i: k.upper()))),
    Shape("keys_case_differs_by_line", ".json", changed(rename_keys(lambda k, i: k.title() if i % 2 else k))),
    Shape("keys_padded_with_spaces", ".json", changed(rename_keys(lambda k, _i: f" {k} "))),
    Shape("explicit_nulls", ".json", changed(explicit_nulls)),
    Shape("optional_keys_absent", ".json", changed(without_optional_keys), expect=_optional_null),
    Shape("extra_keys_of_every_json_type", ".json", changed(with_extra_keys)),
    Shape("nested_values_as_json_text", ".json", changed(nested_as_text)),
    Shape("nested_fields_reordered_and_extra", ".json", changed(nested_reordered_with_extra_fields)),
    Shape("integers_as_text", ".json", changed(numbers_as_text)),
    Shape("integers_as_floats", ".json", changed(integers_as_floats)),
    Shape("pandas_to_json_lines", ".json", pandas_lines),
    Shape("pandas_to_json_lines_gzip", ".json.gz", lambda d, r: gzip.compress(pandas_lines(d, r), mtime=0)),
    Shape(
        "one_line_cut_off", ".json", _with_malformed_line, rows=lambda n: n + 1, rules={"malformed_json": 1}
    ),
    Shape("blank_lines_only", ".json", lambda _d, _r: b"\n \n\r\n", rows=lambda _n: 0),
    Shape("gzip_of_no_records", ".json.gz", changed(no_records, json_lines(gz=True)), rows=lambda _n: 0),
)


def shape(name: str) -> Shape:
    return next(s for s in SHAPES if s.name == name)


def json_types(data: bytes, *, gz: bool) -> dict[str, set[str]]:
    """Each top-level key of a JSON Lines file and the JSON types of its values, read independently of
    the job (the json module)."""
    text = (gzip.decompress(data) if gz else data).decode("utf-8").removeprefix("\ufeff")
    found: dict[str, set[str]] = {}
    for line in io.StringIO(text):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        for key, value in row.items():
            kind = (
                "null"
                if value is None
                else "boolean"
                if isinstance(value, bool)
                else "number"
                if isinstance(value, int | float)
                else "string"
                if isinstance(value, str)
                else "array"
                if isinstance(value, list)
                else "object"
            )
            found.setdefault(key, set()).add(kind)
    return found
