#ifndef RG_CODEC_INTERNAL_H
#define RG_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Copies `text` into `message` (capacity bytes, always NUL-terminated when capacity > 0). */
void rg_copy_message(char *message, size_t capacity, const char *text);

/* Whether width * height * channels bytes fit in `capacity` (without overflow). */
int rg_buffer_fits(uint32_t width, uint32_t height, uint32_t channels, size_t capacity);

#endif /* RG_CODEC_INTERNAL_H */
