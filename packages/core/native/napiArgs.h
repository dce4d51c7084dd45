/* Argument readers shared by the Node-API addons in this folder (included, not compiled on its own). */
#ifndef SIS_NAPI_ARGS_H
#define SIS_NAPI_ARGS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  void *data;
  size_t length; /* elements */
} typed_view;

/* A typed array of the wanted element type: its data and length (no copy). */
static inline int get_typed(napi_env env, napi_value value, napi_typedarray_type want, typed_view *out) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &out->length, &out->data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

static inline int get_int(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}
#endif
