import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import client_pb2 as _client_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from runyard.v1 import common_pb2 as _common_pb2
from runyard.v1 import run_pb2 as _run_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetRunRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "filter", "order_by", "skip", "show_total_size", "show_archived")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    SHOW_TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHOW_ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    filter: str
    order_by: str
    skip: int
    show_total_size: bool
    show_archived: bool
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ..., order_by: _Optional[str] = ..., skip: _Optional[int] = ..., show_total_size: _Optional[bool] = ..., show_archived: _Optional[bool] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token", "total_size")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[_run_pb2.Run]
    next_page_token: str
    total_size: int
    def __init__(self, runs: _Optional[_Iterable[_Union[_run_pb2.Run, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class CreateRunRequest(_message.Message):
    __slots__ = ("parent", "run", "run_id", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    run: _run_pb2.Run
    run_id: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., run: _Optional[_Union[_run_pb2.Run, _Mapping]] = ..., run_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PauseRunRequest(_message.Message):
    __slots__ = ("name", "reason", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ContinueRunRequest(_message.Message):
    __slots__ = ("name", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("name", "reason", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RetryRunRequest(_message.Message):
    __slots__ = ("name", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListRunEventsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "filter", "order_by", "skip", "show_total_size")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    SHOW_TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    filter: str
    order_by: str
    skip: int
    show_total_size: bool
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ..., order_by: _Optional[str] = ..., skip: _Optional[int] = ..., show_total_size: _Optional[bool] = ...) -> None: ...

class ListRunEventsResponse(_message.Message):
    __slots__ = ("run_events", "next_page_token", "total_size")
    RUN_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    run_events: _containers.RepeatedCompositeFieldContainer[_run_pb2.RunEvent]
    next_page_token: str
    total_size: int
    def __init__(self, run_events: _Optional[_Iterable[_Union[_run_pb2.RunEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class QueryDailyRunAggregatesRequest(_message.Message):
    __slots__ = ("parent", "start_date", "end_date", "time_zone", "filter")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    time_zone: str
    filter: str
    def __init__(self, parent: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., time_zone: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class DailyRunAggregate(_message.Message):
    __slots__ = ("date", "total_runs", "state_counts", "success_rate", "duration")
    DATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    STATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    date: _date_pb2.Date
    total_runs: int
    state_counts: _common_pb2.RunStateCounts
    success_rate: float
    duration: _common_pb2.DurationStats
    def __init__(self, date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., total_runs: _Optional[int] = ..., state_counts: _Optional[_Union[_common_pb2.RunStateCounts, _Mapping]] = ..., success_rate: _Optional[float] = ..., duration: _Optional[_Union[_common_pb2.DurationStats, _Mapping]] = ...) -> None: ...

class QueryDailyRunAggregatesResponse(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedCompositeFieldContainer[DailyRunAggregate]
    def __init__(self, days: _Optional[_Iterable[_Union[DailyRunAggregate, _Mapping]]] = ...) -> None: ...

class QueryAutomationRunAggregatesRequest(_message.Message):
    __slots__ = ("parent", "start_time", "end_time", "filter", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    filter: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filter: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AutomationRunAggregate(_message.Message):
    __slots__ = ("automation", "total_runs", "state_counts", "success_rate", "duration", "last_run", "last_run_time", "last_run_state")
    AUTOMATION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    STATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_STATE_FIELD_NUMBER: _ClassVar[int]
    automation: str
    total_runs: int
    state_counts: _common_pb2.RunStateCounts
    success_rate: float
    duration: _common_pb2.DurationStats
    last_run: str
    last_run_time: _timestamp_pb2.Timestamp
    last_run_state: _run_pb2.Run.State
    def __init__(self, automation: _Optional[str] = ..., total_runs: _Optional[int] = ..., state_counts: _Optional[_Union[_common_pb2.RunStateCounts, _Mapping]] = ..., success_rate: _Optional[float] = ..., duration: _Optional[_Union[_common_pb2.DurationStats, _Mapping]] = ..., last_run: _Optional[str] = ..., last_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_run_state: _Optional[_Union[_run_pb2.Run.State, str]] = ...) -> None: ...

class QueryAutomationRunAggregatesResponse(_message.Message):
    __slots__ = ("automation_run_aggregates", "next_page_token")
    AUTOMATION_RUN_AGGREGATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    automation_run_aggregates: _containers.RepeatedCompositeFieldContainer[AutomationRunAggregate]
    next_page_token: str
    def __init__(self, automation_run_aggregates: _Optional[_Iterable[_Union[AutomationRunAggregate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchRunEventsRequest(_message.Message):
    __slots__ = ("parent", "after_sequence", "filter", "follow")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    parent: str
    after_sequence: int
    filter: str
    follow: bool
    def __init__(self, parent: _Optional[str] = ..., after_sequence: _Optional[int] = ..., filter: _Optional[str] = ..., follow: _Optional[bool] = ...) -> None: ...

class StreamHeartbeat(_message.Message):
    __slots__ = ("time", "resume_token")
    TIME_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    resume_token: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchRunEventsResponse(_message.Message):
    __slots__ = ("event", "heartbeat")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    event: _run_pb2.RunEvent
    heartbeat: StreamHeartbeat
    def __init__(self, event: _Optional[_Union[_run_pb2.RunEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[StreamHeartbeat, _Mapping]] = ...) -> None: ...

class WatchRunsRequest(_message.Message):
    __slots__ = ("parent", "filter", "resume_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    resume_token: str
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class RunChange(_message.Message):
    __slots__ = ("run", "resume_token", "change_time")
    RUN_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    run: _run_pb2.Run
    resume_token: str
    change_time: _timestamp_pb2.Timestamp
    def __init__(self, run: _Optional[_Union[_run_pb2.Run, _Mapping]] = ..., resume_token: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchRunsResponse(_message.Message):
    __slots__ = ("change", "heartbeat")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    change: RunChange
    heartbeat: StreamHeartbeat
    def __init__(self, change: _Optional[_Union[RunChange, _Mapping]] = ..., heartbeat: _Optional[_Union[StreamHeartbeat, _Mapping]] = ...) -> None: ...
