#ifndef RG_IMAGE_CODECS_H
#define RG_IMAGE_CODECS_H

/*
 * libpng 1.6 and libjpeg (libjpeg-turbo, API version 62) behind functions that report failure
 * through a status code and a message instead of exiting the process.
 *
 * Both libraries report errors by longjmp. Every setjmp lives in the same C function that calls
 * into the library, so a longjmp never crosses a Swift frame: each public function here returns
 * normally, with a status and (on failure) the library's message copied into `message`.
 *
 * Decoding is two-phase so the caller can refuse oversized images before any pixel buffer is
 * allocated: `*_read_info` parses only the header and reports the size and the scratch buffer
 * the decode needs; `*_decode` then fills a caller-owned buffer of that size. The decoded result
 * is always 8-bit RGB, interleaved, top row first, occupying the first width * height * 3 bytes.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lets Swift import the enums below as closed Swift enums (clang only). */
#if defined(__has_attribute)
#if __has_attribute(enum_extensibility)
#define RG_CLOSED_ENUM __attribute__((enum_extensibility(closed)))
#endif
#endif
#ifndef RG_CLOSED_ENUM
#define RG_CLOSED_ENUM
#endif

/* The outcome of a codec call. */
typedef enum RG_CLOSED_ENUM rg_codec_status {
    /* Success. */
    RG_CODEC_STATUS_OK = 0,
    /* The data ended before the image was complete. */
    RG_CODEC_STATUS_TRUNCATED = 1,
    /* The library rejected the data (bad CRC, bad Huffman code, invalid header, ...). */
    RG_CODEC_STATUS_CORRUPT = 2,
    /* Valid data using a feature these wrappers do not decode (e.g. 12-bit JPEG). */
    RG_CODEC_STATUS_UNSUPPORTED = 3,
    /* The caller's arguments are inconsistent (buffer too small, size mismatch, bad channels). */
    RG_CODEC_STATUS_INVALID_ARGUMENT = 4,
    /* An allocation failed. */
    RG_CODEC_STATUS_OUT_OF_MEMORY = 5,
} rg_codec_status;

/* What to do with an alpha channel (PNG alpha or tRNS transparency). */
typedef enum RG_CLOSED_ENUM rg_alpha_mode {
    /* Composite onto opaque white: out = (c * a + 255 * (255 - a)) / 255, rounded to nearest,
     * on the stored (gamma-encoded) sample values. */
    RG_ALPHA_MODE_COMPOSITE_ON_WHITE = 0,
    /* Discard alpha and transparency and keep the stored colour samples unchanged. */
    RG_ALPHA_MODE_DROP = 1,
} rg_alpha_mode;

/* How to treat data that libjpeg reports as a warning (corrupt entropy data, premature end). */
typedef enum RG_CLOSED_ENUM rg_jpeg_warning_policy {
    /* Fail on every warning except the harmless "unknown JFIF revision" and "bad ICC marker". */
    RG_JPEG_WARNING_POLICY_REJECT = 0,
    /* Keep whatever libjpeg reconstructs (a truncated image is padded with grey). */
    RG_JPEG_WARNING_POLICY_TOLERATE = 1,
} rg_jpeg_warning_policy;

/* What the header says, and how much scratch memory the decode needs. */
typedef struct rg_image_info {
    /* Image width in pixels. */
    uint32_t width;
    /* Image height in pixels. */
    uint32_t height;
    /* Colour components stored in the file (PNG: 1 grey, 2 grey+alpha, 3 RGB or palette,
     * 4 RGBA; JPEG: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK). */
    int32_t stored_components;
    /* Bits per stored sample (PNG: 1, 2, 4, 8 or 16; JPEG: 8 or 12). */
    int32_t bit_depth;
    /* Non-zero when the image carries transparency (PNG alpha channel or tRNS chunk). */
    int32_t has_alpha;
    /* Non-zero for an interlaced PNG or a progressive JPEG. */
    int32_t interlaced;
    /* Bytes per pixel of the buffer that `*_decode` needs (3, or 4 when compositing alpha). */
    int32_t working_channels;
} rg_image_info;

/* Reads a PNG header (everything before the first IDAT). */
rg_codec_status rg_png_read_info(const uint8_t *data, size_t size, rg_alpha_mode alpha,
                                 rg_image_info *info, char *message, size_t message_capacity);

/* Decodes a PNG into `pixels` (capacity bytes, at least width * height * working_channels as
 * reported by rg_png_read_info for the same `alpha`). `width`/`height` must match the header.
 * Handles palette, grey, 1-16 bit depths (16-bit is scaled with rounding: v * 255 / 65535),
 * tRNS, alpha, and Adam7 interlacing. Gamma and colour-profile chunks are ignored: the stored
 * samples are returned as they are. */
rg_codec_status rg_png_decode(const uint8_t *data, size_t size, rg_alpha_mode alpha,
                              uint32_t width, uint32_t height, uint8_t *pixels, size_t capacity,
                              char *message, size_t message_capacity);

/* Encodes 8-bit RGB (channels = 3) or RGBA (channels = 4) pixels, rows packed without padding,
 * to a PNG in memory. On success `*output` is a malloc'd buffer of `*output_size` bytes that the
 * caller releases with rg_codec_free. `compression_level` is zlib's 0...9 (-1 for the default). */
rg_codec_status rg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                              int32_t channels, int32_t compression_level,
                              uint8_t **output, size_t *output_size,
                              char *message, size_t message_capacity);

/* Reads a JPEG header (up to the first scan). */
rg_codec_status rg_jpeg_read_info(const uint8_t *data, size_t size, rg_jpeg_warning_policy policy,
                                  rg_image_info *info, char *message, size_t message_capacity);

/* Decodes a baseline or progressive 8-bit JPEG into RGB. Greyscale is replicated into the three
 * channels; CMYK and YCCK are converted with R = C' * K' / 255 (rounded), where C', K' are the
 * *inverted* ink values: the stored samples when the file has an Adobe APP14 marker (Photoshop
 * writes inverted CMYK), 255 minus the stored samples otherwise. EXIF orientation is ignored. */
rg_codec_status rg_jpeg_decode(const uint8_t *data, size_t size, rg_jpeg_warning_policy policy,
                               uint32_t width, uint32_t height, uint8_t *pixels, size_t capacity,
                               char *message, size_t message_capacity);

/* Releases a buffer returned by rg_png_encode. */
void rg_codec_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif /* RG_IMAGE_CODECS_H */
