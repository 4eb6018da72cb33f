import datetime

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
    COLOR_RED: _ClassVar[Color]
    COLOR_GREEN: _ClassVar[Color]
    COLOR_BLUE: _ClassVar[Color]
COLOR_UNSPECIFIED: Color
COLOR_RED: Color
COLOR_GREEN: Color
COLOR_BLUE: Color

class Scalars(_message.Message):
    __slots__ = ("f_double", "f_float", "f_int32", "f_int64", "f_uint32", "f_uint64", "f_sint32", "f_sint64", "f_fixed32", "f_fixed64", "f_sfixed32", "f_sfixed64", "f_bool", "f_string", "f_bytes", "f_enum", "renamed")
    F_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    F_FLOAT_FIELD_NUMBER: _ClassVar[int]
    F_INT32_FIELD_NUMBER: _ClassVar[int]
    F_INT64_FIELD_NUMBER: _ClassVar[int]
    F_UINT32_FIELD_NUMBER: _ClassVar[int]
    F_UINT64_FIELD_NUMBER: _ClassVar[int]
    F_SINT32_FIELD_NUMBER: _ClassVar[int]
    F_SINT64_FIELD_NUMBER: _ClassVar[int]
    F_FIXED32_FIELD_NUMBER: _ClassVar[int]
    F_FIXED64_FIELD_NUMBER: _ClassVar[int]
    F_SFIXED32_FIELD_NUMBER: _ClassVar[int]
    F_SFIXED64_FIELD_NUMBER: _ClassVar[int]
    F_BOOL_FIELD_NUMBER: _ClassVar[int]
    F_STRING_FIELD_NUMBER: _ClassVar[int]
    F_BYTES_FIELD_NUMBER: _ClassVar[int]
    F_ENUM_FIELD_NUMBER: _ClassVar[int]
    RENAMED_FIELD_NUMBER: _ClassVar[int]
    f_double: float
    f_float: float
    f_int32: int
    f_int64: int
    f_uint32: int
    f_uint64: int
    f_sint32: int
    f_sint64: int
    f_fixed32: int
    f_fixed64: int
    f_sfixed32: int
    f_sfixed64: int
    f_bool: bool
    f_string: str
    f_bytes: bytes
    f_enum: Color
    renamed: str
    def __init__(self, f_double: _Optional[float] = ..., f_float: _Optional[float] = ..., f_int32: _Optional[int] = ..., f_int64: _Optional[int] = ..., f_uint32: _Optional[int] = ..., f_uint64: _Optional[int] = ..., f_sint32: _Optional[int] = ..., f_sint64: _Optional[int] = ..., f_fixed32: _Optional[int] = ..., f_fixed64: _Optional[int] = ..., f_sfixed32: _Optional[int] = ..., f_sfixed64: _Optional[int] = ..., f_bool: _Optional[bool] = ..., f_string: _Optional[str] = ..., f_bytes: _Optional[bytes] = ..., f_enum: _Optional[_Union[Color, str]] = ..., renamed: _Optional[str] = ...) -> None: ...

class Repeateds(_message.Message):
    __slots__ = ("r_double", "r_float", "r_int32", "r_int64", "r_uint32", "r_uint64", "r_sint32", "r_sint64", "r_fixed32", "r_fixed64", "r_sfixed32", "r_sfixed64", "r_bool", "r_string", "r_bytes", "r_enum", "r_message")
    R_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    R_FLOAT_FIELD_NUMBER: _ClassVar[int]
    R_INT32_FIELD_NUMBER: _ClassVar[int]
    R_INT64_FIELD_NUMBER: _ClassVar[int]
    R_UINT32_FIELD_NUMBER: _ClassVar[int]
    R_UINT64_FIELD_NUMBER: _ClassVar[int]
    R_SINT32_FIELD_NUMBER: _ClassVar[int]
    R_SINT64_FIELD_NUMBER: _ClassVar[int]
    R_FIXED32_FIELD_NUMBER: _ClassVar[int]
    R_FIXED64_FIELD_NUMBER: _ClassVar[int]
    R_SFIXED32_FIELD_NUMBER: _ClassVar[int]
    R_SFIXED64_FIELD_NUMBER: _ClassVar[int]
    R_BOOL_FIELD_NUMBER: _ClassVar[int]
    R_STRING_FIELD_NUMBER: _ClassVar[int]
    R_BYTES_FIELD_NUMBER: _ClassVar[int]
    R_ENUM_FIELD_NUMBER: _ClassVar[int]
    R_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    r_double: _containers.RepeatedScalarFieldContainer[float]
    r_float: _containers.RepeatedScalarFieldContainer[float]
    r_int32: _containers.RepeatedScalarFieldContainer[int]
    r_int64: _containers.RepeatedScalarFieldContainer[int]
    r_uint32: _containers.RepeatedScalarFieldContainer[int]
    r_uint64: _containers.RepeatedScalarFieldContainer[int]
    r_sint32: _containers.RepeatedScalarFieldContainer[int]
    r_sint64: _containers.RepeatedScalarFieldContainer[int]
    r_fixed32: _containers.RepeatedScalarFieldContainer[int]
    r_fixed64: _containers.RepeatedScalarFieldContainer[int]
    r_sfixed32: _containers.RepeatedScalarFieldContainer[int]
    r_sfixed64: _containers.RepeatedScalarFieldContainer[int]
    r_bool: _containers.RepeatedScalarFieldContainer[bool]
    r_string: _containers.RepeatedScalarFieldContainer[str]
    r_bytes: _containers.RepeatedScalarFieldContainer[bytes]
    r_enum: _containers.RepeatedScalarFieldContainer[Color]
    r_message: _containers.RepeatedCompositeFieldContainer[Scalars]
    def __init__(self, r_double: _Optional[_Iterable[float]] = ..., r_float: _Optional[_Iterable[float]] = ..., r_int32: _Optional[_Iterable[int]] = ..., r_int64: _Optional[_Iterable[int]] = ..., r_uint32: _Optional[_Iterable[int]] = ..., r_uint64: _Optional[_Iterable[int]] = ..., r_sint32: _Optional[_Iterable[int]] = ..., r_sint64: _Optional[_Iterable[int]] = ..., r_fixed32: _Optional[_Iterable[int]] = ..., r_fixed64: _Optional[_Iterable[int]] = ..., r_sfixed32: _Optional[_Iterable[int]] = ..., r_sfixed64: _Optional[_Iterable[int]] = ..., r_bool: _Optional[_Iterable[bool]] = ..., r_string: _Optional[_Iterable[str]] = ..., r_bytes: _Optional[_Iterable[bytes]] = ..., r_enum: _Optional[_Iterable[_Union[Color, str]]] = ..., r_message: _Optional[_Iterable[_Union[Scalars, _Mapping]]] = ...) -> None: ...

class Optionals(_message.Message):
    __slots__ = ("o_double", "o_float", "o_int32", "o_int64", "o_uint64", "o_bool", "o_string", "o_bytes", "o_enum", "o_null")
    O_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    O_FLOAT_FIELD_NUMBER: _ClassVar[int]
    O_INT32_FIELD_NUMBER: _ClassVar[int]
    O_INT64_FIELD_NUMBER: _ClassVar[int]
    O_UINT64_FIELD_NUMBER: _ClassVar[int]
    O_BOOL_FIELD_NUMBER: _ClassVar[int]
    O_STRING_FIELD_NUMBER: _ClassVar[int]
    O_BYTES_FIELD_NUMBER: _ClassVar[int]
    O_ENUM_FIELD_NUMBER: _ClassVar[int]
    O_NULL_FIELD_NUMBER: _ClassVar[int]
    o_double: float
    o_float: float
    o_int32: int
    o_int64: int
    o_uint64: int
    o_bool: bool
    o_string: str
    o_bytes: bytes
    o_enum: Color
    o_null: _struct_pb2.NullValue
    def __init__(self, o_double: _Optional[float] = ..., o_float: _Optional[float] = ..., o_int32: _Optional[int] = ..., o_int64: _Optional[int] = ..., o_uint64: _Optional[int] = ..., o_bool: _Optional[bool] = ..., o_string: _Optional[str] = ..., o_bytes: _Optional[bytes] = ..., o_enum: _Optional[_Union[Color, str]] = ..., o_null: _Optional[_Union[_struct_pb2.NullValue, str]] = ...) -> None: ...

class Maps(_message.Message):
    __slots__ = ("m_string", "m_int32", "m_int64", "m_uint32", "m_uint64", "m_sint32", "m_sint64", "m_fixed32", "m_fixed64", "m_sfixed32", "m_sfixed64", "m_bool", "m_double", "m_float", "m_bytes", "m_enum", "m_message", "m_nested")
    class MStringEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MInt32Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MInt64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MUint32Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MUint64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MSint32Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MSint64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MFixed32Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MFixed64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MSfixed32Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MSfixed64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: int
        def __init__(self, key: _Optional[int] = ..., value: _Optional[int] = ...) -> None: ...
    class MBoolEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: bool
        value: bool
        def __init__(self, key: _Optional[bool] = ..., value: _Optional[bool] = ...) -> None: ...
    class MDoubleEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MFloatEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MBytesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    class MEnumEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Color
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Color, str]] = ...) -> None: ...
    class MMessageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Scalars
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Scalars, _Mapping]] = ...) -> None: ...
    class MNestedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: Nested
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[Nested, _Mapping]] = ...) -> None: ...
    M_STRING_FIELD_NUMBER: _ClassVar[int]
    M_INT32_FIELD_NUMBER: _ClassVar[int]
    M_INT64_FIELD_NUMBER: _ClassVar[int]
    M_UINT32_FIELD_NUMBER: _ClassVar[int]
    M_UINT64_FIELD_NUMBER: _ClassVar[int]
    M_SINT32_FIELD_NUMBER: _ClassVar[int]
    M_SINT64_FIELD_NUMBER: _ClassVar[int]
    M_FIXED32_FIELD_NUMBER: _ClassVar[int]
    M_FIXED64_FIELD_NUMBER: _ClassVar[int]
    M_SFIXED32_FIELD_NUMBER: _ClassVar[int]
    M_SFIXED64_FIELD_NUMBER: _ClassVar[int]
    M_BOOL_FIELD_NUMBER: _ClassVar[int]
    M_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    M_FLOAT_FIELD_NUMBER: _ClassVar[int]
    M_BYTES_FIELD_NUMBER: _ClassVar[int]
    M_ENUM_FIELD_NUMBER: _ClassVar[int]
    M_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    M_NESTED_FIELD_NUMBER: _ClassVar[int]
    m_string: _containers.ScalarMap[str, str]
    m_int32: _containers.ScalarMap[int, int]
    m_int64: _containers.ScalarMap[int, int]
    m_uint32: _containers.ScalarMap[int, int]
    m_uint64: _containers.ScalarMap[int, int]
    m_sint32: _containers.ScalarMap[int, int]
    m_sint64: _containers.ScalarMap[int, int]
    m_fixed32: _containers.ScalarMap[int, int]
    m_fixed64: _containers.ScalarMap[int, int]
    m_sfixed32: _containers.ScalarMap[int, int]
    m_sfixed64: _containers.ScalarMap[int, int]
    m_bool: _containers.ScalarMap[bool, bool]
    m_double: _containers.ScalarMap[str, float]
    m_float: _containers.ScalarMap[str, float]
    m_bytes: _containers.ScalarMap[str, bytes]
    m_enum: _containers.ScalarMap[str, Color]
    m_message: _containers.MessageMap[str, Scalars]
    m_nested: _containers.MessageMap[int, Nested]
    def __init__(self, m_string: _Optional[_Mapping[str, str]] = ..., m_int32: _Optional[_Mapping[int, int]] = ..., m_int64: _Optional[_Mapping[int, int]] = ..., m_uint32: _Optional[_Mapping[int, int]] = ..., m_uint64: _Optional[_Mapping[int, int]] = ..., m_sint32: _Optional[_Mapping[int, int]] = ..., m_sint64: _Optional[_Mapping[int, int]] = ..., m_fixed32: _Optional[_Mapping[int, int]] = ..., m_fixed64: _Optional[_Mapping[int, int]] = ..., m_sfixed32: _Optional[_Mapping[int, int]] = ..., m_sfixed64: _Optional[_Mapping[int, int]] = ..., m_bool: _Optional[_Mapping[bool, bool]] = ..., m_double: _Optional[_Mapping[str, float]] = ..., m_float: _Optional[_Mapping[str, float]] = ..., m_bytes: _Optional[_Mapping[str, bytes]] = ..., m_enum: _Optional[_Mapping[str, Color]] = ..., m_message: _Optional[_Mapping[str, Scalars]] = ..., m_nested: _Optional[_Mapping[int, Nested]] = ...) -> None: ...

class Nested(_message.Message):
    __slots__ = ("label", "child", "children", "scalars")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    SCALARS_FIELD_NUMBER: _ClassVar[int]
    label: str
    child: Nested
    children: _containers.RepeatedCompositeFieldContainer[Nested]
    scalars: Scalars
    def __init__(self, label: _Optional[str] = ..., child: _Optional[_Union[Nested, _Mapping]] = ..., children: _Optional[_Iterable[_Union[Nested, _Mapping]]] = ..., scalars: _Optional[_Union[Scalars, _Mapping]] = ...) -> None: ...

class Oneofs(_message.Message):
    __slots__ = ("o_string", "o_int64", "o_message", "o_enum", "o_bytes", "o_timestamp", "o_value", "o_null", "o_double", "s_bool", "s_wrapper", "plain")
    O_STRING_FIELD_NUMBER: _ClassVar[int]
    O_INT64_FIELD_NUMBER: _ClassVar[int]
    O_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    O_ENUM_FIELD_NUMBER: _ClassVar[int]
    O_BYTES_FIELD_NUMBER: _ClassVar[int]
    O_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    O_VALUE_FIELD_NUMBER: _ClassVar[int]
    O_NULL_FIELD_NUMBER: _ClassVar[int]
    O_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    S_BOOL_FIELD_NUMBER: _ClassVar[int]
    S_WRAPPER_FIELD_NUMBER: _ClassVar[int]
    PLAIN_FIELD_NUMBER: _ClassVar[int]
    o_string: str
    o_int64: int
    o_message: Scalars
    o_enum: Color
    o_bytes: bytes
    o_timestamp: _timestamp_pb2.Timestamp
    o_value: _struct_pb2.Value
    o_null: _struct_pb2.NullValue
    o_double: float
    s_bool: bool
    s_wrapper: _wrappers_pb2.StringValue
    plain: str
    def __init__(self, o_string: _Optional[str] = ..., o_int64: _Optional[int] = ..., o_message: _Optional[_Union[Scalars, _Mapping]] = ..., o_enum: _Optional[_Union[Color, str]] = ..., o_bytes: _Optional[bytes] = ..., o_timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., o_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., o_null: _Optional[_Union[_struct_pb2.NullValue, str]] = ..., o_double: _Optional[float] = ..., s_bool: _Optional[bool] = ..., s_wrapper: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., plain: _Optional[str] = ...) -> None: ...

class WellKnown(_message.Message):
    __slots__ = ("timestamp", "duration", "field_mask", "struct", "value", "list_value", "null_value", "any", "empty", "w_double", "w_float", "w_int64", "w_uint64", "w_int32", "w_uint32", "w_bool", "w_string", "w_bytes", "r_timestamp", "r_duration", "r_field_mask", "r_struct", "r_value", "r_list_value", "r_null_value", "r_any", "r_empty", "r_w_int64", "r_w_string", "r_w_bytes", "r_w_double", "m_timestamp", "m_duration", "m_field_mask", "m_struct", "m_value", "m_list_value", "m_null_value", "m_any", "m_empty", "m_w_int64", "m_w_float", "m_w_bool")
    class MTimestampEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _timestamp_pb2.Timestamp
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
    class MDurationEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _duration_pb2.Duration
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
    class MFieldMaskEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _field_mask_pb2.FieldMask
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...
    class MStructEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Struct
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
    class MValueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    class MListValueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.ListValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ...) -> None: ...
    class MNullValueEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.NullValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.NullValue, str]] = ...) -> None: ...
    class MAnyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _any_pb2.Any
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_any_pb2.Any, _Mapping]] = ...) -> None: ...
    class MEmptyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _empty_pb2.Empty
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ...) -> None: ...
    class MWInt64Entry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _wrappers_pb2.Int64Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ...) -> None: ...
    class MWFloatEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _wrappers_pb2.FloatValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_wrappers_pb2.FloatValue, _Mapping]] = ...) -> None: ...
    class MWBoolEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _wrappers_pb2.BoolValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ...) -> None: ...
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FIELD_MASK_FIELD_NUMBER: _ClassVar[int]
    STRUCT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    ANY_FIELD_NUMBER: _ClassVar[int]
    EMPTY_FIELD_NUMBER: _ClassVar[int]
    W_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    W_FLOAT_FIELD_NUMBER: _ClassVar[int]
    W_INT64_FIELD_NUMBER: _ClassVar[int]
    W_UINT64_FIELD_NUMBER: _ClassVar[int]
    W_INT32_FIELD_NUMBER: _ClassVar[int]
    W_UINT32_FIELD_NUMBER: _ClassVar[int]
    W_BOOL_FIELD_NUMBER: _ClassVar[int]
    W_STRING_FIELD_NUMBER: _ClassVar[int]
    W_BYTES_FIELD_NUMBER: _ClassVar[int]
    R_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    R_DURATION_FIELD_NUMBER: _ClassVar[int]
    R_FIELD_MASK_FIELD_NUMBER: _ClassVar[int]
    R_STRUCT_FIELD_NUMBER: _ClassVar[int]
    R_VALUE_FIELD_NUMBER: _ClassVar[int]
    R_LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    R_NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    R_ANY_FIELD_NUMBER: _ClassVar[int]
    R_EMPTY_FIELD_NUMBER: _ClassVar[int]
    R_W_INT64_FIELD_NUMBER: _ClassVar[int]
    R_W_STRING_FIELD_NUMBER: _ClassVar[int]
    R_W_BYTES_FIELD_NUMBER: _ClassVar[int]
    R_W_DOUBLE_FIELD_NUMBER: _ClassVar[int]
    M_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    M_DURATION_FIELD_NUMBER: _ClassVar[int]
    M_FIELD_MASK_FIELD_NUMBER: _ClassVar[int]
    M_STRUCT_FIELD_NUMBER: _ClassVar[int]
    M_VALUE_FIELD_NUMBER: _ClassVar[int]
    M_LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    M_NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    M_ANY_FIELD_NUMBER: _ClassVar[int]
    M_EMPTY_FIELD_NUMBER: _ClassVar[int]
    M_W_INT64_FIELD_NUMBER: _ClassVar[int]
    M_W_FLOAT_FIELD_NUMBER: _ClassVar[int]
    M_W_BOOL_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    field_mask: _field_mask_pb2.FieldMask
    struct: _struct_pb2.Struct
    value: _struct_pb2.Value
    list_value: _struct_pb2.ListValue
    null_value: _struct_pb2.NullValue
    any: _any_pb2.Any
    empty: _empty_pb2.Empty
    w_double: _wrappers_pb2.DoubleValue
    w_float: _wrappers_pb2.FloatValue
    w_int64: _wrappers_pb2.Int64Value
    w_uint64: _wrappers_pb2.UInt64Value
    w_int32: _wrappers_pb2.Int32Value
    w_uint32: _wrappers_pb2.UInt32Value
    w_bool: _wrappers_pb2.BoolValue
    w_string: _wrappers_pb2.StringValue
    w_bytes: _wrappers_pb2.BytesValue
    r_timestamp: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    r_duration: _containers.RepeatedCompositeFieldContainer[_duration_pb2.Duration]
    r_field_mask: _containers.RepeatedCompositeFieldContainer[_field_mask_pb2.FieldMask]
    r_struct: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    r_value: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    r_list_value: _containers.RepeatedCompositeFieldContainer[_struct_pb2.ListValue]
    r_null_value: _containers.RepeatedScalarFieldContainer[_struct_pb2.NullValue]
    r_any: _containers.RepeatedCompositeFieldContainer[_any_pb2.Any]
    r_empty: _containers.RepeatedCompositeFieldContainer[_empty_pb2.Empty]
    r_w_int64: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.Int64Value]
    r_w_string: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.StringValue]
    r_w_bytes: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.BytesValue]
    r_w_double: _containers.RepeatedCompositeFieldContainer[_wrappers_pb2.DoubleValue]
    m_timestamp: _containers.MessageMap[str, _timestamp_pb2.Timestamp]
    m_duration: _containers.MessageMap[str, _duration_pb2.Duration]
    m_field_mask: _containers.MessageMap[str, _field_mask_pb2.FieldMask]
    m_struct: _containers.MessageMap[str, _struct_pb2.Struct]
    m_value: _containers.MessageMap[str, _struct_pb2.Value]
    m_list_value: _containers.MessageMap[str, _struct_pb2.ListValue]
    m_null_value: _containers.ScalarMap[str, _struct_pb2.NullValue]
    m_any: _containers.MessageMap[str, _any_pb2.Any]
    m_empty: _containers.MessageMap[str, _empty_pb2.Empty]
    m_w_int64: _containers.MessageMap[str, _wrappers_pb2.Int64Value]
    m_w_float: _containers.MessageMap[str, _wrappers_pb2.FloatValue]
    m_w_bool: _containers.MessageMap[str, _wrappers_pb2.BoolValue]
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., field_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., struct: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., list_value: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., null_value: _Optional[_Union[_struct_pb2.NullValue, str]] = ..., any: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., empty: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ..., w_double: _Optional[_Union[_wrappers_pb2.DoubleValue, _Mapping]] = ..., w_float: _Optional[_Union[_wrappers_pb2.FloatValue, _Mapping]] = ..., w_int64: _Optional[_Union[_wrappers_pb2.Int64Value, _Mapping]] = ..., w_uint64: _Optional[_Union[_wrappers_pb2.UInt64Value, _Mapping]] = ..., w_int32: _Optional[_Union[_wrappers_pb2.Int32Value, _Mapping]] = ..., w_uint32: _Optional[_Union[_wrappers_pb2.UInt32Value, _Mapping]] = ..., w_bool: _Optional[_Union[_wrappers_pb2.BoolValue, _Mapping]] = ..., w_string: _Optional[_Union[_wrappers_pb2.StringValue, _Mapping]] = ..., w_bytes: _Optional[_Union[_wrappers_pb2.BytesValue, _Mapping]] = ..., r_timestamp: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., r_duration: _Optional[_Iterable[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]]] = ..., r_field_mask: _Optional[_Iterable[_Union[_field_mask_pb2.FieldMask, _Mapping]]] = ..., r_struct: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., r_value: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., r_list_value: _Optional[_Iterable[_Union[_struct_pb2.ListValue, _Mapping]]] = ..., r_null_value: _Optional[_Iterable[_Union[_struct_pb2.NullValue, str]]] = ..., r_any: _Optional[_Iterable[_Union[_any_pb2.Any, _Mapping]]] = ..., r_empty: _Optional[_Iterable[_Union[_empty_pb2.Empty, _Mapping]]] = ..., r_w_int64: _Optional[_Iterable[_Union[_wrappers_pb2.Int64Value, _Mapping]]] = ..., r_w_string: _Optional[_Iterable[_Union[_wrappers_pb2.StringValue, _Mapping]]] = ..., r_w_bytes: _Optional[_Iterable[_Union[_wrappers_pb2.BytesValue, _Mapping]]] = ..., r_w_double: _Optional[_Iterable[_Union[_wrappers_pb2.DoubleValue, _Mapping]]] = ..., m_timestamp: _Optional[_Mapping[str, _timestamp_pb2.Timestamp]] = ..., m_duration: _Optional[_Mapping[str, _duration_pb2.Duration]] = ..., m_field_mask: _Optional[_Mapping[str, _field_mask_pb2.FieldMask]] = ..., m_struct: _Optional[_Mapping[str, _struct_pb2.Struct]] = ..., m_value: _Optional[_Mapping[str, _struct_pb2.Value]] = ..., m_list_value: _Optional[_Mapping[str, _struct_pb2.ListValue]] = ..., m_null_value: _Optional[_Mapping[str, _struct_pb2.NullValue]] = ..., m_any: _Optional[_Mapping[str, _any_pb2.Any]] = ..., m_empty: _Optional[_Mapping[str, _empty_pb2.Empty]] = ..., m_w_int64: _Optional[_Mapping[str, _wrappers_pb2.Int64Value]] = ..., m_w_float: _Optional[_Mapping[str, _wrappers_pb2.FloatValue]] = ..., m_w_bool: _Optional[_Mapping[str, _wrappers_pb2.BoolValue]] = ...) -> None: ...

class Everything(_message.Message):
    __slots__ = ("scalars", "repeateds", "optionals", "maps", "nested", "oneofs", "well_known")
    SCALARS_FIELD_NUMBER: _ClassVar[int]
    REPEATEDS_FIELD_NUMBER: _ClassVar[int]
    OPTIONALS_FIELD_NUMBER: _ClassVar[int]
    MAPS_FIELD_NUMBER: _ClassVar[int]
    NESTED_FIELD_NUMBER: _ClassVar[int]
    ONEOFS_FIELD_NUMBER: _ClassVar[int]
    WELL_KNOWN_FIELD_NUMBER: _ClassVar[int]
    scalars: Scalars
    repeateds: Repeateds
    optionals: Optionals
    maps: Maps
    nested: Nested
    oneofs: Oneofs
    well_known: WellKnown
    def __init__(self, scalars: _Optional[_Union[Scalars, _Mapping]] = ..., repeateds: _Optional[_Union[Repeateds, _Mapping]] = ..., optionals: _Optional[_Union[Optionals, _Mapping]] = ..., maps: _Optional[_Union[Maps, _Mapping]] = ..., nested: _Optional[_Union[Nested, _Mapping]] = ..., oneofs: _Optional[_Union[Oneofs, _Mapping]] = ..., well_known: _Optional[_Union[WellKnown, _Mapping]] = ...) -> None: ...
