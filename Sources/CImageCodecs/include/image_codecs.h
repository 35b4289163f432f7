// Decoding and encoding JPEG (libjpeg-turbo) and PNG (libpng) in memory, with every library
// error turned into a return code and a message instead of an exit or a jump across Swift.
#ifndef FLOWRUNNER_IMAGE_CODECS_H
#define FLOWRUNNER_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// Decoded pixels: rows top to bottom, channels interleaved (3: RGB, 4: RGBA), 8 bits each.
typedef struct {
  uint8_t *pixels;
  int width;
  int height;
  int channels;
} fr_pixels;

/// A JPEG's size from its header alone. 0 on success; otherwise a message in `error`.
int fr_jpeg_dimensions(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size);

/// Decodes a JPEG to RGB, scaled by 1/`scale_denominator` (1, 2, 4 or 8) in the DCT. Fails
/// without decoding when the scaled image has more than `max_pixels` pixels.
int fr_jpeg_decode(
  const uint8_t *data, size_t size, int scale_denominator, long max_pixels, fr_pixels *out, char *error,
  size_t error_size);

/// Encodes RGB pixels as a baseline JPEG of `quality` (1-100), without metadata; `*out` is
/// freed with `fr_free`.
int fr_jpeg_encode(
  const uint8_t *rgb, int width, int height, int quality, uint8_t **out, size_t *out_size, char *error,
  size_t error_size);

/// A PNG's size and whether it has alpha, from its header.
int fr_png_dimensions(
  const uint8_t *data, size_t size, int *width, int *height, int *has_alpha, char *error, size_t error_size);

/// Decodes a PNG to RGBA (when it has alpha) or RGB. Fails without decoding when it has more
/// than `max_pixels` pixels.
int fr_png_decode(const uint8_t *data, size_t size, long max_pixels, fr_pixels *out, char *error, size_t error_size);

/// Encodes RGB or RGBA pixels as a PNG without metadata; `*out` is freed with `fr_free`.
int fr_png_encode(
  const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_size, char *error,
  size_t error_size);

/// Frees what the functions above allocated.
void fr_free(void *pointer);

#endif
