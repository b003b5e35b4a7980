"""`kernel_variables`: list the user's variables, or inspect one, without running user code.

Arguments: `name` (optional: a variable or a dotted attribute path such as `model.config`,
resolved with `getattr` only: no calls, indexing or eval) and `max_rows` (rows of a head,
default 5, at most 50).

Without `name`: one `name | type | size | value` row per user variable (no hidden kernel
names, modules or `_`-names), sorted, at most 200 rows and ~8 KB. With `name`: by kind —
pandas/polars frames and series (shape, schema, nulls, head, describe), numpy arrays
(shape, dtype, stats, a summarised repr), callables (signature, docstring, source of user
code), modules (name, file), anything else (a bounded repr and its instance attributes).
Libraries are recognised by the object's type (never imported here). Output is
middle-truncated to ~12 KB; failures of any one section are reported in place.

Secrets are masked (secret_mask.py) per variable: key-shaped strings anywhere in a value,
and the whole value of a string variable with a secret-looking name (`db_password`); the
output ends with `[masked: … in variable `x`]`. Names in the masker's `unmasked` (config
`kernel_variables_unmasked`) are shown as they are.
"""

from __future__ import annotations

import collections
import difflib
import inspect
import itertools
import sys
import types
from collections.abc import Callable
from typing import Any

from .arguments import int_arg
from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel
from .kernel_access import IPYTHON_NAMES, KernelAccess, cut, safe_repr
from .last_error import code_origin
from .secret_mask import MaskScope, SecretMasker, secret_value_kind
from .truncate import TruncationPolicy, truncate_text

MAX_VARIABLES = 200
LISTING_BUDGET = 8_000
OUTPUT_BUDGET = 12_000
DEFAULT_ROWS, MAX_ROWS = 5, 50
DOC_CHARS, SOURCE_CHARS = 2_000, 3_000
STATS_LIMIT = 10_000_000
FRAME_ROWS_LIMIT = 1_000_000  # describe() and null counts look at no more leading rows
MAX_COLUMNS, DESCRIBE_COLUMNS = 60, 20
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset, collections.deque, range)

DESCRIPTION = (
    "Lists the variables in the user's kernel (name, type, size, short value) or, given `name` (a variable or "
    "a dotted attribute path like `model.config`), inspects one: DataFrame schema/head/describe, array "
    "shape/dtype/stats, function signature/docstring/source, or a bounded repr. Read-only: runs no user code."
)


class KernelVariablesTool:
    name = "kernel_variables"
    supports_parallel = True

    def __init__(self, access: KernelAccess, masker: SecretMasker | None = None):
        self.access = access
        self.masker = masker or SecretMasker()

    def spec(self) -> dict[str, Any]:
        props = {
            "name": {"type": "string", "description": "A variable name or dotted attribute path to inspect; omit to list."},
            "max_rows": {"type": "number", "description": f"Rows of a table head to show (default {DEFAULT_ROWS}, max {MAX_ROWS})."},
        }
        return function_spec(self.name, DESCRIPTION, props, [])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        rows = min(int_arg(args, "max_rows", DEFAULT_ROWS), MAX_ROWS)
        name = args.get("name")
        if name is not None and not isinstance(name, str):
            raise RespondToModel("failed to parse function arguments: `name` must be a string")
        scope = self.masker.scope(namespace=self.access.user_namespace())
        with scope.active():
            if not name:
                return ToolResult(scope.finish(list_variables(self.access, scope)))
            path = name.strip()
            obj = resolve_path(self.access, path)
            with scope.at(f"variable `{path}`", name=path):
                text = masked_report(path, obj, rows, self.access, scope)
        return ToolResult(scope.finish(truncate_text(text, TruncationPolicy("bytes", OUTPUT_BUDGET))))


def visible_names(access: KernelAccess) -> list[str]:
    """The user's variable names: no `_`-names, kernel names or modules; sorted."""
    ns, hidden = access.user_namespace(), access.hidden_names() | IPYTHON_NAMES
    return sorted(n for n, v in list(ns.items()) if not n.startswith("_") and n not in hidden and not isinstance(v, types.ModuleType))


def masked_report(path: str, obj: Any, rows: int, access: KernelAccess, scope: MaskScope) -> str:
    """`inspect_value` with secrets masked (the caller set `scope.at` to this variable)."""
    kind = secret_value_kind(path, obj)
    if kind and scope.enabled:
        return f"{path}: {type_name(obj)}\nsize: {size_of(obj)}\nvalue:\n{scope.mask_whole(kind)}"
    return scope.mask(inspect_value(path, obj, rows, access))


def list_variables(access: KernelAccess, scope: MaskScope | None = None) -> str:
    """The variable table, bounded in rows and bytes, secrets masked per variable."""
    scope = scope or SecretMasker().scope()
    ns, names = access.user_namespace(), visible_names(access)
    if not names:
        return "No user variables are defined in the kernel."
    lines, used = ["name | type | size | value"], 0
    for name in names[:MAX_VARIABLES]:
        obj = ns.get(name)
        with scope.at(f"variable `{name}`", name=name):
            kind = secret_value_kind(name, obj)
            value = scope.mask_whole(kind) if kind and scope.enabled else scope.mask(listing_value(obj))
        row = f"{name} | {type_name(obj)} | {size_of(obj)} | {value}"
        used += len(row) + 1
        if used > LISTING_BUDGET:
            break
        lines.append(row)
    shown = len(lines) - 1
    if shown < len(names):
        lines.append(f"… showing {shown} of {len(names)} variables; pass `name` to inspect one.")
    return "\n".join(lines)


def type_name(obj: Any) -> str:
    """`DataFrame` qualified by its top-level package (`pandas.DataFrame`); builtins bare."""
    cls = type(obj)
    root = (getattr(cls, "__module__", None) or "").split(".")[0]
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if root in ("builtins", "__main__", "") else f"{root}.{name}"


def size_of(obj: Any) -> str:
    """`3x4` for shaped objects (plus bytes for arrays), `len N` for builtin containers, else ''."""
    try:
        if hasattr(type(obj), "shape"):
            shape = obj.shape
            if isinstance(shape, tuple) and all(isinstance(d, int) for d in shape):
                nbytes = getattr(obj, "nbytes", None) if is_kind(obj, "numpy", "ndarray") else None
                dims = "x".join(str(d) for d in shape) or "scalar"
                return f"{dims}, {human_bytes(nbytes)}" if isinstance(nbytes, int) else dims
        return f"len {len(obj)}" if isinstance(obj, _SIZED) else ""
    except Exception:  # noqa: BLE001 - a size that cannot be read is left out
        return ""


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    exponent = min((n.bit_length() - 1) // 10, 3)
    return f"{n / 1024 ** exponent:.1f} {('KB', 'MB', 'GB')[exponent - 1]}"


def listing_value(obj: Any) -> str:
    """One short line: columns for frames, dtype for arrays, else a bounded repr."""
    try:
        if is_kind(obj, "pandas", "DataFrame") or is_kind(obj, "polars", "DataFrame"):
            return cut("columns: " + ", ".join(str(c) for c in itertools.islice(obj.columns, 20)), 80)
        if is_kind(obj, "numpy", "ndarray"):
            return f"dtype={obj.dtype}"
        if is_kind(obj, "pandas", "Series") or is_kind(obj, "polars", "Series"):
            return cut(f"dtype={obj.dtype}, name={safe_repr(obj.name, 40)}", 80)
    except Exception:  # noqa: BLE001 - fall back to the repr
        return safe_repr(obj, 80)
    return safe_repr(obj, 80)


def resolve_path(access: KernelAccess, path: str) -> Any:
    """The object at a dotted path, by `getattr` only; problems go back to the model."""
    parts = path.split(".")
    if not all(part.isidentifier() for part in parts):
        raise RespondToModel(f"`{path}` is not a variable name or dotted attribute path (no calls, indexing or expressions)")
    ns = access.user_namespace()
    if parts[0] not in ns:
        candidates = [n for n in ns if not n.startswith("_")]
        raise RespondToModel(f"`{parts[0]}` is not defined in the kernel.{_suggest(parts[0], candidates)}")
    obj = ns[parts[0]]
    for depth, part in enumerate(parts[1:], start=1):
        obj = _attribute(obj, part, ".".join(parts[: depth + 1]))
    return obj


def _attribute(obj: Any, part: str, path: str) -> Any:
    try:
        return getattr(obj, part)
    except AttributeError:
        try:
            candidates = [a for a in dir(obj) if not a.startswith("_")]
        except Exception:  # noqa: BLE001 - a failing __dir__ just gives no suggestion
            candidates = []
        raise RespondToModel(f"`{path}` does not exist ({type_name(obj)} has no attribute `{part}`).{_suggest(part, candidates)}") from None
    except Exception as err:  # noqa: BLE001 - a property that raises is reported
        raise RespondToModel(f"reading `{path}` raised {type(err).__name__}: {cut(str(err), 300)}") from None


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3)
    if close:
        return " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return " Call kernel_variables without `name` to list the variables."


def inspect_value(path: str, obj: Any, rows: int, access: KernelAccess) -> str:
    """The report for one object, chosen by its kind."""
    frame_text = describe_frame_like(obj, rows)
    if frame_text is not None:
        body = frame_text
    elif is_kind(obj, "numpy", "ndarray"):
        body = describe_array(obj)
    elif isinstance(obj, types.ModuleType):
        body = describe_module(obj)
    elif inspect.isroutine(obj) or inspect.isclass(obj):
        body = describe_callable(obj, access)
    else:
        body = describe_other(obj)
    return f"{path}: {type_name(obj)}\n{body}"


def section(title: str, produce: Callable[[], str]) -> str:
    """`title:` and the produced text, or the error that producing it raised."""
    try:
        return f"{title}:\n{produce()}"
    except Exception as err:  # noqa: BLE001 - one failing section must not break the report
        return f"{title}: unavailable ({type(err).__name__}: {cut(str(err), 200)})"


def describe_array(a: Any) -> str:
    np = sys.modules.get("numpy")
    lines = [f"shape: {a.shape}, dtype: {a.dtype}, size: {a.size}, nbytes: {human_bytes(int(a.nbytes))}"]
    if np is not None and a.dtype.kind in "biuf" and 0 < a.size <= STATS_LIMIT:
        lines.append(section("stats", lambda: _array_stats(np, a)))
    elif a.size > STATS_LIMIT:
        lines.append(f"stats: skipped (more than {STATS_LIMIT:,} elements)")
    if np is not None:
        lines.append(section("values", lambda: np.array2string(a, threshold=200, edgeitems=3, max_line_width=120)))
    return "\n".join(lines)


def _array_stats(np: Any, a: Any) -> str:
    if a.dtype.kind == "b":
        return f"true: {int(a.sum())}, false: {int(a.size - a.sum())}"
    with np.errstate(all="ignore"):
        if a.dtype.kind == "f":
            nans = int(np.isnan(a).sum())
            stats = (np.nanmin(a), np.nanmax(a), np.nanmean(a), np.nanstd(a)) if nans < a.size else (np.nan,) * 4
            suffix = f", nan: {nans}"
        else:
            stats, suffix = (a.min(), a.max(), a.mean(), a.std()), ""
    low, high, mean, std = (float(s) for s in stats)
    return f"min: {low:.6g}, max: {high:.6g}, mean: {mean:.6g}, std: {std:.6g}{suffix}"


def describe_module(module: types.ModuleType) -> str:
    version = getattr(module, "__version__", None)
    lines = [f"module {module.__name__}" + (f" {version}" if isinstance(version, str) else ""),
             f"file: {getattr(module, '__file__', None) or '(built-in)'}"]
    return "\n".join(lines + [(inspect.getdoc(module) or "")[:500]]).rstrip()


def describe_callable(obj: Any, access: KernelAccess) -> str:
    """Signature, origin, docstring, public methods (classes) and the source of user code."""
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = "(signature unavailable)"
    lines = [f"{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}{signature}"]
    origin = _source_origin(obj, access)
    if origin is not None:
        lines.append(f"defined in: {origin[1]}" + (f", line {_first_line(obj)}" if _first_line(obj) else ""))
    doc = inspect.getdoc(obj)
    lines.append(f"doc:\n{cut(doc, DOC_CHARS)}" if doc else "doc: (none)")
    if inspect.isclass(obj):
        methods = [n for n, v in vars(obj).items() if not n.startswith("_") and callable(v)]
        if methods:
            lines.append(cut("methods: " + ", ".join(methods), 1_000))
    if origin is not None and origin[0] in ("cell", "user"):
        lines.append(section("source", lambda: cut(inspect.getsource(obj), SOURCE_CHARS)))
    return "\n".join(lines)


def _source_origin(obj: Any, access: KernelAccess) -> tuple[str, str] | None:
    try:
        filename = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except (TypeError, OSError):
        return None
    return code_origin(filename, access)


def _first_line(obj: Any) -> int | None:
    code = getattr(inspect.unwrap(obj), "__code__", None) if not inspect.isclass(obj) else None
    return getattr(code, "co_firstlineno", None)


def describe_other(obj: Any) -> str:
    """Size, shape/dtype attributes when present, a generous bounded repr and instance attributes."""
    size = size_of(obj)
    lines = [f"size: {size}"] if size else []
    if getattr(type(obj), "dtype", None) is not None:
        lines.append(section("dtype", lambda: cut(str(obj.dtype), 100)).replace(":\n", ": ", 1))
    lines.append("value:\n" + safe_repr(obj, 6_000, one_line=False, level=3, items=30, string=2_000, other=6_000))
    attributes = _instance_attributes(obj)
    if attributes:
        lines.append("attributes:\n" + "\n".join(attributes))
    return "\n".join(lines)


def _instance_attributes(obj: Any) -> list[str]:
    """`name = repr` for up to 30 public entries of the instance `__dict__` (no properties run)."""
    try:
        entries = vars(obj)
    except TypeError:
        return []
    if not isinstance(entries, dict):
        return []
    public = [(k, v) for k, v in entries.items() if isinstance(k, str) and not k.startswith("_")]
    lines = [f"  {k} = {safe_repr(v, 150)}" for k, v in public[:30]]
    if len(public) > 30:
        lines.append(f"  … {len(public) - 30} more")
    return lines


def is_kind(obj: Any, package: str, name: str) -> bool:
    """Whether `obj`'s type (or a base) is `name` from the top-level `package`."""
    return any(c.__name__ == name and (getattr(c, "__module__", "") or "").split(".")[0] == package for c in type(obj).__mro__)


def describe_frame_like(obj: Any, rows: int) -> str | None:
    """The report for a pandas/polars DataFrame or Series (or a polars LazyFrame); None otherwise."""
    for package, name, describe in _FRAME_KINDS:
        if is_kind(obj, package, name):
            return describe(obj, rows)
    return None


def _pandas_frame(df: Any, rows: int) -> str:
    n_rows, n_cols = df.shape
    lines = [f"shape: {n_rows} rows x {n_cols} columns"]
    lines.append(section("memory (shallow)", lambda: human_bytes(int(df.memory_usage(index=True, deep=False).sum()))))
    lines.append(section("columns (dtype, nulls)", lambda: _pandas_columns(df)))
    lines.append(section(f"head({rows})", lambda: df.head(rows).to_string(max_cols=DESCRIBE_COLUMNS, max_colwidth=40, line_width=160)))
    numeric = [i for i, dtype in enumerate(df.dtypes) if getattr(dtype, "kind", "") in "iuf"][:DESCRIBE_COLUMNS]
    if numeric:
        title = _describe_title(n_rows, len(numeric))
        lines.append(section(title, lambda: df.iloc[:FRAME_ROWS_LIMIT, numeric].describe().to_string(line_width=160)))
    return "\n".join(lines)


def _pandas_columns(df: Any) -> str:
    shown = df.iloc[:FRAME_ROWS_LIMIT, :MAX_COLUMNS]
    nulls = list(shown.isna().sum())
    lines = [f"  {cut(str(col), 40)}: {dtype}, {nulls[i]} null" for i, (col, dtype) in enumerate(shown.dtypes.items())]
    return "\n".join(lines + _more_columns(df.shape[1]))


def _pandas_series(s: Any, rows: int) -> str:
    lines = [f"length: {len(s)}, dtype: {s.dtype}, name: {safe_repr(s.name, 60)}"]
    lines.append(section("nulls", lambda: str(int(s.iloc[:FRAME_ROWS_LIMIT].isna().sum()))))
    lines.append(section(f"head({rows})", lambda: s.head(rows).to_string()))
    lines.append(section(_describe_title(len(s), 1), lambda: s.iloc[:FRAME_ROWS_LIMIT].describe().to_string()))
    return "\n".join(lines)


def _polars_frame(df: Any, rows: int) -> str:
    pl = sys.modules.get("polars")
    n_rows, n_cols = df.shape
    lines = [f"shape: {n_rows} rows x {n_cols} columns"]
    lines.append(section("size (estimated)", lambda: human_bytes(int(df.estimated_size()))))
    lines.append(section("schema (dtype, nulls)", lambda: _polars_columns(df)))
    lines.append(section(f"head({rows})", lambda: _polars_text(pl, df.head(rows), rows)))
    numeric = [name for name, dtype in df.schema.items() if dtype.is_numeric()][:DESCRIBE_COLUMNS]
    if numeric:
        title = _describe_title(n_rows, len(numeric))
        lines.append(section(title, lambda: _polars_text(pl, df.select(numeric).head(FRAME_ROWS_LIMIT).describe(), 20)))
    return "\n".join(lines)


def _polars_columns(df: Any) -> str:
    names = df.columns[:MAX_COLUMNS]
    nulls = df.select(names).null_count().row(0)
    lines = [f"  {cut(str(name), 40)}: {df.schema[name]}, {nulls[i]} null" for i, name in enumerate(names)]
    return "\n".join(lines + _more_columns(df.width))


def _polars_series(s: Any, rows: int) -> str:
    pl = sys.modules.get("polars")
    lines = [f"length: {len(s)}, dtype: {s.dtype}, name: {safe_repr(s.name, 60)}, nulls: {s.null_count()}"]
    lines.append(section(f"head({rows})", lambda: _polars_text(pl, s.head(rows), rows)))
    lines.append(section(_describe_title(len(s), 1), lambda: _polars_text(pl, s.head(FRAME_ROWS_LIMIT).describe(), 20)))
    return "\n".join(lines)


def _polars_lazy(lf: Any, rows: int) -> str:
    schema = lf.collect_schema()
    lines = [f"  {cut(str(name), 40)}: {dtype}" for name, dtype in list(schema.items())[:MAX_COLUMNS]]
    return "lazy frame (not collected)\nschema:\n" + "\n".join(lines + _more_columns(len(schema)))


def _polars_text(pl: Any, value: Any, rows: int) -> str:
    if pl is None:
        return str(value)
    with pl.Config(tbl_rows=rows, tbl_cols=DESCRIBE_COLUMNS, fmt_str_lengths=40, tbl_width_chars=160):
        return str(value)


def _describe_title(n_rows: int, n_cols: int) -> str:
    scope = f"first {FRAME_ROWS_LIMIT:,} rows" if n_rows > FRAME_ROWS_LIMIT else "all rows"
    return f"describe ({n_cols} numeric column{'s' if n_cols != 1 else ''}, {scope})"


def _more_columns(total: int) -> list[str]:
    return [f"  … {total - MAX_COLUMNS} more columns"] if total > MAX_COLUMNS else []


_FRAME_KINDS = (
    ("pandas", "DataFrame", _pandas_frame),
    ("pandas", "Series", _pandas_series),
    ("polars", "DataFrame", _polars_frame),
    ("polars", "Series", _polars_series),
    ("polars", "LazyFrame", _polars_lazy),
)
