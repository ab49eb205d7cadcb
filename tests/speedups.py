"""Test-only savings on work that every test app repeats and that never changes.

- ``use_memory_tmpdir()``: temporary files (each test's SQLite copy, the throwaway
  PostgreSQL cluster, Chromium's profiles) go to ``/dev/shm`` when it is a writable RAM
  disk with room: every SQLite commit in WAL mode ends with an fsync, which on this
  machine's disk costs milliseconds each (and far more while other jobs write).
  ``SIMSHOP_TEST_TMPDIR`` chooses another folder; an explicit ``TMPDIR`` is kept.
- ``memoize_url_builders()``: werkzeug compiles two URL-builder functions (Python source
  generated as an AST, then ``compile``) for every route of every new app, about 80 % of
  ``create_app``; the functions depend only on the rule's text, its defaults and converter
  kinds, so one compiled function per rule serves every app of the session.
- ``SHARED_TEMPLATE_CODE``: Jinja compiles each template again in every app (each app has
  its own environment); a bytecode cache shared by the test apps compiles each template
  once per worker. Jinja checks the template source's checksum before using an entry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import jinja2

MEMORY_TMPDIR = "/dev/shm"
MEMORY_TMPDIR_MIN_FREE = 2 * 1024**3


def use_memory_tmpdir() -> None:
    if os.environ.get("TMPDIR"):
        return
    folder = os.environ.get("SIMSHOP_TEST_TMPDIR") or MEMORY_TMPDIR
    try:
        usable = os.access(folder, os.W_OK | os.X_OK) and (
            shutil.disk_usage(folder).free >= MEMORY_TMPDIR_MIN_FREE
        )
    except OSError:
        usable = False
    if usable:
        os.environ["TMPDIR"] = folder  # pytest's tmp_path, xdist workers, subprocesses
        tempfile.tempdir = None  # re-read TMPDIR


def memoize_url_builders() -> None:
    from werkzeug.routing import Rule

    if getattr(Rule._compile_builder, "memoized", False):
        return
    original = Rule._compile_builder
    builders: dict[tuple[Any, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = (
            self.rule,
            tuple(self._trace),
            tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
            tuple(sorted((name, type(c), _settings(c)) for name, c in self._converters.items())),
            append_unknown,
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    compile_builder.memoized = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


def _settings(converter: Any) -> str:
    """A converter's own settings (``min``, ``regex``...), without its ``map``: the map's
    repr pretty-prints every rule, which made each key cost as much as the whole map."""
    return repr(sorted((k, repr(v)) for k, v in vars(converter).items() if k != "map"))


class SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in memory, shared by every test app of this process."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CODE = SharedBytecodeCache()
