"""The gateway's one door to the JSON codec (:mod:`runyard.gateway.jsoncodec`)."""

from __future__ import annotations

from .framed_json import encode_framed
from .jsoncodec import JsonDecodeError, decode_message, encode_message, to_json_value

__all__ = ["JsonDecodeError", "decode_message", "encode_framed", "encode_message", "to_json_value"]
