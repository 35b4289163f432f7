#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

// The most progressive scans a JPEG may have: real images have about ten; a crafted file with
// thousands makes the decoder spin over the same coefficients.
#define FR_MAX_JPEG_SCANS 256
// The most memory libjpeg may use for one image (coefficient buffers of progressive JPEGs).
#define FR_MAX_JPEG_MEMORY (512L * 1024 * 1024)

static void fr_message(char *error, size_t error_size, const char *message) {
  if (error != NULL && error_size > 0) {
    snprintf(error, error_size, "%s", message);
  }
}

// MARK: - JPEG

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} fr_jpeg_error;

static void fr_jpeg_error_exit(j_common_ptr info) {
  fr_jpeg_error *error = (fr_jpeg_error *)info->err;
  (*info->err->format_message)(info, error->message);
  longjmp(error->jump, 1);
}

static void fr_jpeg_silence(j_common_ptr info, int level) {
  (void)info;
  (void)level;
}

// libjpeg's error manager with its exits turned into a jump back to the caller's setjmp and
// its warnings silenced.
static struct jpeg_error_mgr *fr_jpeg_errors(fr_jpeg_error *failure) {
  struct jpeg_error_mgr *manager = jpeg_std_error(&failure->base);
  failure->base.error_exit = fr_jpeg_error_exit;
  failure->base.emit_message = fr_jpeg_silence;
  return manager;
}

typedef struct {
  struct jpeg_progress_mgr base;
  j_decompress_ptr decoder;
} fr_jpeg_progress;

static void fr_jpeg_progress_monitor(j_common_ptr info) {
  fr_jpeg_progress *progress = (fr_jpeg_progress *)info->progress;
  if (progress->decoder->input_scan_number > FR_MAX_JPEG_SCANS) {
    fr_jpeg_error *error = (fr_jpeg_error *)info->err;
    snprintf(error->message, sizeof error->message, "the JPEG has more than %d scans", FR_MAX_JPEG_SCANS);
    longjmp(error->jump, 1);
  }
}

int fr_jpeg_dimensions(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size) {
  struct jpeg_decompress_struct decoder;
  fr_jpeg_error failure;
  memset(&decoder, 0, sizeof decoder);
  decoder.err = fr_jpeg_errors(&failure);
  if (setjmp(failure.jump)) {
    fr_message(error, error_size, failure.message);
    jpeg_destroy_decompress(&decoder);
    return 1;
  }
  jpeg_create_decompress(&decoder);
  jpeg_mem_src(&decoder, data, (unsigned long)size);
  jpeg_read_header(&decoder, TRUE);
  *width = (int)decoder.image_width;
  *height = (int)decoder.image_height;
  jpeg_destroy_decompress(&decoder);
  return 0;
}

int fr_jpeg_decode(
  const uint8_t *data, size_t size, int scale_denominator, long max_pixels, fr_pixels *out, char *error,
  size_t error_size) {
  struct jpeg_decompress_struct decoder;
  fr_jpeg_error failure;
  fr_jpeg_progress progress;
  uint8_t *volatile pixels = NULL;
  memset(&decoder, 0, sizeof decoder);
  memset(out, 0, sizeof *out);
  decoder.err = fr_jpeg_errors(&failure);
  if (setjmp(failure.jump)) {
    fr_message(error, error_size, failure.message);
    free((void *)pixels);
    jpeg_destroy_decompress(&decoder);
    return 1;
  }
  jpeg_create_decompress(&decoder);
  decoder.mem->max_memory_to_use = FR_MAX_JPEG_MEMORY;
  progress.base.progress_monitor = fr_jpeg_progress_monitor;
  progress.decoder = &decoder;
  decoder.progress = &progress.base;
  jpeg_mem_src(&decoder, data, (unsigned long)size);
  jpeg_read_header(&decoder, TRUE);
  if (decoder.jpeg_color_space == JCS_CMYK || decoder.jpeg_color_space == JCS_YCCK) {
    fr_message(error, error_size, "CMYK JPEGs are not supported");
    jpeg_destroy_decompress(&decoder);
    return 1;
  }
  decoder.out_color_space = JCS_RGB;
  decoder.scale_num = 1;
  decoder.scale_denom = (unsigned int)scale_denominator;
  jpeg_calc_output_dimensions(&decoder);
  long count = (long)decoder.output_width * (long)decoder.output_height;
  if (count <= 0 || count > max_pixels) {
    snprintf(
      error, error_size, "the JPEG is %ux%u pixels, more than the %ld allowed", decoder.output_width,
      decoder.output_height, max_pixels);
    jpeg_destroy_decompress(&decoder);
    return 2;
  }
  jpeg_start_decompress(&decoder);
  size_t stride = (size_t)decoder.output_width * 3;
  pixels = malloc(stride * decoder.output_height);
  if (pixels == NULL) {
    fr_message(error, error_size, "out of memory");
    jpeg_destroy_decompress(&decoder);
    return 1;
  }
  while (decoder.output_scanline < decoder.output_height) {
    JSAMPROW row = pixels + stride * decoder.output_scanline;
    jpeg_read_scanlines(&decoder, &row, 1);
  }
  jpeg_finish_decompress(&decoder);
  out->pixels = pixels;
  out->width = (int)decoder.output_width;
  out->height = (int)decoder.output_height;
  out->channels = 3;
  jpeg_destroy_decompress(&decoder);
  return 0;
}

int fr_jpeg_encode(
  const uint8_t *rgb, int width, int height, int quality, uint8_t **out, size_t *out_size, char *error,
  size_t error_size) {
  struct jpeg_compress_struct encoder;
  fr_jpeg_error failure;
  unsigned char *buffer = NULL;  // written by libjpeg through its address, so in memory
  unsigned long buffer_size = 0;
  memset(&encoder, 0, sizeof encoder);
  encoder.err = fr_jpeg_errors(&failure);
  if (setjmp(failure.jump)) {
    fr_message(error, error_size, failure.message);
    jpeg_destroy_compress(&encoder);
    free(buffer);
    return 1;
  }
  jpeg_create_compress(&encoder);
  jpeg_mem_dest(&encoder, &buffer, &buffer_size);
  encoder.image_width = (JDIMENSION)width;
  encoder.image_height = (JDIMENSION)height;
  encoder.input_components = 3;
  encoder.in_color_space = JCS_RGB;
  jpeg_set_defaults(&encoder);
  jpeg_set_quality(&encoder, quality, TRUE);
  jpeg_start_compress(&encoder, TRUE);
  size_t stride = (size_t)width * 3;
  while (encoder.next_scanline < encoder.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + stride * encoder.next_scanline);
    jpeg_write_scanlines(&encoder, &row, 1);
  }
  jpeg_finish_compress(&encoder);
  jpeg_destroy_compress(&encoder);
  *out = buffer;
  *out_size = (size_t)buffer_size;
  return 0;
}

// MARK: - PNG (libpng's simplified API: errors come back in `image.message`)

int fr_png_dimensions(
  const uint8_t *data, size_t size, int *width, int *height, int *has_alpha, char *error, size_t error_size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    fr_message(error, error_size, image.message);
    png_image_free(&image);
    return 1;
  }
  *width = (int)image.width;
  *height = (int)image.height;
  *has_alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  png_image_free(&image);
  return 0;
}

int fr_png_decode(const uint8_t *data, size_t size, long max_pixels, fr_pixels *out, char *error, size_t error_size) {
  png_image image;
  memset(&image, 0, sizeof image);
  memset(out, 0, sizeof *out);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    fr_message(error, error_size, image.message);
    png_image_free(&image);
    return 1;
  }
  long count = (long)image.width * (long)image.height;
  if (count <= 0 || count > max_pixels) {
    snprintf(error, error_size, "the PNG is %ux%u pixels, more than the %ld allowed", image.width, image.height, max_pixels);
    png_image_free(&image);
    return 2;
  }
  int alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  image.format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  size_t buffer_size = PNG_IMAGE_SIZE(image);
  uint8_t *pixels = malloc(buffer_size);
  if (pixels == NULL) {
    fr_message(error, error_size, "out of memory");
    png_image_free(&image);
    return 1;
  }
  if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
    fr_message(error, error_size, image.message);
    free(pixels);
    png_image_free(&image);
    return 1;
  }
  out->pixels = pixels;
  out->width = (int)image.width;
  out->height = (int)image.height;
  out->channels = alpha ? 4 : 3;
  png_image_free(&image);
  return 0;
}

int fr_png_encode(
  const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_size, char *error,
  size_t error_size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)width;
  image.height = (png_uint_32)height;
  image.format = channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, NULL, &size, 0, pixels, 0, NULL)) {
    fr_message(error, error_size, image.message);
    return 1;
  }
  uint8_t *buffer = malloc(size);
  if (buffer == NULL) {
    fr_message(error, error_size, "out of memory");
    return 1;
  }
  if (!png_image_write_to_memory(&image, buffer, &size, 0, pixels, 0, NULL)) {
    fr_message(error, error_size, image.message);
    free(buffer);
    return 1;
  }
  *out = buffer;
  *out_size = (size_t)size;
  return 0;
}

void fr_free(void *pointer) { free(pointer); }
