/*
 * JPEG decoding on libjpeg (libjpeg-turbo, API version 62).
 *
 * libjpeg's default error_exit prints and calls exit(). We install an error manager whose
 * error_exit formats the message and longjmps to the setjmp placed in the same C function that
 * called into libjpeg, so control never unwinds through a Swift frame. Warnings (corrupt entropy
 * data, premature end of data, which libjpeg otherwise repairs silently) go through emit_message
 * and, under RG_JPEG_WARNING_POLICY_REJECT, take the same path as errors.
 */

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "rg_codec_internal.h"
#include "rg_image_codecs.h"

/* libjpeg's error manager extended with our jump target and outcome. */
typedef struct rg_jpeg_error_manager {
    /* Must come first: libjpeg sees only this part. */
    struct jpeg_error_mgr base;
    jmp_buf jump;
    rg_jpeg_warning_policy policy;
    /* Set once libjpeg reported that the data ended early. */
    int saw_end_of_data;
    rg_codec_status status;
    char *message;
    size_t message_capacity;
} rg_jpeg_error_manager;

static rg_codec_status rg_jpeg_classify(int code, int saw_end_of_data) {
    switch (code) {
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF:
    case JWRN_JPEG_EOF:
        return RG_CODEC_STATUS_TRUNCATED;
    case JERR_OUT_OF_MEMORY:
        return RG_CODEC_STATUS_OUT_OF_MEMORY;
    case JERR_BAD_PRECISION:
    case JERR_ARITH_NOTIMPL:
    case JERR_CCIR601_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_FRACT_SAMPLE_NOTIMPL:
    case JERR_NOTIMPL:
    case JERR_NOT_COMPILED:
        return RG_CODEC_STATUS_UNSUPPORTED;
    default:
        /* Errors after a premature end are consequences of the truncation. */
        return saw_end_of_data ? RG_CODEC_STATUS_TRUNCATED : RG_CODEC_STATUS_CORRUPT;
    }
}

static int rg_jpeg_warning_is_harmless(int code) {
    if (code == JWRN_JFIF_MAJOR) {
        return 1;
    }
#if defined(LIBJPEG_TURBO_VERSION_NUMBER) && LIBJPEG_TURBO_VERSION_NUMBER >= 2000000
    if (code == JWRN_BOGUS_ICC) {
        return 1;
    }
#endif
    return 0;
}

static void rg_jpeg_fail(j_common_ptr cinfo) {
    rg_jpeg_error_manager *manager = (rg_jpeg_error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    rg_copy_message(manager->message, manager->message_capacity, text);
    manager->status = rg_jpeg_classify(manager->base.msg_code, manager->saw_end_of_data);
    longjmp(manager->jump, 1);
}

static void rg_jpeg_error_exit(j_common_ptr cinfo) {
    rg_jpeg_fail(cinfo);
}

static void rg_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) {
        return; /* trace messages */
    }
    rg_jpeg_error_manager *manager = (rg_jpeg_error_manager *)cinfo->err;
    manager->base.num_warnings++;
    if (manager->base.msg_code == JWRN_JPEG_EOF) {
        manager->saw_end_of_data = 1;
    }
    if (manager->policy == RG_JPEG_WARNING_POLICY_REJECT && !rg_jpeg_warning_is_harmless(manager->base.msg_code)) {
        rg_jpeg_fail(cinfo);
    }
}

static void rg_jpeg_output_message(j_common_ptr cinfo) {
    (void)cinfo;
}

static void rg_jpeg_prepare(struct jpeg_decompress_struct *cinfo, rg_jpeg_error_manager *manager,
                            rg_jpeg_warning_policy policy, char *message, size_t message_capacity) {
    memset(cinfo, 0, sizeof *cinfo);
    memset(manager, 0, sizeof *manager);
    cinfo->err = jpeg_std_error(&manager->base);
    manager->base.error_exit = rg_jpeg_error_exit;
    manager->base.emit_message = rg_jpeg_emit_message;
    manager->base.output_message = rg_jpeg_output_message;
    manager->policy = policy;
    manager->status = RG_CODEC_STATUS_CORRUPT;
    manager->message = message;
    manager->message_capacity = message_capacity;
}

static rg_codec_status rg_jpeg_check_input(const uint8_t *data, size_t size, char *message, size_t capacity) {
    if (data == NULL || size == 0) {
        rg_copy_message(message, capacity, "empty JPEG data");
        return RG_CODEC_STATUS_TRUNCATED;
    }
    if (size > ULONG_MAX) {
        rg_copy_message(message, capacity, "JPEG data too large for libjpeg");
        return RG_CODEC_STATUS_UNSUPPORTED;
    }
    return RG_CODEC_STATUS_OK;
}

rg_codec_status rg_jpeg_read_info(const uint8_t *data, size_t size, rg_jpeg_warning_policy policy,
                                  rg_image_info *info_out, char *message, size_t message_capacity) {
    rg_copy_message(message, message_capacity, "");
    if (info_out == NULL) {
        rg_copy_message(message, message_capacity, "missing info output");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    memset(info_out, 0, sizeof *info_out);
    rg_codec_status status = rg_jpeg_check_input(data, size, message, message_capacity);
    if (status != RG_CODEC_STATUS_OK) {
        return status;
    }

    struct jpeg_decompress_struct cinfo;
    rg_jpeg_error_manager manager;
    rg_jpeg_prepare(&cinfo, &manager, policy, message, message_capacity);
    if (setjmp(manager.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return manager.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);

    info_out->width = cinfo.image_width;
    info_out->height = cinfo.image_height;
    info_out->stored_components = cinfo.num_components;
    info_out->bit_depth = cinfo.data_precision;
    info_out->has_alpha = 0;
    info_out->interlaced = cinfo.progressive_mode ? 1 : 0;
    info_out->working_channels = 3;

    jpeg_destroy_decompress(&cinfo);
    return RG_CODEC_STATUS_OK;
}

/* Converts one row of CMYK samples to RGB; see rg_jpeg_decode in the header for the rule. */
static void rg_cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width, int inverted) {
    for (JDIMENSION x = 0; x < width; ++x) {
        uint32_t c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        rgb[3 * x] = (uint8_t)((c * k + 127) / 255);
        rgb[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
        rgb[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
    }
}

rg_codec_status rg_jpeg_decode(const uint8_t *data, size_t size, rg_jpeg_warning_policy policy,
                               uint32_t width, uint32_t height, uint8_t *pixels, size_t capacity,
                               char *message, size_t message_capacity) {
    rg_copy_message(message, message_capacity, "");
    if (pixels == NULL) {
        rg_copy_message(message, message_capacity, "missing pixel buffer");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    if (!rg_buffer_fits(width, height, 3, capacity)) {
        rg_copy_message(message, message_capacity, "pixel buffer too small for the JPEG");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    rg_codec_status status = rg_jpeg_check_input(data, size, message, message_capacity);
    if (status != RG_CODEC_STATUS_OK) {
        return status;
    }

    struct jpeg_decompress_struct cinfo;
    rg_jpeg_error_manager manager;
    rg_jpeg_prepare(&cinfo, &manager, policy, message, message_capacity);
    if (setjmp(manager.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return manager.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);

    if (cinfo.image_width != width || cinfo.image_height != height) {
        jpeg_destroy_decompress(&cinfo);
        rg_copy_message(message, message_capacity, "JPEG size differs from the size passed to the decoder");
        return RG_CODEC_STATUS_INVALID_ARGUMENT;
    }
    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default: {
        char text[96];
        snprintf(text, sizeof text, "JPEG colour space with %d components is not supported", cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        rg_copy_message(message, message_capacity, text);
        return RG_CODEC_STATUS_UNSUPPORTED;
    }
    }
    int inverted = cinfo.saw_Adobe_marker ? 1 : 0;

    (void)jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != width || cinfo.output_height != height ||
        cinfo.output_components != (cmyk ? 4 : 3)) {
        jpeg_destroy_decompress(&cinfo);
        rg_copy_message(message, message_capacity, "unexpected decoded JPEG layout");
        return RG_CODEC_STATUS_UNSUPPORTED;
    }
    /* Pool memory: released by jpeg_destroy_decompress on every path, including a longjmp. */
    JSAMPARRAY scratch = NULL;
    if (cmyk) {
        scratch = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, width * 4, 1);
    }
    size_t row_bytes = (size_t)width * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        JDIMENSION read;
        if (cmyk) {
            read = jpeg_read_scanlines(&cinfo, scratch, 1);
            if (read == 1) {
                rg_cmyk_row_to_rgb(scratch[0], row, width, inverted);
            }
        } else {
            JSAMPROW rows[1] = { row };
            read = jpeg_read_scanlines(&cinfo, rows, 1);
        }
        if (read != 1) {
            jpeg_destroy_decompress(&cinfo);
            rg_copy_message(message, message_capacity, "libjpeg returned no scanline");
            return RG_CODEC_STATUS_CORRUPT;
        }
    }
    (void)jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return RG_CODEC_STATUS_OK;
}
