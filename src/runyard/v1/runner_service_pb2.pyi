from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.rpc import status_pb2 as _status_pb2
from runyard.v1 import execution_pb2 as _execution_pb2
from runyard.v1 import run_pb2 as _run_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartRunRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CompleteRunRequest(_message.Message):
    __slots__ = ("name", "succeeded", "exit_code", "end_reason", "failure", "outputs", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    succeeded: bool
    exit_code: int
    end_reason: _run_pb2.Run.EndReason
    failure: _status_pb2.Status
    outputs: _containers.RepeatedCompositeFieldContainer[_run_pb2.ResolvedOutput]
    request_id: str
    def __init__(self, name: _Optional[str] = ..., succeeded: _Optional[bool] = ..., exit_code: _Optional[int] = ..., end_reason: _Optional[_Union[_run_pb2.Run.EndReason, str]] = ..., failure: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., outputs: _Optional[_Iterable[_Union[_run_pb2.ResolvedOutput, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AppendRunEventsRequest(_message.Message):
    __slots__ = ("parent", "entries", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    entries: _containers.RepeatedCompositeFieldContainer[_run_pb2.RunEvent.JournalEntry]
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[_run_pb2.RunEvent.JournalEntry, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AppendRunEventsResponse(_message.Message):
    __slots__ = ("run_events",)
    RUN_EVENTS_FIELD_NUMBER: _ClassVar[int]
    run_events: _containers.RepeatedCompositeFieldContainer[_run_pb2.RunEvent]
    def __init__(self, run_events: _Optional[_Iterable[_Union[_run_pb2.RunEvent, _Mapping]]] = ...) -> None: ...

class CreateExecutionRequest(_message.Message):
    __slots__ = ("parent", "execution", "execution_id", "outputs", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    execution: _execution_pb2.Execution
    execution_id: str
    outputs: _execution_pb2.ExecutionOutputs
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ..., execution_id: _Optional[str] = ..., outputs: _Optional[_Union[_execution_pb2.ExecutionOutputs, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...
