import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from runyard.v1 import operation_pb2 as _operation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchCancelRunsRequest(_message.Message):
    __slots__ = ("parent", "filter", "names", "reason", "validate_only", "request_id", "max_runs_per_second")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    names: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    validate_only: bool
    request_id: str
    max_runs_per_second: float
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ..., max_runs_per_second: _Optional[float] = ...) -> None: ...

class BatchPauseRunsRequest(_message.Message):
    __slots__ = ("parent", "filter", "names", "reason", "validate_only", "request_id", "max_runs_per_second")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    names: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    validate_only: bool
    request_id: str
    max_runs_per_second: float
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ..., max_runs_per_second: _Optional[float] = ...) -> None: ...

class BatchContinueRunsRequest(_message.Message):
    __slots__ = ("parent", "filter", "names", "reason", "validate_only", "request_id", "max_runs_per_second")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    names: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    validate_only: bool
    request_id: str
    max_runs_per_second: float
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ..., max_runs_per_second: _Optional[float] = ...) -> None: ...

class BatchRetryRunsRequest(_message.Message):
    __slots__ = ("parent", "filter", "names", "reason", "validate_only", "request_id", "max_runs_per_second")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    names: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    validate_only: bool
    request_id: str
    max_runs_per_second: float
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ..., max_runs_per_second: _Optional[float] = ...) -> None: ...

class ArchiveRunsRequest(_message.Message):
    __slots__ = ("parent", "older_than", "validate_only", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    older_than: _duration_pb2.Duration
    validate_only: bool
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., older_than: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class PurgeArchivedRunsRequest(_message.Message):
    __slots__ = ("parent", "older_than", "validate_only", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    OLDER_THAN_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    older_than: _duration_pb2.Duration
    validate_only: bool
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., older_than: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...
