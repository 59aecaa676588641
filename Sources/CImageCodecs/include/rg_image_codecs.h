#ifndef RG_IMAGE_CODECS_H
#define RG_IMAGE_CODECS_H
/* Placeholder: the image issue fills this C target with libpng/libjpeg wrappers. */
int rg_image_codecs_version(void);
#endif
