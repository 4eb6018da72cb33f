import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import wrappers_pb2 as _wrappers_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Color(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLOR_UNSPECIFIED: _ClassVar[Color]
    RED: _ClassVar[Color]
    GREEN: _ClassVar[Color]
COLOR_UNSPECIFIED: Color
RED: Color
GREEN: Color

class Item(_message.Message):
    __slots__ = ("name", "title", "size", "color", "tags", "create_time", "labels", "archived")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    size: int
    color: Color
    tags: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    labels: _containers.ScalarMap[str, str]
    archived: bool
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., size: _Optional[int] = ..., color: _Optional[_Union[Color, str]] = ..., tags: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ..., archived: _Optional[bool] = ...) -> None: ...

class GetItemRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLatestItemRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class CreateItemRequest(_message.Message):
    __slots__ = ("parent", "item", "item_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    item: Item
    item_id: str
    def __init__(self, parent: _Optional[str] = ..., item: _Optional[_Union[Item, _Mapping]] = ..., item_id: _Optional[str] = ...) -> None: ...

class UpdateItemRequest(_message.Message):
    __slots__ = ("item", "update_mask")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    item: Item
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, item: _Optional[_Union[Item, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteItemRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListItemsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "color")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    color: Color
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., color: _Optional[_Union[Color, str]] = ...) -> None: ...

class ListItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Item]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ArchiveItemRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchItemsRequest(_message.Message):
    __slots__ = ("parent", "count", "fail_code", "delay_ms")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    FAIL_CODE_FIELD_NUMBER: _ClassVar[int]
    DELAY_MS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    count: int
    fail_code: int
    delay_ms: int
    def __init__(self, parent: _Optional[str] = ..., count: _Optional[int] = ..., fail_code: _Optional[int] = ..., delay_ms: _Optional[int] = ...) -> None: ...

class ItemEvent(_message.Message):
    __slots__ = ("seq", "item")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    seq: int
    item: Item
    def __init__(self, seq: _Optional[int] = ..., item: _Optional[_Union[Item, _Mapping]] = ...) -> None: ...

class GetBlobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Blob(_message.Message):
    __slots__ = ("name", "size", "content_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    size: int
    content_type: str
    def __init__(self, name: _Optional[str] = ..., size: _Optional[int] = ..., content_type: _Optional[str] = ...) -> None: ...

class UploadBlobRequest(_message.Message):
    __slots__ = ("name", "payload")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    name: str
    payload: _httpbody_pb2.HttpBody
    def __init__(self, name: _Optional[str] = ..., payload: _Optional[_Union[_httpbody_pb2.HttpBody, _Mapping]] = ...) -> None: ...

class Nested(_message.Message):
    __slots__ = ("note", "child", "level")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    note: str
    child: Nested
    level: int
    def __init__(self, note: _Optional[str] = ..., child: _Optional[_Union[Nested, _Mapping]] = ..., level: _Optional[int] = ...) -> None: ...

class EchoRequest(_message.Message):
    __slots__ = ("id", "i32", "u32", "u64", "s32", "s64", "f32", "f64", "sf32", "sf64", "fl", "db", "flag", "text", "data", "color", "tags", "colors", "numbers", "nested", "time", "wait", "mask", "str_value", "i32_value", "i64_value", "u32_value", "u64_value", "float_value", "double_value", "bool_value", "bytes_value", "value", "struct", "list", "any", "empty", "times", "maybe", "choice_text", "choice_number", "custom", "counts")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    I32_FIELD_NUMBER: _ClassVar[int]
    U32_FIELD_NUMBER: _ClassVar[int]
    U64_FIELD_NUMBER: _ClassVar[int]
    S32_FIELD_NUMBER: _ClassVar[int]
    S64_FIELD_NUMBER: _ClassVar[int]
    F32_FIELD_NUMBER: _ClassVar[int]
    F64_FIELD_NUMBER: _ClassVar[int]
    SF32_FIELD_NUMBER: _ClassVar[int]
    SF64_FIELD_NUMBER: _ClassVar[int]
    FL_FIELD_NUMBER: _ClassVar[int]
    DB_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    COLOR_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    COLORS_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    NESTED_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    STR_VALUE_FIELD_NUMBER: _ClassVar[int]
    I32_VALUE_FIELD_NUMBER: _ClassVar[int]
    I64_VALUE_FIELD_NUMBER: _ClassVar[int]
    U32_VALUE_FIELD_NUMBER: _ClassVar[int]
    U64_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    BYTES_VALUE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STRUCT_FIELD_NUMBER: _ClassVar[int]
    LIST_FIELD_NUMBER: _ClassVar[int]
    ANY_FIELD_NUMBER: _ClassVar[int]
    EMPTY_FIELD_NUMBER: _ClassVar[int]
    TIMES_FIELD_NUMBER: _ClassVar[int]
    MAYBE_FIELD_NUMBER: _ClassVar[int]
    CHOICE_TEXT_FIELD_NUMBER: _ClassVar[int]
    CHOICE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    id: int
    i32: int
    u32: int
    u64: int
    s32: int
    s64: int
    f32: int
    f64: int
    sf32: int
    sf64: int
    fl: float
    db: float
    flag: bool
    text: str
    data: bytes
    color: Color
    tags: _containers.RepeatedScalarFieldContainer[str]
    colors: _containers.RepeatedScalarFieldContainer[Color]
    numbers: _containers.RepeatedScalarFieldContainer[int]
    nested: Nested
    time: _timestamp_pb2.Timestamp
    wait: _duration_pb2.Duration
    mask: _field_mask_pb2.FieldMask
    str_value: _wrappers_pb2.StringValue
    i32_value: _wrappers_pb2.Int32Value
    i64_value: _wrappers_pb2.Int64Value
    u32_value: _wrappers_pb2.UInt32Value
    u64_value: _wrappers_pb2.UInt64Value
    float_value: _wrappers_pb2.FloatValue
    double_value: _wrappers_pb2.DoubleValue
    bool_value: _wrappers_pb2.BoolValue
    bytes_value: _wrappers_pb2.BytesValue
    value: _struct_pb2.Value
    struct: _struct_pb2.Struct
    list: _struct_pb2.ListValue
    any: _any_pb2.Any
    empty: _empty_pb2.Empty
    times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    maybe: int
    choice_text: str
    choice_number: int
    custom: str
    counts: _containers.ScalarMap[str, int]
    def __init__(self, id: _Optional[int] = ..., i32: _Optional[int] = ..., u32: _Optional[int] = ..., u64: _Optional[int] = ..., s32: _Optional[int] = ..., s64: _Optional[int] = ..., f32: _Optional[int] = ..., f64: _Optional[int] = ..., sf32: _Optional[int] = ..., sf64: _Optional[int] = ..., fl: _Optional[float] = ..., db: _Optional[float] = ..., flag: _Optional[bool] = ..., text: _Optional[str] = ..., data: _Optional[bytes] = ..., color: _Optional[_Union[Color, str]] = ..., tags: _Optional[_Iterable[str]] = ..., colors: _Optional[_Iterable[_Union[Color, str]]] = ..., numbers: _Optional[_Iterable[int]] = ..., nested: _Optional[_Union[Nested, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., wait: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., str_value: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., i32_value: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., i64_value: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ..., u32_value: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ..., u64_value: _Optional[_Union[_wrappers_pb2.UInt64Value, _Mapping]] = ..., float_value: _Optional[_Union[_wrappers_pb2.FloatValue, _Mapping]] = ..., double_value: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ..., bool_value: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., bytes_value: _Optional[_Union[_wrappers_pb2.BytesValue, _Mapping]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., struct: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., list: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., any: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., empty: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., maybe: _Optional[int] = ..., choice_text: _Optional[str] = ..., choice_number: _Optional[int] = ..., custom: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class FailRequest(_message.Message):
    __slots__ = ("code", "message", "retry_delay")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRY_DELAY_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    retry_delay: _duration_pb2.Duration
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., retry_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class HeadersResponse(_message.Message):
    __slots__ = ("metadata",)
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METADATA_FIELD_NUMBER: _ClassVar[int]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...
