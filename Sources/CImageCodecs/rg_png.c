/*
 * PNG decoding and encoding on libpng 1.6's row-by-row API.
 *
 * Error handling: libpng reports errors by calling the error function, which must not return.
 * Ours copies the message and longjmps to the setjmp(png_jmpbuf(png)) placed in the very
 * function that made the libpng call, so control never unwinds through a Swift frame.
 * Warnings are discarded (libpng's default prints them to stderr).
 *
 * The contexts below live on the stack of the function holding the setjmp and are modified by
 * callbacks through an escaped pointer, as in libpng's and libjpeg's own examples; they are read
 * after the longjmp only for the status flags.
 */

#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "rg_codec_internal.h"
#include "rg_image_codecs.h"

/* Shared state of one libpng read or write. */
typedef struct rg_png_context {
    /* Read: the input bytes. */
    const uint8_t *input;
    size_t input_size;
    size_t input_offset;
    /* Write: the growing output buffer. */
    uint8_t *output;
    size_t output_size;
    size_t output_capacity;
    /* Set when the read callback ran out of data. */
    int hit_end;
    /* Set when an allocation in a callback failed. */
    int out_of_memory;
    /* Where the error message goes. */
    char *message;
    size_t message_capacity;
} rg_png_context;

static void rg_png_error(png_structp png, png_const_charp text) {
    rg_png_context *context = (rg_png_context *)png_get_error_ptr(png);
    if (context != NULL) {
        rg_copy_message(context->message, context->message_capacity, text);
    }
    png_longjmp(png, 1);
}

static void rg_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void rg_png_read_bytes(png_structp png, png_bytep destination, size_t length) {
    rg_png_context *context = (rg_png_context *)png_get_io_ptr(png);
    if (length > context->input_size - context->input_offset) {
        context->hit_end = 1;
        png_error(png, "PNG data ends before the image is complete");
    }
    memcpy(destination, context->input + context->input_offset, length);
    context->input_offset += length;
}

static void rg_png_write_bytes(png_structp png, png_bytep source, size_t length) {
    rg_png_context *context = (rg_png_context *)png_get_io_ptr(png);
    if (length > SIZE_MAX - context->output_size) {
        context->out_of_memory = 1;
        png_error(png, "PNG output exceeds the address space");
    }
    size_t needed = context->output_size + length;
    if (needed > context->output_capacity) {
        size_t capacity = context->output_capacity < 4096 ? 4096 : context->output_capacity;
        while (capacity < needed) {
            capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        }
        uint8_t *grown = (uint8_t *)realloc(context->output, capacity);
        if (grown == NULL) {
            context->out_of_memory = 1;
            png_error(png, "out of memory while writing PNG");
        }
        context->output = grown;
        context->output_capacity = capacity;
    }
    memcpy(context->output + context->output_size, source, length);
    context->output_size = needed;
}

static void rg_png_flush(png_structp png) {
    (void)png;
}

static int rg_png_has_alpha(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    return (color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
}

static int rg_png_working_channels(int has_alpha, rg_alpha_mode alpha) {
    return (has_alpha && alpha == RG_ALPHA_MODE_COMPOSITE_ON_WHITE) ? 4 : 3;
}

static rg_codec_status rg_png_check_signature(const uint8_t *data, size_t size, char *message, size_t capacity) {
    if (data == NULL || size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        rg_copy_message(message, capacity, "not a PNG file (bad signature)");
        return RG_CODEC_STATUS_CORRUPT;
    }
    return RG_CODEC_STATUS_OK;
}

/* Composites interleaved RGBA onto white, in place, into packed RGB. */
static void rg_composite_on_white(uint8_t *pixels, size_t pixel_count) {
    for (size_t i = 0; i < pixel_count; ++i) {
        const uint8_t *source = pixels + 4 * i;
        uint8_t *destination = pixels + 3 * i;
        uint32_t a = source[3];
        uint32_t inverse = 255 - a;
        uint8_t r = source[0], g = source[1], b = source[2];
        destination[0] = (uint8_t)((r * a + 255 * inverse + 127) / 255);
        destination[1] = (uint8_t)((g * a + 255 * inverse + 127) / 255);
        destination[2] = (uint8_t)((b * a + 255 * inverse + 127) / 255);
    }
}

rg_codec_status rg_png_read_info(const uint8_t *data, size_t size, rg_alpha_mode alpha,
                                 rg_image_info *info_out, char *message, size_t message_capacity) {
    rg_copy_message(message, message_capacity, "");
    if (info_out == NULL) {
        rg_copy_message(message, message_capacity, "missing info output");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    memset(info_out, 0, sizeof *info_out);
    rg_codec_status status = rg_png_check_signature(data, size, message, message_capacity);
    if (status != RG_CODEC_STATUS_OK) {
        return status;
    }

    rg_png_context context;
    memset(&context, 0, sizeof context);
    context.input = data;
    context.input_size = size;
    context.message = message;
    context.message_capacity = message_capacity;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, rg_png_error, rg_png_warning);
    if (png == NULL) {
        rg_copy_message(message, message_capacity, "out of memory creating the PNG reader");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        rg_copy_message(message, message_capacity, "out of memory creating the PNG reader");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return context.hit_end ? RG_CODEC_STATUS_TRUNCATED : RG_CODEC_STATUS_CORRUPT;
    }

    png_set_read_fn(png, &context, rg_png_read_bytes);
    /* The caller enforces its own pixel limit; lift libpng's 1,000,000 x 1,000,000 default. */
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    int has_alpha = rg_png_has_alpha(png, info);

    info_out->width = width;
    info_out->height = height;
    info_out->stored_components = png_get_channels(png, info);
    info_out->bit_depth = bit_depth;
    info_out->has_alpha = has_alpha;
    info_out->interlaced = interlace != PNG_INTERLACE_NONE;
    info_out->working_channels = rg_png_working_channels(has_alpha, alpha);

    png_destroy_read_struct(&png, &info, NULL);
    return RG_CODEC_STATUS_OK;
}

rg_codec_status rg_png_decode(const uint8_t *data, size_t size, rg_alpha_mode alpha,
                              uint32_t width, uint32_t height, uint8_t *pixels, size_t capacity,
                              char *message, size_t message_capacity) {
    rg_copy_message(message, message_capacity, "");
    if (pixels == NULL) {
        rg_copy_message(message, message_capacity, "missing pixel buffer");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    rg_codec_status status = rg_png_check_signature(data, size, message, message_capacity);
    if (status != RG_CODEC_STATUS_OK) {
        return status;
    }

    rg_png_context context;
    memset(&context, 0, sizeof context);
    context.input = data;
    context.input_size = size;
    context.message = message;
    context.message_capacity = message_capacity;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, rg_png_error, rg_png_warning);
    if (png == NULL) {
        rg_copy_message(message, message_capacity, "out of memory creating the PNG reader");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        rg_copy_message(message, message_capacity, "out of memory creating the PNG reader");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return context.hit_end ? RG_CODEC_STATUS_TRUNCATED : RG_CODEC_STATUS_CORRUPT;
    }

    png_set_read_fn(png, &context, rg_png_read_bytes);
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    png_read_info(png, info);

    png_uint_32 file_width = 0, file_height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &file_width, &file_height, &bit_depth, &color_type, &interlace, NULL, NULL);
    int channels = rg_png_working_channels(rg_png_has_alpha(png, info), alpha);
    if (file_width != width || file_height != height) {
        png_destroy_read_struct(&png, &info, NULL);
        rg_copy_message(message, message_capacity, "PNG size differs from the size passed to the decoder");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    if (!rg_buffer_fits(width, height, (uint32_t)channels, capacity)) {
        png_destroy_read_struct(&png, &info, NULL);
        rg_copy_message(message, message_capacity, "pixel buffer too small for the PNG");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }

    /* Normalise every colour type and depth to 8-bit RGB or RGBA. */
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (channels == 4 && png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
    }
    if (bit_depth == 16) {
        png_set_scale_16(png);
    }
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
        png_set_gray_to_rgb(png);
    }
    if (channels == 3) {
        png_set_strip_alpha(png);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = (size_t)width * (size_t)channels;
    if (png_get_channels(png, info) != channels || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != row_bytes) {
        png_destroy_read_struct(&png, &info, NULL);
        rg_copy_message(message, message_capacity, "unexpected decoded PNG layout");
        return RG_CODEC_STATUS_UNSUPPORTED;
    }

    /* Row by row, pass by pass: later Adam7 passes fill in the rows of the earlier ones. */
    for (int pass = 0; pass < passes; ++pass) {
        for (png_uint_32 y = 0; y < height; ++y) {
            png_read_row(png, pixels + (size_t)y * row_bytes, NULL);
        }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);

    if (channels == 4) {
        rg_composite_on_white(pixels, (size_t)width * (size_t)height);
    }
    return RG_CODEC_STATUS_OK;
}

rg_codec_status rg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                              int32_t channels, int32_t compression_level,
                              uint8_t **output, size_t *output_size,
                              char *message, size_t message_capacity) {
    rg_copy_message(message, message_capacity, "");
    if (pixels == NULL || output == NULL || output_size == NULL) {
        rg_copy_message(message, message_capacity, "missing pixel or output buffer");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    *output = NULL;
    *output_size = 0;
    if (width == 0 || height == 0 || width > 0x7fffffffU || height > 0x7fffffffU) {
        rg_copy_message(message, message_capacity, "PNG width and height must be between 1 and 2^31 - 1");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    if (channels != 3 && channels != 4) {
        rg_copy_message(message, message_capacity, "PNG encoding takes 3 (RGB) or 4 (RGBA) channels");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    if (compression_level < -1 || compression_level > 9) {
        rg_copy_message(message, message_capacity, "PNG compression level must be -1 (default) or 0...9");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }

    rg_png_context context;
    memset(&context, 0, sizeof context);
    context.message = message;
    context.message_capacity = message_capacity;

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, rg_png_error, rg_png_warning);
    if (png == NULL) {
        rg_copy_message(message, message_capacity, "out of memory creating the PNG writer");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        rg_copy_message(message, message_capacity, "out of memory creating the PNG writer");
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(context.output);
        return context.out_of_memory ? RG_CODEC_STATUS_OUT_OF_MEMORY : RG_CODEC_STATUS_INVALID_ARGUMENT;
    }

    png_set_write_fn(png, &context, rg_png_write_bytes, rg_png_flush);
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    if (compression_level >= 0) {
        png_set_compression_level(png, compression_level);
    }
    png_set_IHDR(png, info, width, height, 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t row_bytes = (size_t)width * (size_t)channels;
    for (png_uint_32 y = 0; y < height; ++y) {
        /* libpng's row pointer is non-const but it does not write through it. */
        png_write_row(png, (png_bytep)(uintptr_t)(pixels + (size_t)y * row_bytes));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);

    *output = context.output;
    *output_size = context.output_size;
    return RG_CODEC_STATUS_OK;
}
