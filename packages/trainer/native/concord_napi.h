// Argument helpers shared by the addon's N-API functions (concord_kernels.c, concord_train.c). Every array
// argument is a Float32Array or Int32Array view on the WASM heap; a wrong type or length throws the
// function's usage string.
#ifndef CONCORD_NAPI_H
#define CONCORD_NAPI_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "concord_kernels: bad arguments");           \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

// A typed array of the wanted type: its data and length (in elements); 0 for anything else.
static inline int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == want;
}

static inline int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  return get_typed(env, v, napi_float32_array, (void **)data, len);
}

static inline int get_i32(napi_env env, napi_value v, int32_t **data, size_t *len) {
  return get_typed(env, v, napi_int32_array, (void **)data, len);
}

// A Float32Array, or null/undefined (*data = NULL, *len = 0).
static inline int get_f32_or_null(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  return get_f32(env, v, data, len);
}

// One exported function of the addon's property list.
#define NAPI_FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

// The N-API functions concord_train.c defines, for the addon's property list.
void concord_train_properties(napi_property_descriptor **props, size_t *count);

#endif
