#include "rg_image_codecs.h"
int rg_image_codecs_version(void) { return 1; }
