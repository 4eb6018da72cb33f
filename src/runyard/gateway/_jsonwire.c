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

#include "_jsonwire_print.h"

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

/* (number, kind, repeated, oneof, key_bytes, extra); extra: (enum dict, closed), Plan, (wire, callable),
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
    case K_ENUM: {
        PyObject *names;
        /* (names, closed): a closed (proto2) enum keeps unknown numbers out of the field */
        if (!PyArg_ParseTuple(extra, "O!i", &PyDict_Type, &names, &f->closed)) return -1;
        Py_INCREF(names);
        f->enum_names = names;
        break;
    }
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
