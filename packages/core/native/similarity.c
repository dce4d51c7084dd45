/*
 * Blocked inner products on OpenBLAS's sgemm for the near-duplicates pass (src/search/similarityKernel.ts):
 *
 *   topInner(queries, d, base, top, outIds)            the `top` best base rows of every query row
 *   pairsAtLeast(vectors, d, order, blocks, threshold)  every pair of rows scoring >= threshold between blocks
 *
 * Each product runs in tiles (TILE_A x TILE_B rows), so scratch memory stays a few MiB whatever the sizes.
 * Built by scripts/setup.sh (cc, Node's own headers, the system libopenblas). Without it FAISS flat searches
 * compute the same (slower: FAISS 1.7.3 keeps a k-NN heap per query and copies each block into an index).
 */
#include <cblas.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "napiArgs.h"

#define TILE_A 512
#define TILE_B 2048
#define QUERY_BLOCK 256


static napi_value throw_range(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/* topInner(queries: Float32Array, d, base: Float32Array, top, outIds: Int32Array): ids best first. */
static napi_value top_inner(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view queries, base, out;
  int32_t d, top;
  if (argc != 5 || !get_typed(env, argv[0], napi_float32_array, &queries) || !get_int(env, argv[1], &d) ||
      !get_typed(env, argv[2], napi_float32_array, &base) || !get_int(env, argv[3], &top) || !get_typed(env, argv[4], napi_int32_array, &out)) {
    napi_throw_type_error(env, NULL, "topInner: bad arguments");
    return NULL;
  }
  if (d < 1 || queries.length % (size_t)d != 0 || base.length % (size_t)d != 0) return throw_range(env, "topInner: rows do not match the dimension");
  const size_t nq = queries.length / (size_t)d, nb = base.length / (size_t)d;
  if (top < 1 || (size_t)top > nb || out.length != nq * (size_t)top) return throw_range(env, "topInner: top does not fit");
  float *products = malloc(sizeof(float) * QUERY_BLOCK * nb);
  float *best = malloc(sizeof(float) * (size_t)top);
  if (!products || !best) {
    free(products);
    free(best);
    napi_throw_error(env, NULL, "topInner: out of memory");
    return NULL;
  }
  const float *q = queries.data;
  int32_t *ids = out.data;
  for (size_t start = 0; start < nq; start += QUERY_BLOCK) {
    const size_t rows = nq - start < QUERY_BLOCK ? nq - start : QUERY_BLOCK;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)nb, d, 1.0f, q + start * (size_t)d, d, base.data, d, 0.0f, products, (int)nb);
    for (size_t r = 0; r < rows; r++) {
      const float *row = products + r * nb;
      int32_t *slot = ids + (start + r) * (size_t)top;
      int32_t filled = 0;
      for (size_t j = 0; j < nb; j++) {
        const float score = row[j];
        if (filled == top && score <= best[top - 1]) continue;
        int32_t at = filled < top ? filled++ : top - 1; /* insertion into the sorted list, dropping the worst */
        while (at > 0 && best[at - 1] < score) {
          best[at] = best[at - 1];
          slot[at] = slot[at - 1];
          at--;
        }
        best[at] = score;
        slot[at] = (int32_t)j;
      }
    }
  }
  free(products);
  free(best);
  return NULL;
}

typedef struct {
  int32_t *a, *b;
  float *score;
  size_t count, capacity;
} pair_list;

static int push_pair(pair_list *list, int32_t a, int32_t b, float score) {
  if (list->count == list->capacity) {
    const size_t capacity = list->capacity ? list->capacity * 2 : 4096;
    int32_t *na = realloc(list->a, sizeof(int32_t) * capacity);
    if (na) list->a = na;
    int32_t *nb = realloc(list->b, sizeof(int32_t) * capacity);
    if (nb) list->b = nb;
    float *ns = realloc(list->score, sizeof(float) * capacity);
    if (ns) list->score = ns;
    if (!na || !nb || !ns) return 0;
    list->capacity = capacity;
  }
  if (a > b) {
    const int32_t t = a;
    a = b;
    b = t;
  }
  list->a[list->count] = a;
  list->b[list->count] = b;
  list->score[list->count] = score;
  list->count++;
  return 1;
}

static void gather(const float *vectors, size_t d, const int32_t *rows, size_t count, float *out) {
  for (size_t i = 0; i < count; i++) memcpy(out + i * d, vectors + (size_t)rows[i] * d, sizeof(float) * d);
}

static napi_value typed_copy(napi_env env, napi_typedarray_type type, const void *data, size_t count, size_t element) {
  napi_value buffer, array;
  void *target;
  napi_create_arraybuffer(env, count * element, &target, &buffer);
  if (count > 0) memcpy(target, data, count * element);
  napi_create_typedarray(env, type, count, buffer, 0, &array);
  return array;
}

/*
 * pairsAtLeast(vectors: Float32Array, d, order: Int32Array, blocks: Int32Array, threshold): { a, b, score }.
 * blocks holds (aStart, aCount, bStart, bCount) quadruples of ranges into `order` (rows of `vectors`); a block
 * paired with itself (same range) yields each pair once; a row is never paired with itself. Pairs come as rows, a < b.
 */
static napi_value pairs_at_least(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  typed_view vectors, order, blocks;
  int32_t d;
  double threshold_value;
  if (argc != 5 || !get_typed(env, argv[0], napi_float32_array, &vectors) || !get_int(env, argv[1], &d) ||
      !get_typed(env, argv[2], napi_int32_array, &order) || !get_typed(env, argv[3], napi_int32_array, &blocks) ||
      napi_get_value_double(env, argv[4], &threshold_value) != napi_ok) {
    napi_throw_type_error(env, NULL, "pairsAtLeast: bad arguments");
    return NULL;
  }
  if (d < 1 || vectors.length % (size_t)d != 0 || blocks.length % 4 != 0) return throw_range(env, "pairsAtLeast: sizes do not match");
  const size_t n = vectors.length / (size_t)d;
  const int32_t *ord = order.data, *blk = blocks.data;
  for (size_t i = 0; i < order.length; i++)
    if (ord[i] < 0 || (size_t)ord[i] >= n) return throw_range(env, "pairsAtLeast: a row lies outside the vectors");
  for (size_t k = 0; k < blocks.length; k += 4)
    for (int side = 0; side < 4; side += 2)
      if (blk[k + side] < 0 || blk[k + side + 1] < 0 || (size_t)blk[k + side] + (size_t)blk[k + side + 1] > order.length)
        return throw_range(env, "pairsAtLeast: a block lies outside the order");
  const float threshold = (float)threshold_value;
  float *tile_a = malloc(sizeof(float) * TILE_A * (size_t)d);
  float *tile_b = malloc(sizeof(float) * TILE_B * (size_t)d);
  float *products = malloc(sizeof(float) * TILE_A * TILE_B);
  pair_list list = {0};
  int ok = tile_a && tile_b && products;
  for (size_t k = 0; ok && k < blocks.length; k += 4) {
    const int32_t a_start = blk[k], a_count = blk[k + 1], b_start = blk[k + 2], b_count = blk[k + 3];
    const int same = a_start == b_start && a_count == b_count;
    for (int32_t ta = 0; ok && ta < a_count; ta += TILE_A) {
      const int32_t rows_a = a_count - ta < TILE_A ? a_count - ta : TILE_A;
      gather(vectors.data, (size_t)d, ord + a_start + ta, (size_t)rows_a, tile_a);
      /* Within one block only pairs i < j: tiles of B wholly before this tile of A hold none. */
      for (int32_t tb = same ? ta : 0; ok && tb < b_count; tb += TILE_B) {
        const int32_t rows_b = b_count - tb < TILE_B ? b_count - tb : TILE_B;
        gather(vectors.data, (size_t)d, ord + b_start + tb, (size_t)rows_b, tile_b);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows_a, rows_b, d, 1.0f, tile_a, d, tile_b, d, 0.0f, products, rows_b);
        for (int32_t i = 0; ok && i < rows_a; i++) {
          const float *row = products + (size_t)i * (size_t)rows_b;
          const int32_t first = same ? (ta + i + 1 - tb > 0 ? ta + i + 1 - tb : 0) : 0;
          for (int32_t j = first; j < rows_b; j++)
            if (row[j] >= threshold && ord[a_start + ta + i] != ord[b_start + tb + j] &&
                !push_pair(&list, ord[a_start + ta + i], ord[b_start + tb + j], row[j])) {
              ok = 0;
              break;
            }
        }
      }
    }
  }
  free(tile_a);
  free(tile_b);
  free(products);
  if (!ok) {
    free(list.a);
    free(list.b);
    free(list.score);
    napi_throw_error(env, NULL, "pairsAtLeast: out of memory");
    return NULL;
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "a", typed_copy(env, napi_int32_array, list.a, list.count, sizeof(int32_t)));
  napi_set_named_property(env, result, "b", typed_copy(env, napi_int32_array, list.b, list.count, sizeof(int32_t)));
  napi_set_named_property(env, result, "score", typed_copy(env, napi_float32_array, list.score, list.count, sizeof(float)));
  free(list.a);
  free(list.b);
  free(list.score);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "topInner", NAPI_AUTO_LENGTH, top_inner, NULL, &fn);
  napi_set_named_property(env, exports, "topInner", fn);
  napi_create_function(env, "pairsAtLeast", NAPI_AUTO_LENGTH, pairs_at_least, NULL, &fn);
  napi_set_named_property(env, exports, "pairsAtLeast", fn);
  return exports;
}
