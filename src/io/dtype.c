/*
 * dtype.c — mapping between clmseg's clm_dtype and HDF5 datatypes.
 */
#include <hdf5.h>

#include "io/io_internal.h"

static const char *const dtype_names[] = {
    "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "float32", "float64", "string", "other"};

const char *clm_dtype_name(clm_dtype dtype)
{
    if ((unsigned)dtype > CLM_DT_OTHER)
        return "other";
    return dtype_names[dtype];
}

int clm_dtype_size(clm_dtype dtype)
{
    switch (dtype) {
    case CLM_DT_INT8: case CLM_DT_UINT8: return 1;
    case CLM_DT_INT16: case CLM_DT_UINT16: return 2;
    case CLM_DT_INT32: case CLM_DT_UINT32: case CLM_DT_FLOAT32: return 4;
    case CLM_DT_INT64: case CLM_DT_UINT64: case CLM_DT_FLOAT64: return 8;
    default: return 0;
    }
}

void io_silence_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* HDF5 keeps freed blocks (the type-conversion and chunk buffers of
     * every read) on its own free lists, unbounded by default: reading a
     * 2M-row quarter left 17 MB there, more than a tenth of the feature
     * rows, and on R ranks that is R times over.  4 MB in all, 1 MB per
     * list, is enough to reuse a block buffer from one read to the next. */
    static int limited = 0;
    if (!limited) {
        H5set_free_list_limits(-1, -1, -1, -1, 4 << 20, 1 << 20);
        limited = 1;
    }
}

hid_t io_native_type(clm_dtype dtype)
{
    switch (dtype) {
    case CLM_DT_INT8: return H5T_NATIVE_INT8;
    case CLM_DT_UINT8: return H5T_NATIVE_UINT8;
    case CLM_DT_INT16: return H5T_NATIVE_INT16;
    case CLM_DT_UINT16: return H5T_NATIVE_UINT16;
    case CLM_DT_INT32: return H5T_NATIVE_INT32;
    case CLM_DT_UINT32: return H5T_NATIVE_UINT32;
    case CLM_DT_INT64: return H5T_NATIVE_INT64;
    case CLM_DT_UINT64: return H5T_NATIVE_UINT64;
    case CLM_DT_FLOAT32: return H5T_NATIVE_FLOAT;
    case CLM_DT_FLOAT64: return H5T_NATIVE_DOUBLE;
    default: return H5I_INVALID_HID;
    }
}

static clm_dtype integer_dtype(size_t size, H5T_sign_t sign)
{
    int is_signed = sign != H5T_SGN_NONE;
    switch (size) {
    case 1: return is_signed ? CLM_DT_INT8 : CLM_DT_UINT8;
    case 2: return is_signed ? CLM_DT_INT16 : CLM_DT_UINT16;
    case 4: return is_signed ? CLM_DT_INT32 : CLM_DT_UINT32;
    case 8: return is_signed ? CLM_DT_INT64 : CLM_DT_UINT64;
    default: return CLM_DT_OTHER;
    }
}

clm_dtype io_dtype_of(hid_t type, int *is_enum)
{
    *is_enum = 0;
    switch (H5Tget_class(type)) {
    case H5T_INTEGER:
        return integer_dtype(H5Tget_size(type), H5Tget_sign(type));
    case H5T_FLOAT: {
        size_t size = H5Tget_size(type);
        return size == 4 ? CLM_DT_FLOAT32 : size == 8 ? CLM_DT_FLOAT64 : CLM_DT_OTHER;
    }
    case H5T_STRING:
        return CLM_DT_STRING;
    case H5T_ENUM: {
        hid_t base = H5Tget_super(type);
        if (base < 0)
            return CLM_DT_OTHER;
        clm_dtype d = H5Tget_class(base) == H5T_INTEGER
                          ? integer_dtype(H5Tget_size(base), H5Tget_sign(base))
                          : CLM_DT_OTHER;
        H5Tclose(base);
        *is_enum = d != CLM_DT_OTHER;
        return d;
    }
    default:
        return CLM_DT_OTHER;
    }
}
