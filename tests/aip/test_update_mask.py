"""AIP-134 update masks as a table: which fields an Update writes."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from runyard.aip.errors import ApiError
from runyard.aip.update_mask import update_paths
from runyard.v1 import workspace_pb2

WRITABLE = ("display_name", "labels", "run_retention")
Workspace = workspace_pb2.Workspace


@pytest.mark.parametrize(
    ("patch", "paths", "present", "want"),
    [
        (Workspace(display_name="a"), [], False, ["display_name"]),  # implied mask
        (Workspace(labels={"k": "v"}), [], True, ["labels"]),  # empty mask: implied too
        (Workspace(), [], False, []),
        (Workspace(display_name="a", uid="x"), [], False, ["display_name"]),  # not writable
        (Workspace(), ["*"], True, list(WRITABLE)),
        (Workspace(), ["labels", "labels", "display_name"], True, ["labels", "display_name"]),
    ],
)
def test_update_paths(patch: Workspace, paths: list[str], present: bool, want: list[str]) -> None:
    mask = field_mask_pb2.FieldMask(paths=paths)
    assert update_paths(patch, mask, present, WRITABLE) == want


@pytest.mark.parametrize("path", ["uid", "run_retention.seconds", "nope"])
def test_a_path_outside_writable_is_refused(path: str) -> None:
    with pytest.raises(ApiError) as err:
        update_paths(Workspace(), field_mask_pb2.FieldMask(paths=[path]), True, WRITABLE)
    assert err.value.reason == "INVALID_UPDATE_MASK"
