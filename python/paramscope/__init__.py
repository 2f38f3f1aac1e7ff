"""paramscope: inspect model weight files (safetensors, GGUF, PyTorch) from their headers.

Each function returns exactly the dict that ``paramscope SUBCOMMAND --format json`` prints (same keys, exact
integers) and takes the subcommand's flags as keyword arguments (``--group-by layer`` is ``group_by="layer"``)::

    import paramscope
    report = paramscope.inspect("model.safetensors")
    print(report["totals"]["params"])
    assert paramscope.check("model/", max_params="8.1B")["status"] == "pass"

An input that cannot be read raises :class:`InputError` (its ``code`` is the CLI's); a wrong argument raises
``ValueError`` with the CLI's message. The work is done in Rust with the GIL released. docs/python.md in the
repository is the reference.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _native

__all__ = ["inspect", "footprint", "check", "stats", "diff", "verify", "InputError", "__version__"]

__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]


class InputError(Exception):
    """An input could not be read: what ``paramscope`` reports on stderr and exits 2 for.

    ``code``, ``path`` and ``message`` describe the first problem (``code`` is the CLI's stable code, e.g.
    ``"not_found"``); ``errors`` lists every problem as ``{"code", "message", "path"}``; ``report`` is the dict
    the CLI printed for the inputs that could be read (``None`` when there were none).
    """

    code: str
    path: str
    message: str
    errors: List[Dict[str, str]]
    report: Optional[Dict[str, Any]]

    def __init__(self, errors: List[Dict[str, str]], report: Optional[Dict[str, Any]] = None) -> None:
        first = errors[0] if errors else {"code": "empty_directory", "path": "", "message": "no checkpoint found"}
        self.code = first["code"]
        self.path = first["path"]
        self.message = first["message"]
        self.errors = errors
        self.report = report
        super().__init__(f"{self.path}: {self.message}")

    @classmethod
    def _from_json(cls, errors: str, report: Optional[str]) -> "InputError":
        # Called by the extension module, which hands over the CLI's JSON.
        return cls(json.loads(errors), json.loads(report) if report is not None else None)


def _paths(path_or_paths: Paths) -> List[PathLike]:
    if isinstance(path_or_paths, (str, os.PathLike)):
        return [path_or_paths]
    return list(path_or_paths)


def _patterns(filter: Union[str, Sequence[str], None]) -> List[str]:
    # `--filter` is repeatable; one pattern may be given alone.
    if filter is None:
        return []
    return [filter] if isinstance(filter, str) else list(filter)


def inspect(
    path_or_paths: Paths,
    *,
    tensors: bool = False,
    sort: Optional[str] = None,
    filter: Union[str, Sequence[str], None] = None,
    limit: Optional[int] = None,
    group_by: Optional[str] = None,
    tree: bool = False,
    depth: Optional[int] = None,
    metadata: Optional[str] = None,
    recursive: bool = False,
    follow_symlinks: bool = False,
) -> Dict[str, Any]:
    """``paramscope inspect PATHS --format json``: tensors, parameters, dtypes, files, metadata.

    One checkpoint gives its report; several (several paths, a folder holding several, ``recursive=True``) give
    ``{"checkpoints": [...], ...}`` with a total. ``tensors`` lists every tensor (``sort``: file, name, size,
    params; at most ``limit``), ``filter`` keeps tensors matching globs, ``group_by`` is ``"depth:N"``,
    ``"layer"``, ``"module"`` or ``"dtype"``, ``tree`` (cut at ``depth`` levels) the hierarchy of names,
    ``metadata`` ``"summary"`` or ``"full"`` for GGUF arrays.
    """
    return json.loads(
        _native.inspect(
            _paths(path_or_paths),
            tensors=tensors,
            sort=sort,
            filter=_patterns(filter),
            limit=limit,
            group_by=group_by,
            tree=tree,
            depth=depth,
            metadata=metadata,
            recursive=recursive,
            follow_symlinks=follow_symlinks,
        )
    )


def footprint(
    path: PathLike,
    *,
    context: Optional[int] = None,
    batch: int = 1,
    kv_dtype: str = "f16",
    group_size: int = 128,
    overhead: int = 10,
    training: Optional[str] = None,
    fits: Union[int, str, None] = None,
    device_overhead: Union[int, str, None] = None,
    config: Optional[PathLike] = None,
    layers: Optional[int] = None,
    kv_heads: Optional[int] = None,
    head_dim: Optional[int] = None,
    max_context: Optional[int] = None,
    follow_symlinks: bool = False,
) -> Dict[str, Any]:
    """``paramscope footprint PATH --format json``: memory on disk, at precisions, KV cache, training.

    ``context`` defaults to 4096 tokens, or the model's maximum when shorter. ``kv_dtype`` is f32, f16, bf16, f8,
    fp8-e4m3, fp8-e5m2, int8, q8_0 or q4_0; ``training="adam"`` adds a training estimate; ``fits`` (bytes as an int,
    text such as ``"24GiB"``, or devices such as ``"2x80GB"`` / ``"24GiB,24GiB"``) answers whether inference fits,
    at each precision, in ``report["fits"]``; ``device_overhead`` is the fixed memory per device. ``config`` (a
    config.json) or ``layers`` + ``kv_heads`` + ``head_dim`` (+ ``max_context``) give the architecture of a folder
    without config.json.
    """
    return json.loads(
        _native.footprint(
            path,
            context=context,
            batch=batch,
            kv_dtype=kv_dtype,
            group_size=group_size,
            overhead=overhead,
            training=training,
            fits=fits,
            device_overhead=device_overhead,
            config=None if config is None else os.fspath(config),
            layers=layers,
            kv_heads=kv_heads,
            head_dim=head_dim,
            max_context=max_context,
            follow_symlinks=follow_symlinks,
        )
    )


def check(
    path_or_paths: Paths,
    *,
    rules: Optional[PathLike] = None,
    recursive: bool = False,
    follow_symlinks: bool = False,
    **rule_settings: Any,
) -> Dict[str, Any]:
    """``paramscope check PATHS --format json``: whether checkpoints keep to rules (``report["status"]``).

    The rules are the flags, as keyword arguments: ``max_params="8.1B"`` (or an int), ``min_params``,
    ``max_bytes="16GiB"``, ``max_file_bytes``, ``dtype=["BF16", "F32"]`` (or ``"BF16,F32"``), ``forbid_dtype``,
    ``allow_global``, ``expect_tensors=PATH``, ``baseline=PATH``, ``max_growth="2%"``, ``max_params_growth``,
    ``max_bytes_growth``, ``no_nan=True``, ``no_inf``, ``no_all_zero_tensors``, ``verify``, ``verify_sha256=PATH``.
    ``rules`` names a rules file (TOML); keyword arguments override it. A failed rule is no exception: it is
    ``"fail"`` in the report.
    """
    # The keyword arguments become the keys of a rules file, read by its own parser.
    keys = {
        name.replace("_", "-"): os.fspath(value) if isinstance(value, os.PathLike) else value
        for name, value in rule_settings.items()
    }
    return json.loads(
        _native.check(
            _paths(path_or_paths),
            json.dumps(keys),
            rules=rules,
            recursive=recursive,
            follow_symlinks=follow_symlinks,
        )
    )


def stats(
    path_or_paths: Paths,
    *,
    filter: Union[str, Sequence[str], None] = None,
    hist: bool = False,
    follow_symlinks: bool = False,
) -> Dict[str, Any]:
    """``paramscope stats PATHS --format json``: every tensor's min, max, mean, std, zeros, NaN, Inf (reads all
    the data). ``hist`` adds a histogram of magnitudes per tensor."""
    return json.loads(
        _native.stats(
            _paths(path_or_paths),
            filter=_patterns(filter),
            hist=hist,
            follow_symlinks=follow_symlinks,
        )
    )


def diff(
    a: PathLike,
    b: PathLike,
    *,
    values: bool = False,
    atol: Optional[float] = None,
    rtol: Optional[float] = None,
    identical: bool = False,
    renames: bool = False,
    group_by: Optional[str] = None,
    follow_symlinks: bool = False,
) -> Dict[str, Any]:
    """``paramscope diff A B --format json``: tensors added, removed and changed, parameter and byte deltas.

    ``values`` compares the values (within ``atol`` + ``rtol``·|b|), ``identical`` looks for the first differing
    byte, ``renames`` finds tensors renamed with their data unchanged, ``group_by`` adds deltas per group.
    """
    return json.loads(
        _native.diff(
            a,
            b,
            values=values,
            atol=atol,
            rtol=rtol,
            identical=identical,
            renames=renames,
            group_by=group_by,
            follow_symlinks=follow_symlinks,
        )
    )


def verify(path_or_paths: Paths, *, sha256: Optional[PathLike] = None) -> Dict[str, Any]:
    """``paramscope verify PATHS --format json``: every weight file's SHA-256 against its reference.

    ``sha256`` is a manifest (``sha256sum`` format) or the hex digest of the one file named; without it, the
    Hugging Face cache's blob names are the references. ``report["verdict"]`` is verified, failed or
    incomplete; targets that cannot be read at all raise :class:`InputError`.
    """
    return json.loads(_native.verify(_paths(path_or_paths), sha256=sha256))
