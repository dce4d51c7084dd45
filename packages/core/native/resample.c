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

#include "napiArgs.h"

#define PRECISION_BITS (32 - 8 - 2)
#define FIXED_HALF (1 << (PRECISION_BITS - 1))

static inline uint8_t clip8(int32_t sum) {
  int32_t value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : (uint8_t)value;
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


/*
 * The fused path of toClipPixelValues: horizontal pass, vertical pass and normalisation in one call,
 * writing float32 channel-first straight into the caller's array (a batch slot when the caller has
 * one). Same integer arithmetic as the loops above (and Pillow's), so the same bytes before the
 * table lookup that turns each byte into its normalised float.
 *
 * Loop shapes are chosen for the vectoriser: the vertical pass accumulates whole rows (contiguous,
 * uint8 x int32) and is compiled twice with target_clones (AVX2 and the x86-64 baseline, picked when the
 * addon loads); the horizontal pass takes one RGBx pixel per SSE4.1 vector where the CPU has SSE4.1
 * (checked at run time), else plain C. No -march=native: the addon built here runs on any x86-64, and
 * other architectures get the plain C.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define MULTI_TARGET __attribute__((target_clones("avx2", "default")))
#else
#define MULTI_TARGET
#endif

/*
 * Horizontal pass: rows [first_row, first_row + row_count) of `in` (in_rows rows) -> row_count x out_width RGB bytes.
 * `pixel_taps` accumulates one output pixel; the SSE4.1 one treats each source pixel as an RGBx vector
 * (a 4-byte load: it reads the next pixel's first byte, so it is not used for the buffer's last pixel).
 */
static inline void pixel_taps_scalar(const uint8_t *p, const int32_t *k, int32_t used, int32_t *rgb) {
  int32_t r = FIXED_HALF, g = FIXED_HALF, b = FIXED_HALF;
  for (int32_t t = 0; t < used; t++, p += 3) {
    r += p[0] * k[t];
    g += p[1] * k[t];
    b += p[2] * k[t];
  }
  rgb[0] = r;
  rgb[1] = g;
  rgb[2] = b;
}

static void horizontal_pass_scalar(const uint8_t *in, int32_t in_width, int32_t first_row, int32_t row_count, const int32_t *bounds,
                                   const int32_t *weights, int32_t taps, int32_t out_width, uint8_t *out) {
  const size_t stride = (size_t)in_width * 3;
  int32_t sums[3];
  for (int32_t row = 0; row < row_count; row++) {
    const uint8_t *line = in + (size_t)(first_row + row) * stride;
    for (int32_t x = 0; x < out_width; x++) {
      pixel_taps_scalar(line + (size_t)bounds[x * 2] * 3, weights + (size_t)x * taps, bounds[x * 2 + 1], sums);
      *out++ = clip8(sums[0]);
      *out++ = clip8(sums[1]);
      *out++ = clip8(sums[2]);
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SSE41_PASS 1
__attribute__((target("sse4.1"))) static void horizontal_pass_sse41(const uint8_t *in, int32_t in_width, int32_t in_rows, int32_t first_row,
                                                                     int32_t row_count, const int32_t *bounds, const int32_t *weights, int32_t taps,
                                                                     int32_t out_width, uint8_t *out) {
  const size_t stride = (size_t)in_width * 3;
  int32_t sums[4];
  for (int32_t row = 0; row < row_count; row++) {
    const uint8_t *line = in + (size_t)(first_row + row) * stride;
    const int last_row = first_row + row == in_rows - 1;
    for (int32_t x = 0; x < out_width; x++) {
      const uint8_t *p = line + (size_t)bounds[x * 2] * 3;
      const int32_t *k = weights + (size_t)x * taps;
      const int32_t used = bounds[x * 2 + 1];
      if (last_row && bounds[x * 2] + used == in_width) {
        pixel_taps_scalar(p, k, used, sums);
      } else {
        __m128i acc = _mm_set1_epi32(FIXED_HALF);
        for (int32_t t = 0; t < used; t++, p += 3) {
          int32_t four;
          memcpy(&four, p, 4);
          const __m128i pixel = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(four));
          acc = _mm_add_epi32(acc, _mm_mullo_epi32(pixel, _mm_set1_epi32(k[t])));
        }
        _mm_storeu_si128((__m128i *)sums, acc);
      }
      *out++ = clip8(sums[0]);
      *out++ = clip8(sums[1]);
      *out++ = clip8(sums[2]);
    }
  }
}
#endif

static void horizontal_pass(const uint8_t *in, int32_t in_width, int32_t in_rows, int32_t first_row, int32_t row_count, const int32_t *bounds,
                            const int32_t *weights, int32_t taps, int32_t out_width, uint8_t *out) {
#ifdef HAVE_SSE41_PASS
  if (__builtin_cpu_supports("sse4.1")) {
    horizontal_pass_sse41(in, in_width, in_rows, first_row, row_count, bounds, weights, taps, out_width, out);
    return;
  }
#endif
  (void)in_rows;
  horizontal_pass_scalar(in, in_width, first_row, row_count, bounds, weights, taps, out_width, out);
}

/* RGB bytes of one output row -> the three planes of `dest` through the per-channel tables. */
static inline void row_to_planes(const uint8_t *rgb, int32_t width, const float *tables, float *r, float *g, float *b) {
  for (int32_t x = 0; x < width; x++, rgb += 3) {
    r[x] = tables[rgb[0]];
    g[x] = tables[256 + rgb[1]];
    b[x] = tables[512 + rgb[2]];
  }
}

/* Vertical pass over `src` (rows of `width` RGB pixels, `src_stride` bytes apart) into planes; bounds relative to src's first row. */
MULTI_TARGET
static void vertical_pass_to_planes(const uint8_t *src, size_t src_stride, int32_t width, const int32_t *bounds, const int32_t *weights, int32_t taps,
                                    int32_t out_height, int32_t *sums, uint8_t *row_bytes, const float *tables, float *dest, size_t row_stride,
                                    size_t plane) {
  const size_t count = (size_t)width * 3;
  for (int32_t y = 0; y < out_height; y++) {
    const int32_t *k = weights + (size_t)y * taps;
    const int32_t used = bounds[y * 2 + 1];
    const uint8_t *line = src + (size_t)bounds[y * 2] * src_stride;
    for (size_t c = 0; c < count; c++) sums[c] = FIXED_HALF;
    for (int32_t t = 0; t < used; t++, line += src_stride) {
      const int32_t w = k[t];
      for (size_t c = 0; c < count; c++) sums[c] += line[c] * w;
    }
    for (size_t c = 0; c < count; c++) row_bytes[c] = clip8(sums[c]);
    float *r = dest + (size_t)y * row_stride;
    row_to_planes(row_bytes, width, tables, r, r + plane, r + 2 * plane);
  }
}

static int get_optional_int32s(napi_env env, napi_value value, typed_view *out) {
  napi_valuetype kind;
  if (napi_typeof(env, value, &kind) != napi_ok) return 0;
  if (kind == napi_null || kind == napi_undefined) {
    out->data = NULL;
    out->length = 0;
    return 1;
  }
  return get_typed(env, value, napi_int32_array, out);
}

static int windows_fit(const int32_t *bounds, int32_t count, int32_t taps, int32_t size) {
  for (int32_t i = 0; i < count; i++) {
    if (bounds[i * 2] < 0 || bounds[i * 2 + 1] < 1 || bounds[i * 2 + 1] > taps || bounds[i * 2] + bounds[i * 2 + 1] > size) return 0;
  }
  return 1;
}

/*
 * resampleToPlanes(input: Uint8Array, inWidth, hBounds: Int32Array | null, hWeights: Int32Array | null, hTaps, left,
 *                  firstRow, rowCount, vBounds: Int32Array | null, vWeights: Int32Array | null, vTaps, outWidth, outHeight,
 *                  tables: Float32Array(768), dest: Float32Array, destOffset, destRowStride, destPlaneStride)
 * hBounds null: no horizontal pass, source columns [left, left + outWidth). vBounds null: no vertical pass
 * (rowCount == outHeight); else its bounds are relative to firstRow. Output pixel (x, y) of channel c goes
 * to dest[destOffset + c * destPlaneStride + y * destRowStride + x].
 */
static napi_value resample_to_planes(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view input, h_bounds, h_weights, v_bounds, v_weights, tables, dest;
  int32_t in_width, h_taps, left, first_row, row_count, v_taps, out_width, out_height, dest_offset, row_stride, plane;
  if (argc != 18 || !get_typed(env, argv[0], napi_uint8_array, &input) || !get_int(env, argv[1], &in_width) ||
      !get_optional_int32s(env, argv[2], &h_bounds) || !get_optional_int32s(env, argv[3], &h_weights) || !get_int(env, argv[4], &h_taps) ||
      !get_int(env, argv[5], &left) || !get_int(env, argv[6], &first_row) || !get_int(env, argv[7], &row_count) ||
      !get_optional_int32s(env, argv[8], &v_bounds) || !get_optional_int32s(env, argv[9], &v_weights) || !get_int(env, argv[10], &v_taps) ||
      !get_int(env, argv[11], &out_width) || !get_int(env, argv[12], &out_height) || !get_typed(env, argv[13], napi_float32_array, &tables) ||
      !get_typed(env, argv[14], napi_float32_array, &dest) || !get_int(env, argv[15], &dest_offset) || !get_int(env, argv[16], &row_stride) ||
      !get_int(env, argv[17], &plane)) {
    napi_throw_type_error(env, NULL, "resampleToPlanes: bad arguments");
    return NULL;
  }
  const int horizontal = h_bounds.data != NULL;
  const int vertical = v_bounds.data != NULL;
  const size_t in_stride = (size_t)in_width * 3;
  const int32_t in_rows = in_width > 0 ? (int32_t)(input.length / in_stride) : 0;
  if (in_width < 1 || out_width < 1 || out_height < 1 || first_row < 0 || row_count < 1 || first_row + row_count > in_rows ||
      input.length != (size_t)in_rows * in_stride || tables.length != 768 || dest_offset < 0 || row_stride < out_width || plane < 0 ||
      (size_t)dest_offset + 2 * (size_t)plane + (size_t)(out_height - 1) * (size_t)row_stride + (size_t)out_width > dest.length ||
      (horizontal && (h_weights.data == NULL || h_taps < 1 || h_bounds.length < (size_t)out_width * 2 ||
                      h_weights.length < (size_t)out_width * (size_t)h_taps || !windows_fit(h_bounds.data, out_width, h_taps, in_width))) ||
      (!horizontal && (left < 0 || left + out_width > in_width)) ||
      (vertical && (v_weights.data == NULL || v_taps < 1 || v_bounds.length < (size_t)out_height * 2 ||
                    v_weights.length < (size_t)out_height * (size_t)v_taps || !windows_fit(v_bounds.data, out_height, v_taps, row_count))) ||
      (!vertical && row_count != out_height)) {
    napi_throw_range_error(env, NULL, "resampleToPlanes: sizes do not match");
    return NULL;
  }
  const size_t row_bytes = (size_t)out_width * 3;
  uint8_t *rows = horizontal ? malloc((size_t)row_count * row_bytes) : NULL;
  int32_t *sums = vertical ? malloc(row_bytes * sizeof(int32_t)) : NULL;
  uint8_t *scratch = vertical ? malloc(row_bytes) : NULL;
  if ((horizontal && !rows) || (vertical && (!sums || !scratch))) {
    free(rows);
    free(sums);
    free(scratch);
    napi_throw_error(env, NULL, "resampleToPlanes: out of memory");
    return NULL;
  }
  const uint8_t *src = input.data;
  size_t src_stride = in_stride;
  if (horizontal) {
    horizontal_pass(input.data, in_width, in_rows, first_row, row_count, h_bounds.data, h_weights.data, h_taps, out_width, rows);
    src = rows;
    src_stride = row_bytes;
  } else {
    src += (size_t)first_row * in_stride + (size_t)left * 3;
  }
  float *out = (float *)dest.data + dest_offset;
  if (vertical) {
    vertical_pass_to_planes(src, src_stride, out_width, v_bounds.data, v_weights.data, v_taps, out_height, sums, scratch, tables.data, out,
                            (size_t)row_stride, (size_t)plane);
  } else {
    for (int32_t y = 0; y < out_height; y++) {
      float *r = out + (size_t)y * row_stride;
      row_to_planes(src + (size_t)y * src_stride, out_width, tables.data, r, r + plane, r + 2 * plane);
    }
  }
  free(rows);
  free(sums);
  free(scratch);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"resampleRows", NULL, resample_rows, NULL, NULL, NULL, napi_default, NULL},
    {"resampleColumns", NULL, resample_columns, NULL, NULL, NULL, napi_default, NULL},
    {"resampleToPlanes", NULL, resample_to_planes, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
