#include "tools/import/import.h"
int
import_octodns(struct import *im, const char *name, const char *text, size_t len)
{
	dnsd_err_add(im->err, "%s: not yet", name);
	return -1;
}
