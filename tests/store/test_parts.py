"""SqlStore joins the store parts by inheritance: no two parts may define the
same name (one would silently hide the other), and SqlStore serves every
narrow protocol the servicers are typed against."""

from __future__ import annotations

from itertools import combinations

from runyard.store import interface
from runyard.store.db import Part
from runyard.store.sql import SqlStore


def test_parts_define_disjoint_names() -> None:
    parts = [
        cls for cls in SqlStore.__mro__ if issubclass(cls, Part) and cls not in (Part, SqlStore)
    ]
    assert len(parts) >= 4
    for a, b in combinations(parts, 2):
        shared = {n for n in vars(a) if not n.startswith("__")} & set(vars(b))
        assert not shared, f"{a.__name__} and {b.__name__} both define {shared}"


def test_sql_store_has_every_protocol_method() -> None:
    for protocol in (
        interface.WorkspaceStore,
        interface.RunStore,
        interface.ExecutionStore,
        interface.AggregateStore,
        interface.Store,
    ):
        wanted = {n for n in vars(protocol) if not n.startswith("_")}
        missing = {n for n in wanted if not hasattr(SqlStore, n)}
        assert not missing, f"SqlStore lacks {missing} of {protocol.__name__}"
