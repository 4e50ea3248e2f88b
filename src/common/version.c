#include "xrdsym/xs_common.h"

#include <hdf5.h>
#include <spglib.h>
#include <stdio.h>
#include <zip.h>

#ifndef XS_VERSION_STRING
#define XS_VERSION_STRING "0.0.0"
#endif

const char *xs_version(void) { return XS_VERSION_STRING; }

const char *xs_build_features(void)
{
    static char text[512];
    if (!text[0]) {
        unsigned maj, min, rel;
        H5get_libversion(&maj, &min, &rel);
        snprintf(text, sizeof text,
                 "spglib %d.%d.%d; libcif (CIF API); HDF5 %u.%u.%u; OpenBLAS; libzip %s; form factors: "
                 "Waasmaier-Kirfel (built in), pymatgen (from file)",
                 spg_get_major_version(), spg_get_minor_version(), spg_get_micro_version(), maj, min, rel, zip_libzip_version());
    }
    return text;
}
