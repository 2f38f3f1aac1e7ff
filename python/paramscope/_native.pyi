# Stubs of the extension module (python/src/). Each analysis returns the JSON text its subcommand prints with
# `--format json`; the package (__init__.py) parses it and is what to call.
from os import PathLike
from typing import List, Optional, Sequence, Union

_Path = Union[str, PathLike[str]]

__version__: str

def run_cli(argv: Sequence[str]) -> int: ...
def inspect(
    paths: Sequence[_Path],
    *,
    tensors: bool = ...,
    sort: Optional[str] = ...,
    filter: List[str] = ...,
    limit: Optional[int] = ...,
    group_by: Optional[str] = ...,
    tree: bool = ...,
    depth: Optional[int] = ...,
    metadata: Optional[str] = ...,
    recursive: bool = ...,
    follow_symlinks: bool = ...,
) -> str: ...
def footprint(
    path: _Path,
    *,
    context: Optional[int] = ...,
    batch: int = ...,
    kv_dtype: Optional[str] = ...,
    group_size: int = ...,
    overhead: int = ...,
    training: Optional[str] = ...,
    fits: Union[int, str, None] = ...,
    device_overhead: Union[int, str, None] = ...,
    config: Optional[_Path] = ...,
    layers: Optional[int] = ...,
    kv_heads: Optional[int] = ...,
    head_dim: Optional[int] = ...,
    max_context: Optional[int] = ...,
    follow_symlinks: bool = ...,
) -> str: ...
def check(
    paths: Sequence[_Path],
    rules_json: str,
    *,
    rules: Optional[_Path] = ...,
    recursive: bool = ...,
    follow_symlinks: bool = ...,
) -> str: ...
def stats(
    paths: Sequence[_Path], *, filter: List[str] = ..., hist: bool = ..., follow_symlinks: bool = ...
) -> str: ...
def diff(
    a: _Path,
    b: _Path,
    *,
    values: bool = ...,
    atol: Optional[float] = ...,
    rtol: Optional[float] = ...,
    identical: bool = ...,
    renames: bool = ...,
    group_by: Optional[str] = ...,
    follow_symlinks: bool = ...,
) -> str: ...
def verify(paths: Sequence[_Path], *, sha256: Optional[_Path] = ...) -> str: ...
