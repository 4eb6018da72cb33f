/* Part of _jsonwire.c: the output buffer, JSON text of numbers, strings, bytes,
 * Timestamps and Durations as json_format and orjson write them, and wire reading. */
#ifndef RUNYARD_JSONWIRE_OUT_H
#define RUNYARD_JSONWIRE_OUT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

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

/* ".123", ".123456" or ".123456789": the fewest groups of three digits (nanos > 0). */
static int emit_fraction(Out *o, uint32_t nanos) {
    int width = 9;
    if (nanos % 1000000 == 0) { nanos /= 1000000; width = 3; }
    else if (nanos % 1000 == 0) { nanos /= 1000; width = 6; }
    char b[10];
    b[0] = '.';
    for (int i = width; i > 0; i--) { b[i] = (char)('0' + nanos % 10); nanos /= 10; }
    return put(o, b, width + 1);
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
    uint32_t rem = (uint32_t)(sec - days * 86400);
    /* The runs of a page share few days: the last day's date is kept (under the GIL). */
    static int64_t last_days = INT64_MIN;
    static char last_date[10];
    char b[20];
    b[0] = '"';
    if (days != last_days) {
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
        char *t = last_date;
        t[0] = (char)('0' + y / 1000); t[1] = (char)('0' + y / 100 % 10);
        t[2] = (char)('0' + y / 10 % 10); t[3] = (char)('0' + y % 10);
        t[4] = '-'; t[5] = (char)('0' + m / 10); t[6] = (char)('0' + m % 10);
        t[7] = '-'; t[8] = (char)('0' + d / 10); t[9] = (char)('0' + d % 10);
        last_days = days;
    }
    memcpy(b + 1, last_date, 10);
    uint32_t hh = rem / 3600, mm = rem / 60 % 60, ss = rem % 60;
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


#endif /* RUNYARD_JSONWIRE_OUT_H */
