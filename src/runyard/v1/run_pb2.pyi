import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Run(_message.Message):
    __slots__ = ("name", "uid", "automation_revision_id", "config_version", "state", "trigger", "started_by", "caller", "trace_id", "external_execution_id", "create_time", "start_time", "end_time", "update_time", "duration", "exit_code", "end_reason", "failure", "attempt", "retried_run", "replica_index", "pause_reason", "pause_time", "paused_by", "outputs", "labels", "etag", "archived", "archive_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Run.State]
        QUEUED: _ClassVar[Run.State]
        RUNNING: _ClassVar[Run.State]
        PAUSED: _ClassVar[Run.State]
        SUCCEEDED: _ClassVar[Run.State]
        FAILED: _ClassVar[Run.State]
        CANCELLED: _ClassVar[Run.State]
    STATE_UNSPECIFIED: Run.State
    QUEUED: Run.State
    RUNNING: Run.State
    PAUSED: Run.State
    SUCCEEDED: Run.State
    FAILED: Run.State
    CANCELLED: Run.State
    class Trigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TRIGGER_UNSPECIFIED: _ClassVar[Run.Trigger]
        CRON: _ClassVar[Run.Trigger]
        API: _ClassVar[Run.Trigger]
        SCHEDULE: _ClassVar[Run.Trigger]
        EVENT: _ClassVar[Run.Trigger]
        MANUAL: _ClassVar[Run.Trigger]
        RETRY: _ClassVar[Run.Trigger]
        CLOUD: _ClassVar[Run.Trigger]
    TRIGGER_UNSPECIFIED: Run.Trigger
    CRON: Run.Trigger
    API: Run.Trigger
    SCHEDULE: Run.Trigger
    EVENT: Run.Trigger
    MANUAL: Run.Trigger
    RETRY: Run.Trigger
    CLOUD: Run.Trigger
    class EndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        END_REASON_UNSPECIFIED: _ClassVar[Run.EndReason]
        SUCCESS: _ClassVar[Run.EndReason]
        FAILURE: _ClassVar[Run.EndReason]
        STOPPED: _ClassVar[Run.EndReason]
        TIMEOUT: _ClassVar[Run.EndReason]
        CRASHED: _ClassVar[Run.EndReason]
        SKIPPED: _ClassVar[Run.EndReason]
        LOG_OVERFLOW: _ClassVar[Run.EndReason]
    END_REASON_UNSPECIFIED: Run.EndReason
    SUCCESS: Run.EndReason
    FAILURE: Run.EndReason
    STOPPED: Run.EndReason
    TIMEOUT: Run.EndReason
    CRASHED: Run.EndReason
    SKIPPED: Run.EndReason
    LOG_OVERFLOW: Run.EndReason
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    AUTOMATION_REVISION_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    RETRIED_RUN_FIELD_NUMBER: _ClassVar[int]
    REPLICA_INDEX_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASON_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_BY_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    uid: str
    automation_revision_id: str
    config_version: int
    state: Run.State
    trigger: Run.Trigger
    started_by: str
    caller: str
    trace_id: str
    external_execution_id: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    exit_code: int
    end_reason: Run.EndReason
    failure: _status_pb2.Status
    attempt: int
    retried_run: str
    replica_index: int
    pause_reason: str
    pause_time: _timestamp_pb2.Timestamp
    paused_by: str
    outputs: _containers.RepeatedCompositeFieldContainer[ResolvedOutput]
    labels: _containers.ScalarMap[str, str]
    etag: str
    archived: bool
    archive_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., uid: _Optional[str] = ..., automation_revision_id: _Optional[str] = ..., config_version: _Optional[int] = ..., state: _Optional[_Union[Run.State, str]] = ..., trigger: _Optional[_Union[Run.Trigger, str]] = ..., started_by: _Optional[str] = ..., caller: _Optional[str] = ..., trace_id: _Optional[str] = ..., external_execution_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., exit_code: _Optional[int] = ..., end_reason: _Optional[_Union[Run.EndReason, str]] = ..., failure: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., attempt: _Optional[int] = ..., retried_run: _Optional[str] = ..., replica_index: _Optional[int] = ..., pause_reason: _Optional[str] = ..., pause_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused_by: _Optional[str] = ..., outputs: _Optional[_Iterable[_Union[ResolvedOutput, _Mapping]]] = ..., labels: _Optional[_Mapping[str, str]] = ..., etag: _Optional[str] = ..., archived: _Optional[bool] = ..., archive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResolvedOutput(_message.Message):
    __slots__ = ("name", "resource", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    resource: str
    version: str
    def __init__(self, name: _Optional[str] = ..., resource: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class RunEvent(_message.Message):
    __slots__ = ("name", "sequence", "type", "create_time", "state_change", "journal")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[RunEvent.Type]
        STATE_CHANGE: _ClassVar[RunEvent.Type]
        JOURNAL: _ClassVar[RunEvent.Type]
    TYPE_UNSPECIFIED: RunEvent.Type
    STATE_CHANGE: RunEvent.Type
    JOURNAL: RunEvent.Type
    class StateChange(_message.Message):
        __slots__ = ("from_state", "to_state", "reason", "actor")
        FROM_STATE_FIELD_NUMBER: _ClassVar[int]
        TO_STATE_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        ACTOR_FIELD_NUMBER: _ClassVar[int]
        from_state: Run.State
        to_state: Run.State
        reason: str
        actor: str
        def __init__(self, from_state: _Optional[_Union[Run.State, str]] = ..., to_state: _Optional[_Union[Run.State, str]] = ..., reason: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...
    class JournalEntry(_message.Message):
        __slots__ = ("node_kind", "node_id", "payload")
        NODE_KIND_FIELD_NUMBER: _ClassVar[int]
        NODE_ID_FIELD_NUMBER: _ClassVar[int]
        PAYLOAD_FIELD_NUMBER: _ClassVar[int]
        node_kind: str
        node_id: str
        payload: _struct_pb2.Struct
        def __init__(self, node_kind: _Optional[str] = ..., node_id: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    sequence: int
    type: RunEvent.Type
    create_time: _timestamp_pb2.Timestamp
    state_change: RunEvent.StateChange
    journal: RunEvent.JournalEntry
    def __init__(self, name: _Optional[str] = ..., sequence: _Optional[int] = ..., type: _Optional[_Union[RunEvent.Type, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_change: _Optional[_Union[RunEvent.StateChange, _Mapping]] = ..., journal: _Optional[_Union[RunEvent.JournalEntry, _Mapping]] = ...) -> None: ...
