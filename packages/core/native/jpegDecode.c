/*
 * Baseline JPEG -> 8-bit RGB with the system libjpeg-turbo (Debian libjpeg62-turbo-dev), as a Node-API
 * addon: the same library and the same settings PIL decodes with (JDCT_ISLOW, fancy upsampling), so the
 * same bytes, at about a third of sharp's CPU time. It only takes the simple, common case and DECLINES
 * everything else (returns a string saying why), leaving it to sharp (src/image/decode.ts):
 * not a JPEG, progressive or arithmetic-coded, not 3-component YCbCr (greyscale, CMYK/YCCK, Adobe RGB),
 * an EXIF orientation other than 1 (or EXIF it cannot read), over the pixel limit, a short side that
 * sharp would reduce on load, and any libjpeg warning or error (truncated or corrupt data), so that
 * sharp produces the typed skip exactly as before. Embedded ICC profiles are ignored, as decode.ts
 * tells sharp to (ignoreIcc) and as PIL does.
 * Built by scripts/setup.sh (cc, Node's headers, -ljpeg; nothing downloaded).
 */
#include <node_api.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} error_mgr;

static void on_error(j_common_ptr cinfo) {
  error_mgr *err = (error_mgr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

/* Warnings (msg_level < 0) are counted and make the decode decline; trace messages are dropped. */
static void on_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) {
    error_mgr *err = (error_mgr *)cinfo->err;
    if (err->pub.num_warnings == 0) (*cinfo->err->format_message)(cinfo, err->message);
    err->pub.num_warnings++;
  }
}

static unsigned read16(const uint8_t *p, int little) { return little ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1]; }
static uint32_t read32(const uint8_t *p, int little) {
  return little ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24)
                : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/*
 * EXIF orientation from IFD0 of an APP1 "Exif\0\0" payload: 1..8, 1 when the tag is absent,
 * -1 when the block cannot be read (then sharp decides).
 */
static int exif_orientation(const uint8_t *data, unsigned length) {
  if (length < 14 || memcmp(data, "Exif\0\0", 6) != 0) return 1;
  const uint8_t *tiff = data + 6;
  const uint32_t size = length - 6;
  int little;
  if (tiff[0] == 'I' && tiff[1] == 'I') little = 1;
  else if (tiff[0] == 'M' && tiff[1] == 'M') little = 0;
  else return -1;
  if (read16(tiff + 2, little) != 42) return -1;
  const uint32_t ifd = read32(tiff + 4, little);
  if (ifd > size - 2 || ifd < 8) return -1;
  const unsigned entries = read16(tiff + ifd, little);
  if ((uint64_t)ifd + 2 + (uint64_t)entries * 12 > size) return -1;
  for (unsigned i = 0; i < entries; i++) {
    const uint8_t *entry = tiff + ifd + 2 + i * 12;
    if (read16(entry, little) != 0x0112) continue;
    /* SHORT, count 1: the value sits in the first two bytes of the value field. */
    if (read16(entry + 2, little) != 3 || read32(entry + 4, little) != 1) return -1;
    const unsigned value = read16(entry + 8, little);
    return value >= 1 && value <= 8 ? (int)value : -1;
  }
  return 1;
}

static napi_value string_value(napi_env env, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

static napi_value declined(napi_env env, struct jpeg_decompress_struct *cinfo, const char *reason) {
  jpeg_destroy_decompress(cinfo);
  return string_value(env, reason);
}

/*
 * Calls chooseRegion(width, height) when it is a function; fills region with its [left, top, right,
 * bottom] when it returns one. Returns 0 with a pending exception when the callback threw or returned
 * something else than undefined or four whole numbers describing a non-empty part of the image.
 */
static int choose_region(napi_env env, napi_value callback, uint32_t width, uint32_t height, uint32_t region[4]) {
  napi_valuetype kind;
  if (napi_typeof(env, callback, &kind) != napi_ok) return 0;
  if (kind == napi_undefined || kind == napi_null) return 1;
  if (kind != napi_function) {
    napi_throw_type_error(env, NULL, "decodeJpeg: chooseRegion must be a function");
    return 0;
  }
  napi_value global, args[2], result;
  napi_get_global(env, &global);
  napi_create_uint32(env, width, &args[0]);
  napi_create_uint32(env, height, &args[1]);
  if (napi_call_function(env, global, callback, 2, args, &result) != napi_ok) return 0;
  if (napi_typeof(env, result, &kind) != napi_ok) return 0;
  if (kind == napi_undefined) return 1;
  bool is_array = false;
  uint32_t length = 0;
  if (napi_is_array(env, result, &is_array) != napi_ok || !is_array || napi_get_array_length(env, result, &length) != napi_ok || length != 4) {
    napi_throw_type_error(env, NULL, "decodeJpeg: chooseRegion must return [left, top, right, bottom] or undefined");
    return 0;
  }
  int64_t values[4];
  for (uint32_t i = 0; i < 4; i++) {
    napi_value item;
    if (napi_get_element(env, result, i, &item) != napi_ok) return 0;
    if (napi_get_value_int64(env, item, &values[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "decodeJpeg: chooseRegion must return whole numbers");
      return 0;
    }
  }
  if (values[0] < 0 || values[1] < 0 || values[2] > width || values[3] > height || values[0] >= values[2] || values[1] >= values[3]) {
    napi_throw_range_error(env, NULL, "decodeJpeg: the region chosen is not a non-empty part of the image");
    return 0;
  }
  for (int i = 0; i < 4; i++) region[i] = (uint32_t)values[i];
  return 1;
}

/*
 * decodeJpeg(bytes: Uint8Array, maxPixels: number, reduceFromShortSide: number, chooseRegion?: (width, height) => number[] | undefined)
 *   -> { data: Buffer, width, height, left, top, regionWidth, regionHeight } | string (why it declined)
 * reduceFromShortSide: decline when min(width, height) >= this (sharp reduces those on load); 0 = never.
 * chooseRegion, called once the header is read: [left, top, right, bottom], the part of the image the
 * caller will read. Then only those rows are decoded in full (the others are skipped: entropy-decoded
 * only, still checked for errors) and only the iMCU columns that cover [left, right) (jpeg_crop_scanline,
 * which widens the range to iMCU boundaries: `left` and `regionWidth` say what `data` holds). Pixels
 * next to a crop edge may differ from a full decode (fancy upsampling sees an edge there): the caller
 * asks for a margin around what it reads. Without it (or undefined returned), the whole image.
 */
static napi_value decode_jpeg(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t length = 0;
  void *bytes = NULL;
  napi_value arraybuffer;
  size_t offset;
  double max_pixels = 0;
  double reduce_from = 0;
  if (argc < 3 || napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, &arraybuffer, &offset) != napi_ok ||
      type != napi_uint8_array || napi_get_value_double(env, argv[1], &max_pixels) != napi_ok ||
      napi_get_value_double(env, argv[2], &reduce_from) != napi_ok) {
    napi_throw_type_error(env, NULL, "decodeJpeg(bytes: Uint8Array, maxPixels: number, reduceFromShortSide: number)");
    return NULL;
  }
  const uint8_t *input = bytes;
  if (length < 4 || input[0] != 0xFF || input[1] != 0xD8) return string_value(env, "not a JPEG");

  struct jpeg_decompress_struct cinfo;
  error_mgr err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    char reason[JMSG_LENGTH_MAX + 16];
    snprintf(reason, sizeof reason, "libjpeg error: %s", err.message);
    return declined(env, &cinfo, reason);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, input, (unsigned long)length);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);

  if (err.pub.num_warnings > 0) return declined(env, &cinfo, "libjpeg warning");
  if (cinfo.progressive_mode || cinfo.arith_code) return declined(env, &cinfo, "progressive or arithmetic-coded");
  if (cinfo.num_components != 3 || cinfo.jpeg_color_space != JCS_YCbCr) return declined(env, &cinfo, "not YCbCr");
  int exif_blocks = 0;
  for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 6 || memcmp(marker->data, "Exif\0\0", 6) != 0) continue;
    if (++exif_blocks > 1 || exif_orientation(marker->data, marker->data_length) != 1) {
      return declined(env, &cinfo, "EXIF orientation");
    }
  }
  const uint32_t width = cinfo.image_width;
  const uint32_t height = cinfo.image_height;
  if (width < 1 || height < 1) return declined(env, &cinfo, "no dimensions");
  if ((double)width * (double)height > max_pixels) return declined(env, &cinfo, "too many pixels");
  if (reduce_from > 0 && (double)(width < height ? width : height) >= reduce_from) {
    return declined(env, &cinfo, "large: reduced on load");
  }

  uint32_t region[4] = {0, 0, width, height};
  if (argc >= 4 && !choose_region(env, argv[3], width, height, region)) {
    jpeg_destroy_decompress(&cinfo);
    return NULL; /* the exception thrown by the callback, or a RangeError */
  }
  cinfo.out_color_space = JCS_RGB;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_components != 3 || cinfo.output_width != width || cinfo.output_height != height) {
    return declined(env, &cinfo, "unexpected output");
  }
  JDIMENSION left = region[0], region_width = region[2] - region[0];
  if (left > 0 || region_width < width) jpeg_crop_scanline(&cinfo, &left, &region_width);
  const uint32_t top = region[1], region_height = region[3] - region[1];
  void *pixels = NULL;
  napi_value buffer;
  const size_t stride = (size_t)region_width * 3;
  if (napi_create_buffer(env, stride * region_height, &pixels, &buffer) != napi_ok) {
    return declined(env, &cinfo, "out of memory");
  }
  if (top > 0 && jpeg_skip_scanlines(&cinfo, top) != top) return declined(env, &cinfo, "unexpected output");
  while (cinfo.output_scanline < top + region_height) {
    JSAMPROW row = (JSAMPROW)pixels + (size_t)(cinfo.output_scanline - top) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  /* The rest is still entropy-decoded, so a truncated or corrupt tail declines as before. */
  if (cinfo.output_scanline < cinfo.output_height) jpeg_skip_scanlines(&cinfo, cinfo.output_height - cinfo.output_scanline);
  jpeg_finish_decompress(&cinfo);
  if (err.pub.num_warnings > 0) return declined(env, &cinfo, "libjpeg warning");
  jpeg_destroy_decompress(&cinfo);

  napi_value object, w, h;
  napi_create_object(env, &object);
  napi_create_uint32(env, width, &w);
  napi_create_uint32(env, height, &h);
  napi_set_named_property(env, object, "data", buffer);
  napi_set_named_property(env, object, "width", w);
  napi_set_named_property(env, object, "height", h);
  const uint32_t placement[4] = {left, top, region_width, region_height};
  const char *names[4] = {"left", "top", "regionWidth", "regionHeight"};
  for (int i = 0; i < 4; i++) {
    napi_value value;
    napi_create_uint32(env, placement[i], &value);
    napi_set_named_property(env, object, names[i], value);
  }
  return object;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"decodeJpeg", NULL, decode_jpeg, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
