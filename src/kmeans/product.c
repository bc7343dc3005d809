/*
 * product.c — the block of dot products behind every assignment pass,
 *     dots (nb x ld, row-major) = -2 X C^T     (first k columns used),
 * computed either by one cblas_sgemm per block or, for k <= 8, by the
 * register-blocked kernel in kernels/dots.c.
 *
 * Why two ways: at k <= 8 OpenBLAS 0.3.21 leaves half or more of its
 * vector lanes idle, and the product, not memory, bounds the pass.
 * Measured on this node, 1 thread, 2M rows, ns per row (sgemm / fused):
 *     d = 16, k = 8: 5.1 / 3.4      d = 16, k = 5: 5.1 / 3.5
 *     d = 22, k = 6: 7.1 / 4.5      d = 64, k = 8: 27.9 / 16.9
 *     d = 64, k = 3: 16.0 / 18.5    d = 16, k = 16: 5.3 / 7.4
 * so the fused kernel is chosen for k <= 8 unless k < 4 with d > 32, and
 * BLAS otherwise (its packed kernels win as k grows).  The choice depends
 * only on (k, d, CPU), never on the thread count, so results stay
 * bit-identical for any number of threads.
 */
#include <cblas.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

const char *const km_product_names[3] = {"auto", "sgemm", "fused"};

int km_product_choose(int method, int k, int n_features)
{
    if (method != KM_PRODUCT_AUTO)
        return method;
    if (k <= 8 && (k >= 4 || n_features <= 32))
        return KM_PRODUCT_FUSED;
    return KM_PRODUCT_BLAS;
}

/* Measured on this node (1 thread, 1M x 16 rows, k = 8, 256-row blocks):
 * Cooperlake core NT 7.0 ms, NN 5.1 ms (the small-matrix kernel, no
 * packing); forcing the Haswell core: NT 5.3 ms, NN 8.0 ms (NN packs like
 * NT and its kernel shape fits worse).  The small-matrix kernels of
 * OpenBLAS 0.3.21 take "NN" only on its AVX-512 cores. */
static int blas_wants_nn(void)
{
    const char *core = openblas_get_corename();
    return core && (strstr(core, "SkylakeX") || strstr(core, "Cooperlake") ||
                    strstr(core, "SapphireRapids"));
}

clm_status km_product_init(km_product *p, const clm_kernels *kernels, int method,
                           const float *centroids, int k, int n_features)
{
    const int d = n_features;
    memset(p, 0, sizeof *p);
    p->kernels = kernels_resolve(kernels);
    p->method = km_product_choose(method, k, d);
    p->k = k;
    p->d = d;
    p->centroids = centroids;
    p->ld = k;
    if (p->method == KM_PRODUCT_FUSED) {
        p->ld = (k + 7) / 8 * 8;
        p->prepared = calloc((size_t)d * (size_t)p->ld, sizeof(float));
        if (!p->prepared)
            return clm_error(CLM_E_NOMEM, "k-means: out of memory preparing the centroids");
        /* -2 is exact in float, so the dots equal -2 (x . c) rounded once */
        for (int j = 0; j < k; j++)
            for (int f = 0; f < d; f++)
                p->prepared[(int64_t)f * p->ld + j] = -2.0f * centroids[(int64_t)j * d + f];
    } else if (blas_wants_nn()) {
        p->blas_nn = 1;
        p->prepared = malloc(sizeof(float) * (size_t)k * (size_t)d);
        if (!p->prepared)
            return clm_error(CLM_E_NOMEM, "k-means: out of memory preparing the centroids");
        for (int j = 0; j < k; j++)
            for (int f = 0; f < d; f++)
                p->prepared[(int64_t)f * k + j] = centroids[(int64_t)j * d + f];
    }
    return CLM_OK;
}

void km_product_block(const km_product *p, const float *x, int64_t nb, float *dots)
{
    if (p->method == KM_PRODUCT_FUSED)
        p->kernels->dots_f32(x, nb, p->d, p->prepared, p->ld, dots);
    else if (p->blas_nn)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, p->k, p->d, -2.0f, x,
                    p->d, p->prepared, p->k, 0.0f, dots, p->k);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, p->k, p->d, -2.0f, x,
                    p->d, p->centroids, p->d, 0.0f, dots, p->k);
}

void km_product_free(km_product *p)
{
    free(p->prepared);
    p->prepared = NULL;
}
