/*
 * h5_driver.c — the HDF5 file driver of clm_writer outputs: POSIX I/O like
 * HDF5's own sec2 driver (the same feature flags, so the same bytes), but a
 * failed write is recorded instead of returned.
 *
 * Why: HDF5 1.10 does not survive a write failure inside a flush.  A
 * failed H5Fflush leaves the metadata cache unable to flush again ("slist
 * already enabled?"), so the H5Fclose that follows fails too, and a failed
 * H5Fclose leaves the file registered half destroyed: the library crashes
 * when it shuts down at exit.  With this driver the library never sees a
 * write fail.  The first failure (ENOSPC, EFBIG, EDQUOT, EIO) is stored in
 * the int the writer passed through the access property list; from then on
 * every write and truncation is dropped, so the file closes cleanly and the
 * writer, which checks the int after each call, reports the error and
 * removes the file.  The writer also sets the int to discard a file it
 * aborts.  A clean close syncs the file to disk (fsync), so a file system
 * that reports a full disk only then (NFS, quotas) is caught before the
 * rename.
 *
 * Reads are plain preads (past the end of the file, zeros, as in sec2):
 * HDF5 may read back metadata it evicted from its cache.  There is no file
 * locking: outputs are new temporary files of this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/io_internal.h"

typedef struct driver_file {
    H5FD_t pub;       /* first: HDF5 sees this part */
    int fd;
    int writable;
    int *error;       /* the writer's: first failed write's errno, or 0 */
    haddr_t eoa, eof;
    dev_t device;
    ino_t inode;
} driver_file;

/* What the access property list carries: where to record failures. */
typedef struct driver_info {
    int *error;
} driver_info;

static int record(driver_file *f, int error)
{
    if (!*f->error)
        *f->error = error ? error : EIO;
    return 0;
}

static H5FD_t *driver_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)maxaddr;
    const driver_info *info = H5Pget_driver_info(fapl);
    if (!info || !info->error)
        return NULL;
    int o_flags = O_CLOEXEC | ((flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY);
    if (flags & H5F_ACC_TRUNC) o_flags |= O_TRUNC;
    if (flags & H5F_ACC_CREAT) o_flags |= O_CREAT;
    if (flags & H5F_ACC_EXCL) o_flags |= O_EXCL;
    driver_file *f = calloc(1, sizeof *f);
    if (!f) {
        *info->error = ENOMEM;
        return NULL;
    }
    struct stat st;
    f->error = info->error;
    f->fd = open(name, o_flags, 0666);
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        /* H5Fcreate first tries to open the file as it is, to see whether
         * it is open already: that failure is expected, not recorded. */
        if (flags & H5F_ACC_CREAT)
            *info->error = errno;
        if (f->fd >= 0)
            close(f->fd);
        free(f);
        return NULL;
    }
    f->writable = (flags & H5F_ACC_RDWR) != 0;
    f->eof = (haddr_t)st.st_size;
    f->device = st.st_dev;
    f->inode = st.st_ino;
    return &f->pub;
}

static herr_t driver_close(H5FD_t *file)
{
    driver_file *f = (driver_file *)file;
    if (f->writable && !*f->error && fsync(f->fd) != 0)
        record(f, errno);
    if (close(f->fd) != 0 && f->writable)
        record(f, errno);
    free(f);
    return 0;
}

static int driver_cmp(const H5FD_t *a, const H5FD_t *b)
{
    const driver_file *x = (const driver_file *)a, *y = (const driver_file *)b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    return 0;
}

static herr_t driver_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    /* sec2's flags: they decide how space is laid out, hence the bytes. */
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE | H5FD_FEAT_SUPPORTS_SWMR_IO |
             H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
    return 0;
}

static haddr_t driver_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const driver_file *)file)->eoa;
}

static herr_t driver_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((driver_file *)file)->eoa = addr;
    return 0;
}

static haddr_t driver_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const driver_file *)file)->eof;
}

static herr_t driver_get_handle(H5FD_t *file, hid_t fapl, void **handle)
{
    (void)fapl;
    *handle = &((driver_file *)file)->fd;
    return 0;
}

static herr_t driver_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size, void *buffer)
{
    (void)type;
    (void)dxpl;
    driver_file *f = (driver_file *)file;
    char *at = buffer;
    while (size > 0) {
        ssize_t n = pread(f->fd, at, size, (off_t)addr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) { /* past the end of the file: zeros */
            memset(at, 0, size);
            break;
        }
        at += n;
        addr += (haddr_t)n;
        size -= (size_t)n;
    }
    return 0;
}

static herr_t driver_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                           const void *buffer)
{
    (void)type;
    (void)dxpl;
    driver_file *f = (driver_file *)file;
    const haddr_t end = addr + size;
    const char *at = buffer;
    while (size > 0 && !*f->error) {
        ssize_t n = pwrite(f->fd, at, size, (off_t)addr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            record(f, n < 0 ? errno : EIO);
            break;
        }
        at += n;
        addr += (haddr_t)n;
        size -= (size_t)n;
    }
    if (end > f->eof)
        f->eof = end;
    return 0;
}

static herr_t driver_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing)
{
    (void)dxpl;
    (void)closing;
    driver_file *f = (driver_file *)file;
    if (f->eoa != f->eof && !*f->error && ftruncate(f->fd, (off_t)f->eoa) != 0)
        record(f, errno);
    f->eof = f->eoa;
    return 0;
}

static const H5FD_class_t driver_class = {
    .name = "clmseg",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(driver_info),
    .open = driver_open,
    .close = driver_close,
    .cmp = driver_cmp,
    .query = driver_query,
    .get_eoa = driver_get_eoa,
    .set_eoa = driver_set_eoa,
    .get_eof = driver_get_eof,
    .get_handle = driver_get_handle,
    .read = driver_read,
    .write = driver_write,
    .truncate = driver_truncate,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

int io_h5_driver_use(hid_t fapl, int *error)
{
    /* Registered once per library lifetime (like HDF5's own drivers); the
     * id is checked in case the library was closed and reopened. */
    static hid_t driver = H5I_INVALID_HID;
    if (driver < 0 || H5Iis_valid(driver) <= 0)
        driver = H5FDregister(&driver_class);
    const driver_info info = {error};
    return driver >= 0 && H5Pset_driver(fapl, driver, &info) >= 0 ? 0 : -1;
}
