"""Arrow query results as pandas frames with the types the analytics expect."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_to_frame", "index_in", "take_or"]


def _categorical(col: pa.ChunkedArray) -> pd.Categorical:
    """A string column as a categorical with sorted categories (as ``astype("category")``),
    encoded by Arrow: no Python strings per row."""
    enc = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_dictionary(enc.type):
        enc = pc.dictionary_encode(enc)
    words = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    if len(words) != len(set(words)):          # a dictionary may repeat a value: encode afresh
        enc = pc.dictionary_encode(enc.cast(enc.type.value_type))
        words = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(words, kind="stable")
    rank = np.empty(len(words) + 1, dtype=np.int32)
    rank[order] = np.arange(len(words), dtype=np.int32)
    rank[-1] = -1                              # missing values index the last slot
    idx = pc.fill_null(enc.indices.cast(pa.int32()), len(words)).to_numpy(zero_copy_only=False)
    codes = rank[idx]
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(words[order], dtype=object)),
                                     validate=False)


def arrow_to_frame(table: pa.Table, categorical: Collection[str] = ()) -> pd.DataFrame:
    """Arrow result -> pandas with the types DuckDB's ``.df()`` would give.

    Dates become ``datetime64``, DECIMAL becomes float64 (analytics only; stored money
    stays exact), integer columns with nulls become nullable ``Int64``; the string columns
    named in ``categorical`` become categoricals (sorted categories; NULL stays missing).
    """
    cols = {}
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_decimal(col.type):
            col = col.cast(pa.float64())
        cols[name] = col
    table = pa.table(cols) if cols else table
    coded = {name: _categorical(table.column(name)) for name in categorical
             if name in table.column_names and (pa.types.is_string(table.column(name).type)
                                                or pa.types.is_large_string(table.column(name).type)
                                                or pa.types.is_dictionary(table.column(name).type))}
    frame = table.drop_columns(list(coded)).to_pandas(date_as_object=False) if coded else \
        table.to_pandas(date_as_object=False)
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_integer(col.type) and col.null_count:
            frame[name] = frame[name].astype("Int64")
    for name, values in coded.items():
        frame[name] = values
    return frame[table.column_names] if coded else frame


def index_in(values: pd.Series | pd.Index, keys: pd.Series | pd.Index) -> np.ndarray:
    """For each of ``values``, its position among ``keys`` (unique), -1 where absent: a
    left join's row map by Arrow's hash lookup. pandas' merge and reindex on Arrow-backed
    text ids turn every id into a Python string first (0.5 s a join at a million ids)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    have, want = pa.array(values.astype("str")), pa.array(keys.astype("str"))
    if len(have) == len(want) and pc.all(pc.equal(have, want)).as_py():   # the same ids in the same order
        return np.arange(len(have), dtype=np.int64)
    found = pc.index_in(have, value_set=want)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def take_or(column: pd.Series | np.ndarray, rows: np.ndarray, missing: float) -> np.ndarray:
    """``column[rows]`` as float64, ``missing`` where ``rows`` is -1 (see :func:`index_in`)."""
    values = np.asarray(column, dtype=np.float64)
    if len(values) == 0:
        return np.full(len(rows), missing, dtype=np.float64)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], missing)
