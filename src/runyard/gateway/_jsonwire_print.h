/* Part of _jsonwire.c: the plans' structures and the printing of values, maps and messages. */
#ifndef RUNYARD_JSONWIRE_PRINT_H
#define RUNYARD_JSONWIRE_PRINT_H

#include "_jsonwire_out.h"

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
    int closed;           /* K_ENUM: a closed enum (Python reads unknown numbers as unset) */
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
    if (f->closed) return -2; /* kept as an unknown field: not printed by Python */
    return put_i64(o, n); /* unknown numbers of open enums print as numbers */
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


#endif /* RUNYARD_JSONWIRE_PRINT_H */
