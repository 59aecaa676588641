#include <stdlib.h>
#include <string.h>

#include "rg_codec_internal.h"
#include "rg_image_codecs.h"

void rg_copy_message(char *message, size_t capacity, const char *text) {
    if (message == NULL || capacity == 0) {
        return;
    }
    if (text == NULL) {
        text = "";
    }
    size_t length = strlen(text);
    if (length >= capacity) {
        length = capacity - 1;
    }
    memcpy(message, text, length);
    message[length] = '\0';
}

int rg_buffer_fits(uint32_t width, uint32_t height, uint32_t channels, size_t capacity) {
    uint64_t needed = (uint64_t)width * (uint64_t)height;
    if (channels != 0 && needed > UINT64_MAX / channels) {
        return 0;
    }
    needed *= channels;
    return needed <= (uint64_t)capacity;
}

void rg_codec_free(void *buffer) {
    free(buffer);
}
