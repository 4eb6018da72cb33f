/* Protobuf wire bytes -> proto3 JSON, driven by per-type plans built in Python.
 *
 * Optional accelerator of runyard.gateway.jsoncodec (see jsoncodec_encode_wire.py,
 * which builds the plans from descriptors and keeps the pure-Python encoder as the
 * fallback). Reading a upb message field by field from Python costs a C-API crossing
 * per field (HasField, sub-message wrappers, Timestamp seconds/nanos); one
 * SerializeToString and one pass over its bytes here costs a fraction of that.
 *
 * The output equals what the Python encoder + orjson.dumps produce: compact, keys in
 * field-number order, strings escaped as orjson escapes them. Anything this pass does
 * not handle exactly (fields out of order or repeated, groups, malformed bytes, a
 * Timestamp out of range, a callback that fails) makes encode() return None, and the
 * caller encodes the message in Python instead, which also raises the right error.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum {
    K_INT32 = 1, K_INT64, K_UINT32, K_UINT64, K_SINT32, K_SINT64, K_FIXED32, K_FIXED64,
    K_SFIXED32, K_SFIXED64, K_BOOL, K_STRING, K_BYTES, K_ENUM, K_NULL, K_MESSAGE,
    K_TIMESTAMP, K_DURATION, K_PY, K_MAP
};

#define MAX_DEPTH 100
#define MAX_DENSE 4096

typedef struct Field Field;
typedef struct Plan Plan;

struct Field {
    uint32_t number;
    int kind;
    int repeated;
    int oneof;          /* index of its real oneof, or -1 */
    int wire;           /* K_PY: the wire type of one value (0, 1, 2 or 5) */
    const char *key;    /* '"jsonName":' */
    Py_ssize_t key_len;
    PyObject *key_obj;  /* owns key */
    PyObject *enum_names; /* K_ENUM: dict int -> bytes (a JSON string) */
    PyObject *callback;   /* K_PY: callable(raw) -> JSON bytes or None */
    Plan *sub;            /* K_MESSAGE */
    Field *map_key;       /* K_MAP: the entry's fields */
    Field *map_value;
};

struct Plan {
    PyObject_HEAD
    Py_ssize_t n;
    Field *fields;
    int32_t *dense;     /* field number -> index, when the numbers are small */
    uint32_t dense_len;
    int ready;
    /* Struct, Value, ListValue, wrappers: the JSON of the one field that is present,
     * or this default when none is (NULL for ordinary messages). */
    PyObject *unwrap;
};

/* ---- output buffer ------------------------------------------------------------------ */

typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Out;

static int out_grow(Out *o, Py_ssize_t need) {
    Py_ssize_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + need) cap *= 2;
    char *b = PyMem_Realloc(o->buf, cap);
    if (!b) { PyErr_NoMemory(); return -1; }
    o->buf = b;
    o->cap = cap;
    return 0;
}

#define RESERVE(o, n) do { if ((o)->len + (Py_ssize_t)(n) > (o)->cap && out_grow((o), (n)) < 0) return -1; } while (0)

static inline int put(Out *o, const char *s, Py_ssize_t n) {
    RESERVE(o, n);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return 0;
}

static inline int putc1(Out *o, char c) {
    RESERVE(o, 1);
    o->buf[o->len++] = c;
    return 0;
}

static int put_u64(Out *o, uint64_t v) {
    char tmp[24];
    int i = 24;
    do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    return put(o, tmp + i, 24 - i);
}

static int put_i64(Out *o, int64_t v) {
    if (v < 0) {
        if (putc1(o, '-') < 0) return -1;
        return put_u64(o, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

/* digits of v, zero-padded to width */
static int put_padded(Out *o, uint64_t v, int width) {
    char tmp[24];
    int i = 24;
    do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    while (24 - i < width) tmp[--i] = '0';
    return put(o, tmp + i, 24 - i);
}

/* A JSON string as orjson writes it; -1 with no exception on invalid UTF-8. */
static int put_string(Out *o, const uint8_t *s, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    RESERVE(o, n + 2);
    o->buf[o->len++] = '"';
    Py_ssize_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            Py_ssize_t j = i + 1;
            while (j < n && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < 0x80) j++;
            if (put(o, (const char *)s + i, j - i) < 0) return -1;
            i = j;
            continue;
        }
        if (c < 0x80) {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            int len = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\t': esc[1] = 't'; break;
            case '\n': esc[1] = 'n'; break;
            case '\f': esc[1] = 'f'; break;
            case '\r': esc[1] = 'r'; break;
            default:
                esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
                esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
                len = 6;
            }
            if (put(o, esc, len) < 0) return -1;
            i++;
            continue;
        }
        /* Multi-byte UTF-8: copied as is once checked (RFC 3629, no surrogates). */
        int extra;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { extra = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { extra = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { extra = 3; cp = c & 0x07; }
        else return -2;
        if (i + extra >= n) return -2;
        for (int k = 1; k <= extra; k++) {
            uint8_t d = s[i + k];
            if ((d & 0xC0) != 0x80) return -2;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return -2;
        if (put(o, (const char *)s + i, extra + 1) < 0) return -1;
        i += extra + 1;
    }
    return putc1(o, '"');
}

static int put_base64(Out *o, const uint8_t *s, Py_ssize_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    RESERVE(o, (n + 2) / 3 * 4 + 2);
    char *w = o->buf + o->len;
    *w++ = '"';
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
        *w++ = tbl[v >> 18]; *w++ = tbl[(v >> 12) & 63]; *w++ = tbl[(v >> 6) & 63]; *w++ = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        *w++ = tbl[v >> 18]; *w++ = tbl[(v >> 12) & 63]; *w++ = '='; *w++ = '=';
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8);
        *w++ = tbl[v >> 18]; *w++ = tbl[(v >> 12) & 63]; *w++ = tbl[(v >> 6) & 63]; *w++ = '=';
    }
    *w++ = '"';
    o->len = w - o->buf;
    return 0;
}

/* ---- wire reading ------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} Rd;

static inline int read_varint(Rd *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) { *v = x; return 0; }
    }
    return -1;
}

static inline int read_fixed(Rd *r, int bytes, uint64_t *v) {
    if (r->end - r->p < bytes) return -1;
    uint64_t x = 0;
    for (int i = bytes - 1; i >= 0; i--) x = (x << 8) | r->p[i];
    r->p += bytes;
    *v = x;
    return 0;
}

static inline int read_len(Rd *r, Rd *sub) {
    uint64_t n;
    if (read_varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p)) return -1;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return 0;
}

static int skip_field(Rd *r, int wt) {
    uint64_t v;
    Rd sub;
    switch (wt) {
    case 0: return read_varint(r, &v);
    case 1: return read_fixed(r, 8, &v);
    case 2: return read_len(r, &sub);
    case 5: return read_fixed(r, 4, &v);
    default: return -1; /* groups: not handled here */
    }
}

/* ---- values ------------------------------------------------------------------------- */

/* -1: an exception is set; -2: not convertible here (fall back to Python). */
static int emit_message(Out *o, Plan *plan, const uint8_t *p, const uint8_t *end, int depth);

static int wire_of(int kind) {
    switch (kind) {
    case K_FIXED64: case K_SFIXED64: return 1;
    case K_FIXED32: case K_SFIXED32: return 5;
    case K_STRING: case K_BYTES: case K_MESSAGE: case K_TIMESTAMP: case K_DURATION: case K_MAP:
        return 2;
    default: return 0;
    }
}

static int emit_int_kind(Out *o, int kind, uint64_t v) {
    switch (kind) {
    case K_INT32: case K_SFIXED32: return put_i64(o, (int32_t)(uint32_t)v);
    case K_UINT32: case K_FIXED32: return put_u64(o, (uint32_t)v);
    case K_SINT32: {
        uint32_t u = (uint32_t)v;
        return put_i64(o, (int32_t)((u >> 1) ^ (0u - (u & 1))));
    }
    case K_BOOL: return v ? put(o, "true", 4) : put(o, "false", 5);
    case K_NULL: return put(o, "null", 4);
    }
    /* 64-bit integers are JSON strings */
    if (putc1(o, '"') < 0) return -1;
    int rc;
    switch (kind) {
    case K_INT64: case K_SFIXED64: rc = put_i64(o, (int64_t)v); break;
    case K_SINT64: rc = put_i64(o, (int64_t)((v >> 1) ^ (0ull - (v & 1)))); break;
    default: rc = put_u64(o, v); break; /* K_UINT64, K_FIXED64 */
    }
    if (rc < 0) return -1;
    return putc1(o, '"');
}

static int emit_enum(Out *o, Field *f, uint64_t v) {
    int32_t n = (int32_t)(uint32_t)v;
    PyObject *key = PyLong_FromLong(n);
    if (!key) return -1;
    PyObject *name = PyDict_GetItemWithError(f->enum_names, key);
    Py_DECREF(key);
    if (name) return put(o, PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name));
    if (PyErr_Occurred()) return -1;
    return put_i64(o, n); /* unknown numbers of open enums print as numbers */
}

static int emit_fraction(Out *o, uint32_t nanos) {
    if (nanos % 1000000 == 0) return putc1(o, '.') < 0 ? -1 : put_padded(o, nanos / 1000000, 3);
    if (nanos % 1000 == 0) return putc1(o, '.') < 0 ? -1 : put_padded(o, nanos / 1000, 6);
    return putc1(o, '.') < 0 ? -1 : put_padded(o, nanos, 9);
}

static int read_seconds_nanos(const uint8_t *p, const uint8_t *end, int64_t *sec, int32_t *nanos) {
    Rd r = {p, end};
    *sec = 0;
    *nanos = 0;
    while (r.p < r.end) {
        uint64_t tag, v;
        if (read_varint(&r, &tag) < 0) return -2;
        if (tag == 8) { if (read_varint(&r, &v) < 0) return -2; *sec = (int64_t)v; }
        else if (tag == 16) { if (read_varint(&r, &v) < 0) return -2; *nanos = (int32_t)(uint32_t)v; }
        else if ((tag >> 3) == 0 || skip_field(&r, (int)(tag & 7)) < 0) return -2;
    }
    return 0;
}

static int emit_timestamp(Out *o, const uint8_t *p, const uint8_t *end) {
    int64_t sec;
    int32_t nanos;
    if (read_seconds_nanos(p, end, &sec, &nanos) < 0) return -2;
    if (sec < -62135596800LL || sec > 253402300799LL || nanos < 0 || nanos >= 1000000000)
        return -2; /* Python raises the error */
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    char b[20];
    b[0] = '"';
    b[1] = (char)('0' + y / 1000); b[2] = (char)('0' + y / 100 % 10);
    b[3] = (char)('0' + y / 10 % 10); b[4] = (char)('0' + y % 10);
    b[5] = '-'; b[6] = (char)('0' + m / 10); b[7] = (char)('0' + m % 10);
    b[8] = '-'; b[9] = (char)('0' + d / 10); b[10] = (char)('0' + d % 10);
    int64_t hh = rem / 3600, mm = rem / 60 % 60, ss = rem % 60;
    b[11] = 'T'; b[12] = (char)('0' + hh / 10); b[13] = (char)('0' + hh % 10);
    b[14] = ':'; b[15] = (char)('0' + mm / 10); b[16] = (char)('0' + mm % 10);
    b[17] = ':'; b[18] = (char)('0' + ss / 10); b[19] = (char)('0' + ss % 10);
    if (put(o, b, 20) < 0) return -1;
    if (nanos && emit_fraction(o, (uint32_t)nanos) < 0) return -1;
    return put(o, "Z\"", 2);
}

static int emit_duration(Out *o, const uint8_t *p, const uint8_t *end) {
    int64_t sec;
    int32_t nanos;
    if (read_seconds_nanos(p, end, &sec, &nanos) < 0) return -2;
    if (sec < -315576000000LL || sec > 315576000000LL || nanos <= -1000000000 ||
        nanos >= 1000000000 || (nanos < 0 && sec > 0) || (sec < 0 && nanos > 0))
        return -2;
    if (putc1(o, '"') < 0) return -1;
    if (sec < 0 || nanos < 0) {
        if (putc1(o, '-') < 0 || put_u64(o, (uint64_t)(-sec)) < 0) return -1;
        if (nanos && emit_fraction(o, (uint32_t)(-nanos)) < 0) return -1;
    } else {
        if (put_u64(o, (uint64_t)sec) < 0) return -1;
        if (nanos && emit_fraction(o, (uint32_t)nanos) < 0) return -1;
    }
    return put(o, "s\"", 2);
}

static int emit_callback(Out *o, Field *f, PyObject *arg) {
    if (!arg) return -1;
    PyObject *res = PyObject_CallOneArg(f->callback, arg);
    Py_DECREF(arg);
    if (!res) { PyErr_Clear(); return -2; } /* the Python path raises it properly */
    if (!PyBytes_Check(res)) { Py_DECREF(res); return -2; }
    int rc = put(o, PyBytes_AS_STRING(res), PyBytes_GET_SIZE(res));
    Py_DECREF(res);
    return rc;
}

/* One value of field f whose wire type is wt, read from r. */
static int emit_value(Out *o, Field *f, int wt, Rd *r, int depth) {
    uint64_t v;
    Rd sub;
    int kind = f->kind;
    int want = kind == K_PY ? f->wire : (kind == K_ENUM ? 0 : wire_of(kind));
    if (wt != want) return -2;
    switch (wt) {
    case 0:
        if (read_varint(r, &v) < 0) return -2;
        if (kind == K_ENUM) return emit_enum(o, f, v);
        if (kind == K_PY) return emit_callback(o, f, PyLong_FromUnsignedLongLong(v));
        return emit_int_kind(o, kind, v);
    case 1:
    case 5:
        if (read_fixed(r, wt == 1 ? 8 : 4, &v) < 0) return -2;
        if (kind == K_PY) return emit_callback(o, f, PyLong_FromUnsignedLongLong(v));
        return emit_int_kind(o, kind, v);
    }
    if (read_len(r, &sub) < 0) return -2;
    switch (kind) {
    case K_STRING: return put_string(o, sub.p, sub.end - sub.p);
    case K_BYTES: return put_base64(o, sub.p, sub.end - sub.p);
    case K_MESSAGE: return emit_message(o, f->sub, sub.p, sub.end, depth + 1);
    case K_TIMESTAMP: return emit_timestamp(o, sub.p, sub.end);
    case K_DURATION: return emit_duration(o, sub.p, sub.end);
    case K_PY:
        return emit_callback(o, f, PyBytes_FromStringAndSize((const char *)sub.p, sub.end - sub.p));
    }
    return -2;
}

/* A value that is absent from a map entry: its type's default. */
static int emit_default(Out *o, Field *f, int depth) {
    static const uint8_t none[1] = {0};
    switch (f->kind) {
    case K_STRING: return put(o, "\"\"", 2);
    case K_BYTES: return put(o, "\"\"", 2);
    case K_ENUM: return emit_enum(o, f, 0);
    case K_MESSAGE: return emit_message(o, f->sub, none, none, depth + 1);
    case K_TIMESTAMP: return emit_timestamp(o, none, none);
    case K_DURATION: return emit_duration(o, none, none);
    case K_PY:
        if (f->wire == 2) return emit_callback(o, f, PyBytes_FromStringAndSize("", 0));
        return emit_callback(o, f, PyLong_FromLong(0));
    }
    return emit_int_kind(o, f->kind, 0);
}

static int emit_map_key(Out *o, Field *k, int wt, Rd *r) {
    uint64_t v;
    Rd sub;
    if (k->kind == K_STRING) {
        if (wt != 2 || read_len(r, &sub) < 0) return -2;
        return put_string(o, sub.p, sub.end - sub.p);
    }
    int want = wire_of(k->kind);
    if (wt != want) return -2;
    if ((wt == 0 ? read_varint(r, &v) : read_fixed(r, wt == 1 ? 8 : 4, &v)) < 0) return -2;
    if (k->kind == K_BOOL) return v ? put(o, "\"true\"", 6) : put(o, "\"false\"", 7);
    if (putc1(o, '"') < 0) return -1;
    Out tmp = {0};
    int rc = emit_int_kind(&tmp, k->kind, v);
    if (rc == 0) {
        /* 64-bit kinds already come quoted */
        const char *s = tmp.buf;
        Py_ssize_t n = tmp.len;
        if (n && s[0] == '"') { s++; n -= 2; }
        rc = put(o, s, n);
    }
    PyMem_Free(tmp.buf);
    if (rc < 0) return rc;
    return putc1(o, '"');
}

static int emit_map_entry(Out *o, Field *f, const uint8_t *p, const uint8_t *end, int depth) {
    Rd r = {p, end};
    Rd key = {0}, val = {0};
    int kwt = -1, vwt = -1;
    while (r.p < r.end) {
        uint64_t tag;
        if (read_varint(&r, &tag) < 0) return -2;
        uint32_t num = (uint32_t)(tag >> 3);
        int wt = (int)(tag & 7);
        const uint8_t *start = r.p;
        if (num == 0 || skip_field(&r, wt) < 0) return -2;
        if (num == 1) { if (kwt >= 0) return -2; kwt = wt; key.p = start; key.end = r.p; }
        else if (num == 2) { if (vwt >= 0) return -2; vwt = wt; val.p = start; val.end = r.p; }
    }
    int rc;
    if (kwt < 0) {
        Field *k = f->map_key;
        rc = k->kind == K_STRING ? put(o, "\"\"", 2)
           : k->kind == K_BOOL ? put(o, "\"false\"", 7) : put(o, "\"0\"", 3);
    } else {
        rc = emit_map_key(o, f->map_key, kwt, &key);
    }
    if (rc < 0) return rc;
    if (putc1(o, ':') < 0) return -1;
    if (vwt < 0) return emit_default(o, f->map_value, depth);
    return emit_value(o, f->map_value, vwt, &val, depth);
}

/* The consecutive entries of one map field, last first: upb writes a map's entries in
 * the reverse of the order it iterates them in, and the JSON follows iteration. */
static int emit_map(Out *o, Field *f, uint64_t tag, Rd *r, int depth) {
    const uint8_t *stack_spans[2 * 16];
    const uint8_t **spans = stack_spans;
    Py_ssize_t n = 0, cap = 16;
    int rc = 0;
    for (;;) {
        Rd sub;
        if (read_len(r, &sub) < 0) { rc = -2; break; }
        if (n == cap) {
            const uint8_t **bigger = PyMem_Malloc(sizeof(*spans) * 4 * cap);
            if (!bigger) { PyErr_NoMemory(); rc = -1; break; }
            memcpy(bigger, spans, sizeof(*spans) * 2 * n);
            if (spans != stack_spans) PyMem_Free(spans);
            spans = bigger;
            cap *= 2;
        }
        spans[2 * n] = sub.p;
        spans[2 * n + 1] = sub.end;
        n++;
        /* the next tag: the same map again? */
        Rd peek = *r;
        uint64_t next;
        if (peek.p >= peek.end || read_varint(&peek, &next) < 0 || next != tag) break;
        *r = peek;
    }
    if (rc == 0 && (rc = putc1(o, '{')) == 0) {
        for (Py_ssize_t i = n - 1; i >= 0; i--) {
            if (i != n - 1 && (rc = putc1(o, ',')) < 0) break;
            if ((rc = emit_map_entry(o, f, spans[2 * i], spans[2 * i + 1], depth)) < 0) break;
        }
        if (rc == 0) rc = putc1(o, '}');
    }
    if (spans != stack_spans) PyMem_Free(spans);
    return rc;
}

static int is_packable(Field *f) {
    int w = f->kind == K_PY ? f->wire : (f->kind == K_ENUM ? 0 : wire_of(f->kind));
    return w != 2;
}

static inline Field *lookup(Plan *plan, uint32_t num) {
    if (num < plan->dense_len) {
        int32_t i = plan->dense[num];
        return i < 0 ? NULL : &plan->fields[i];
    }
    for (Py_ssize_t i = 0; i < plan->n; i++)
        if (plan->fields[i].number == num) return &plan->fields[i];
    return NULL;
}

static int emit_message(Out *o, Plan *plan, const uint8_t *p, const uint8_t *end, int depth) {
    if (depth > MAX_DEPTH || !plan->ready) return -2;
    Rd r = {p, end};
    uint32_t last = 0;
    Field *open = NULL;        /* the repeated field whose array is open */
    uint64_t oneofs = 0;       /* real oneofs seen (up to 64; more falls back) */
    int first = 1, rc;
    PyObject *unwrap = plan->unwrap;
    if (!unwrap && putc1(o, '{') < 0) return -1;
    while (r.p < r.end) {
        uint64_t tag;
        if (read_varint(&r, &tag) < 0) return -2;
        uint32_t num = (uint32_t)(tag >> 3);
        int wt = (int)(tag & 7);
        if (num == 0) return -2;
        Field *f = lookup(plan, num);
        if (!f) { /* unknown fields are not printed */
            if (skip_field(&r, wt) < 0) return -2;
            continue;
        }
        if (f == open) {
            if (wt == 2 && is_packable(f)) return -2; /* a second packed run: rare, Python */
            if (putc1(o, ',') < 0) return -1;
            if ((rc = emit_value(o, f, wt, &r, depth)) < 0) return rc;
            continue;
        }
        if (num <= last) return -2; /* out of order or repeated: Python decides */
        if (open && putc1(o, ']') < 0) return -1;
        open = NULL;
        last = num;
        if (unwrap) {
            if (!first) return -2; /* a second member: Python decides */
        } else {
            if (!first && putc1(o, ',') < 0) return -1;
            if (put(o, f->key, f->key_len) < 0) return -1;
        }
        first = 0;
        if (f->oneof >= 0) {
            if (f->oneof >= 64 || (oneofs >> f->oneof) & 1) return -2;
            oneofs |= 1ull << f->oneof;
        }
        if (f->kind == K_MAP) {
            if (wt != 2) return -2;
            if ((rc = emit_map(o, f, tag, &r, depth)) < 0) return rc;
            continue;
        }
        if (!f->repeated) {
            if ((rc = emit_value(o, f, wt, &r, depth)) < 0) return rc;
            continue;
        }
        if (putc1(o, '[') < 0) return -1;
        if (wt == 2 && is_packable(f)) {
            Rd packed;
            if (read_len(&r, &packed) < 0) return -2;
            int ewt = f->kind == K_PY ? f->wire : (f->kind == K_ENUM ? 0 : wire_of(f->kind));
            int n = 0;
            while (packed.p < packed.end) {
                if (n++ && putc1(o, ',') < 0) return -1;
                if ((rc = emit_value(o, f, ewt, &packed, depth)) < 0) return rc;
            }
            if (putc1(o, ']') < 0) return -1;
            continue;
        }
        if ((rc = emit_value(o, f, wt, &r, depth)) < 0) return rc;
        open = f;
    }
    if (open && putc1(o, ']') < 0) return -1;
    if (unwrap)
        return first ? put(o, PyBytes_AS_STRING(unwrap), PyBytes_GET_SIZE(unwrap)) : 0;
    return putc1(o, '}');
}

/* ---- the Plan type ------------------------------------------------------------------ */

static void field_clear(Field *f) {
    Py_CLEAR(f->key_obj);
    Py_CLEAR(f->enum_names);
    Py_CLEAR(f->callback);
    Py_CLEAR(f->sub);
    if (f->map_key) { field_clear(f->map_key); PyMem_Free(f->map_key); f->map_key = NULL; }
    if (f->map_value) { field_clear(f->map_value); PyMem_Free(f->map_value); f->map_value = NULL; }
}

static int field_traverse(Field *f, visitproc visit, void *arg) {
    Py_VISIT(f->callback);
    Py_VISIT((PyObject *)f->sub);
    if (f->map_value) return field_traverse(f->map_value, visit, arg);
    return 0;
}

static PyTypeObject PlanType;

/* (number, kind, repeated, oneof, key_bytes, extra); extra: enum dict, Plan, (wire, callable),
 * or for maps ((key spec), (value spec)). */
static int field_init(Field *f, PyObject *spec) {
    memset(f, 0, sizeof(*f));
    f->oneof = -1;
    PyObject *key, *extra;
    unsigned long number;
    if (!PyArg_ParseTuple(spec, "kiiiSO", &number, &f->kind, &f->repeated, &f->oneof, &key, &extra))
        return -1;
    f->number = (uint32_t)number;
    Py_INCREF(key);
    f->key_obj = key;
    f->key = PyBytes_AS_STRING(key);
    f->key_len = PyBytes_GET_SIZE(key);
    switch (f->kind) {
    case K_ENUM:
        if (!PyDict_Check(extra)) goto bad;
        Py_INCREF(extra);
        f->enum_names = extra;
        break;
    case K_MESSAGE:
        if (!PyObject_TypeCheck(extra, &PlanType)) goto bad;
        Py_INCREF(extra);
        f->sub = (Plan *)extra;
        break;
    case K_PY: {
        PyObject *cb;
        if (!PyArg_ParseTuple(extra, "iO", &f->wire, &cb)) return -1;
        Py_INCREF(cb);
        f->callback = cb;
        break;
    }
    case K_MAP: {
        PyObject *ks, *vs;
        if (!PyArg_ParseTuple(extra, "OO", &ks, &vs)) return -1;
        f->map_key = PyMem_Calloc(1, sizeof(Field));
        f->map_value = PyMem_Calloc(1, sizeof(Field));
        if (!f->map_key || !f->map_value) { PyErr_NoMemory(); return -1; }
        if (field_init(f->map_key, ks) < 0 || field_init(f->map_value, vs) < 0) return -1;
        break;
    }
    default:
        if (f->kind < K_INT32 || f->kind > K_MAP) goto bad;
    }
    return 0;
bad:
    PyErr_SetString(PyExc_TypeError, "bad field spec");
    return -1;
}

static void plan_release(Plan *self) {
    for (Py_ssize_t i = 0; i < self->n; i++) field_clear(&self->fields[i]);
    PyMem_Free(self->fields);
    PyMem_Free(self->dense);
    self->fields = NULL;
    self->dense = NULL;
    self->n = 0;
    self->dense_len = 0;
    self->ready = 0;
    Py_CLEAR(self->unwrap);
}

static PyObject *plan_setup(Plan *self, PyObject *args) {
    PyObject *specs, *unwrap = Py_None;
    if (!PyArg_ParseTuple(args, "O!|O", &PyTuple_Type, &specs, &unwrap)) return NULL;
    if (unwrap != Py_None && !PyBytes_Check(unwrap)) {
        PyErr_SetString(PyExc_TypeError, "the unwrapped default must be bytes");
        return NULL;
    }
    plan_release(self);
    if (unwrap != Py_None) {
        Py_INCREF(unwrap);
        self->unwrap = unwrap;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(specs);
    self->fields = PyMem_Calloc(n ? n : 1, sizeof(Field));
    if (!self->fields) return PyErr_NoMemory();
    uint32_t max = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        self->n = i + 1;
        if (field_init(&self->fields[i], PyTuple_GET_ITEM(specs, i)) < 0) { plan_release(self); return NULL; }
        if (self->fields[i].number > max) max = self->fields[i].number;
    }
    if (max < MAX_DENSE) {
        self->dense_len = max + 1;
        self->dense = PyMem_Malloc(sizeof(int32_t) * self->dense_len);
        if (!self->dense) { plan_release(self); return PyErr_NoMemory(); }
        for (uint32_t i = 0; i < self->dense_len; i++) self->dense[i] = -1;
        for (Py_ssize_t i = 0; i < n; i++) self->dense[self->fields[i].number] = (int32_t)i;
    }
    self->ready = 1;
    Py_RETURN_NONE;
}

static PyObject *plan_encode(Plan *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    Out o = {0};
    const uint8_t *p = view.buf;
    int rc = emit_message(&o, self, p, p + view.len, 0);
    PyBuffer_Release(&view);
    PyObject *res;
    if (rc == -1) res = NULL;
    else if (rc < 0) { res = Py_None; Py_INCREF(res); }
    else res = PyBytes_FromStringAndSize(o.buf, o.len);
    PyMem_Free(o.buf);
    return res;
}

static int plan_traverse(Plan *self, visitproc visit, void *arg) {
    for (Py_ssize_t i = 0; i < self->n; i++) {
        int rc = field_traverse(&self->fields[i], visit, arg);
        if (rc) return rc;
    }
    return 0;
}

static int plan_clear(Plan *self) {
    plan_release(self);
    return 0;
}

static void plan_dealloc(Plan *self) {
    PyObject_GC_UnTrack(self);
    plan_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef plan_methods[] = {
    {"setup", (PyCFunction)plan_setup, METH_VARARGS,
     "setup(specs, unwrap=None): the message's fields, as (number, kind, repeated, oneof,"
     " key, extra); with unwrap (bytes) the message prints as its one present field, or"
     " as unwrap when none is."},
    {"encode", (PyCFunction)plan_encode, METH_O,
     "encode(wire_bytes) -> JSON bytes, or None when the Python encoder must do it."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "runyard.gateway._jsonwire.Plan",
    .tp_basicsize = sizeof(Plan),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "How to print one message type's wire bytes as JSON.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)plan_dealloc,
    .tp_traverse = (traverseproc)plan_traverse,
    .tp_clear = (inquiry)plan_clear,
    .tp_methods = plan_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_jsonwire",
    "Protobuf wire bytes to proto3 JSON (see runyard.gateway.jsoncodec_encode_wire).", -1, NULL,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__jsonwire(void) {
    if (PyType_Ready(&PlanType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&PlanType);
    if (PyModule_AddObject(m, "Plan", (PyObject *)&PlanType) < 0) {
        Py_DECREF(&PlanType);
        Py_DECREF(m);
        return NULL;
    }
    static const struct { const char *name; int value; } kinds[] = {
        {"INT32", K_INT32}, {"INT64", K_INT64}, {"UINT32", K_UINT32}, {"UINT64", K_UINT64},
        {"SINT32", K_SINT32}, {"SINT64", K_SINT64}, {"FIXED32", K_FIXED32}, {"FIXED64", K_FIXED64},
        {"SFIXED32", K_SFIXED32}, {"SFIXED64", K_SFIXED64}, {"BOOL", K_BOOL}, {"STRING", K_STRING},
        {"BYTES", K_BYTES}, {"ENUM", K_ENUM}, {"NULL", K_NULL}, {"MESSAGE", K_MESSAGE},
        {"TIMESTAMP", K_TIMESTAMP}, {"DURATION", K_DURATION}, {"PY", K_PY}, {"MAP", K_MAP},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (PyModule_AddIntConstant(m, kinds[i].name, kinds[i].value) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
