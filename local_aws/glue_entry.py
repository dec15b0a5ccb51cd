"""Child-process entry point of a local Glue job run: run one script as `__main__`, report its error.

    python -m local_aws.glue_entry <error file> <script> [--name value ...]

Like Glue, the script sees `sys.argv = [script, *arguments]` and its own folder on `sys.path`. An
uncaught exception (or a non-zero `sys.exit`) is written to `<error file>` as
`<ExceptionType>: <message>`, which becomes the run's `ErrorMessage`.
"""

from __future__ import annotations

import runpy
import sys
import traceback
from pathlib import Path


def error_message(error: BaseException) -> str:
    """`<ExceptionType>: <first line>`; for a Java error raised through py4j, the Java exception's line."""
    java = getattr(error, "java_exception", None)
    text = str(java) if java is not None else str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def main(argv: list[str]) -> int:
    error_file, script, *arguments = argv
    sys.argv = [script, *arguments]
    sys.path.insert(0, str(Path(script).parent))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code in (None, 0):
            return 0
        Path(error_file).write_text(f"SystemExit: {stop.code}")
        return 1
    except BaseException as error:
        traceback.print_exc()
        Path(error_file).write_text(error_message(error))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
