"""Arrow helpers against pandas: the row map of a left join by text id, and categoricals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from crm_core.store.arrow_frames import arrow_to_frame, index_in, take_or

ids = st.lists(st.sampled_from(["C1", "C2", "C10", "고객", "客户", "", "C1 ", "c1"]), max_size=8)


@given(values=ids, keys=ids.map(lambda k: list(dict.fromkeys(k))), shuffle=st.randoms())
def test_index_in_is_a_left_join_row_map(values: list[str], keys: list[str], shuffle) -> None:
    """Each value's position among the (unique) keys, -1 where absent, exactly as pandas'
    reindex of a Series indexed by the keys; also when both are the same ids in order."""
    for v, k in ((values, keys), (keys, keys), (keys, shuffle.sample(keys, len(keys)))):
        got = index_in(pd.Series(v, dtype="str"), pd.Index(k, dtype="str"))
        want = pd.Series(np.arange(len(k)), index=pd.Index(k, dtype=object)).reindex(pd.Index(v, dtype=object))
        assert got.tolist() == want.fillna(-1).astype(int).tolist()
        weights = np.arange(len(k), dtype=float) * 1.5
        assert take_or(weights, got, -7.0).tolist() == [weights[i] if i >= 0 else -7.0 for i in got.tolist()]


def test_categoricals_from_text_and_from_dictionaries_agree() -> None:
    """A text column and the same column dictionary-encoded (with a repeated dictionary
    value and nulls) become the same categorical, categories sorted."""
    text = pa.chunked_array([["b", None, "a", "b"], ["c", "a"]])
    dictionary = pa.DictionaryArray.from_arrays(pa.array([1, None, 0, 1, 2, 3], pa.int32()),
                                                pa.array(["a", "b", "c", "a"]))
    a = arrow_to_frame(pa.table({"x": text}), categorical=["x"])["x"]
    b = arrow_to_frame(pa.table({"x": dictionary}), categorical=["x"])["x"]
    assert list(a.cat.categories) == ["a", "b", "c"] and a.isna().tolist() == [False, True, False, False, False, False]
    pd.testing.assert_series_equal(a, b)
    assert b.astype(object).where(b.notna(), None).tolist() == ["b", None, "a", "b", "c", "a"]
