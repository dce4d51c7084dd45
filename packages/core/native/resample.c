/*
 * The two inner loops of Pillow's 8-bit resample (libImaging/Resample.c, ImagingResampleHorizontal_8bpc
 * and ImagingResampleVertical_8bpc) for interleaved RGB, as a Node-API addon. The coefficients come
 * from src/image/resample.ts (computed there exactly as Pillow does); this file only accumulates, in
 * int32 with Pillow's rounding and clipping, so its bytes equal the TypeScript loops' bytes.
 * Built by scripts/setup.sh (cc, Node's own headers; nothing downloaded). Without it the TypeScript
 * loops run.
 */
#include <node_api.h>
#include <stdint.h>
#include <stddef.h>

#define PRECISION_BITS (32 - 8 - 2)
#define FIXED_HALF (1 << (PRECISION_BITS - 1))

static inline uint8_t clip8(int32_t sum) {
  int32_t value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : (uint8_t)value;
}

typedef struct {
  void *data;
  size_t length; /* elements */
} typed_view;

static int get_typed(napi_env env, napi_value value, napi_typedarray_type want, typed_view *out) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, &out->length, &out->data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

static int get_int(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

/* resampleRows(input: Uint8Array, inWidth, firstRow, rowCount, bounds: Int32Array, weights: Int32Array, taps, outWidth, out: Uint8Array) */
static napi_value resample_rows(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view input, bounds, weights, out;
  int32_t in_width, first_row, row_count, taps, out_width;
  if (argc != 9 || !get_typed(env, argv[0], napi_uint8_array, &input) || !get_int(env, argv[1], &in_width) ||
      !get_int(env, argv[2], &first_row) || !get_int(env, argv[3], &row_count) || !get_typed(env, argv[4], napi_int32_array, &bounds) ||
      !get_typed(env, argv[5], napi_int32_array, &weights) || !get_int(env, argv[6], &taps) || !get_int(env, argv[7], &out_width) ||
      !get_typed(env, argv[8], napi_uint8_array, &out)) {
    napi_throw_type_error(env, NULL, "resampleRows: bad arguments");
    return NULL;
  }
  if (in_width < 1 || first_row < 0 || row_count < 0 || out_width < 1 || taps < 1 ||
      (size_t)(first_row + row_count) * (size_t)in_width * 3 > input.length || (size_t)row_count * (size_t)out_width * 3 > out.length ||
      bounds.length < (size_t)out_width * 2 || weights.length < (size_t)out_width * (size_t)taps) {
    napi_throw_range_error(env, NULL, "resampleRows: sizes do not match");
    return NULL;
  }
  const int32_t *b = bounds.data;
  for (int32_t x = 0; x < out_width; x++) {
    if (b[x * 2] < 0 || b[x * 2 + 1] < 0 || b[x * 2 + 1] > taps || b[x * 2] + b[x * 2 + 1] > in_width) {
      napi_throw_range_error(env, NULL, "resampleRows: a window lies outside the row");
      return NULL;
    }
  }
  const uint8_t *in = input.data;
  const int32_t *w = weights.data;
  uint8_t *o = out.data;
  const size_t stride = (size_t)in_width * 3;
  for (int32_t row = 0; row < row_count; row++) {
    const uint8_t *line = in + (size_t)(first_row + row) * stride;
    for (int32_t x = 0; x < out_width; x++) {
      const uint8_t *p = line + (size_t)b[x * 2] * 3;
      const int32_t *k = w + (size_t)x * taps;
      const int32_t used = b[x * 2 + 1];
      int32_t r = FIXED_HALF, g = FIXED_HALF, bl = FIXED_HALF;
      for (int32_t t = 0; t < used; t++, p += 3) {
        r += p[0] * k[t];
        g += p[1] * k[t];
        bl += p[2] * k[t];
      }
      *o++ = clip8(r);
      *o++ = clip8(g);
      *o++ = clip8(bl);
    }
  }
  return NULL;
}

/* resampleColumns(input: Uint8Array, width, inRows, bounds: Int32Array, weights: Int32Array, taps, outHeight, out: Uint8Array); bounds relative to input's first row */
static napi_value resample_columns(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view input, bounds, weights, out;
  int32_t width, in_rows, taps, out_height;
  if (argc != 8 || !get_typed(env, argv[0], napi_uint8_array, &input) || !get_int(env, argv[1], &width) || !get_int(env, argv[2], &in_rows) ||
      !get_typed(env, argv[3], napi_int32_array, &bounds) || !get_typed(env, argv[4], napi_int32_array, &weights) || !get_int(env, argv[5], &taps) ||
      !get_int(env, argv[6], &out_height) || !get_typed(env, argv[7], napi_uint8_array, &out)) {
    napi_throw_type_error(env, NULL, "resampleColumns: bad arguments");
    return NULL;
  }
  const size_t stride = (size_t)width * 3;
  if (width < 1 || in_rows < 0 || taps < 1 || out_height < 0 || (size_t)in_rows * stride > input.length ||
      (size_t)out_height * stride > out.length || bounds.length < (size_t)out_height * 2 || weights.length < (size_t)out_height * (size_t)taps) {
    napi_throw_range_error(env, NULL, "resampleColumns: sizes do not match");
    return NULL;
  }
  const int32_t *b = bounds.data;
  for (int32_t y = 0; y < out_height; y++) {
    if (b[y * 2] < 0 || b[y * 2 + 1] < 0 || b[y * 2 + 1] > taps || b[y * 2] + b[y * 2 + 1] > in_rows) {
      napi_throw_range_error(env, NULL, "resampleColumns: a window lies outside the image");
      return NULL;
    }
  }
  const uint8_t *in = input.data;
  const int32_t *w = weights.data;
  uint8_t *o = out.data;
  for (int32_t y = 0; y < out_height; y++) {
    const int32_t *k = w + (size_t)y * taps;
    const int32_t used = b[y * 2 + 1];
    const uint8_t *first = in + (size_t)b[y * 2] * stride;
    for (size_t c = 0; c < stride; c++) {
      int32_t sum = FIXED_HALF;
      const uint8_t *p = first + c;
      for (int32_t t = 0; t < used; t++, p += stride) sum += *p * k[t];
      *o++ = clip8(sum);
    }
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"resampleRows", NULL, resample_rows, NULL, NULL, NULL, napi_default, NULL},
    {"resampleColumns", NULL, resample_columns, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
