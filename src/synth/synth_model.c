/*
 * synth_model.c — building and freeing the read-only model shared by the
 * threads of the generator: segment profiles and branch tables.  Its size
 * depends on the numbers of segments and branches, never on the rows.
 */
#include <stdlib.h>

#include "synth/synth_internal.h"

clm_status synth_model_create(const clm_synth_params *params, synth_model **out)
{
    *out = NULL;
    synth_model *m = calloc(1, sizeof *m);
    if (!m)
        return clm_error(CLM_E_NOMEM, "synth: out of memory for the model");
    m->seed = params->seed;
    m->n_segments = params->n_segments;
    m->n_branches = params->n_branches;
    m->lever = params->lever;
    size_t nb = (size_t)params->n_branches, ns = (size_t)params->n_segments;
    m->segments = calloc(ns, sizeof *m->segments);
    m->segment_cdf = calloc(ns, sizeof *m->segment_cdf);
    m->segment_guide = calloc(ns, sizeof *m->segment_guide);
    m->branch_guide = calloc(nb, sizeof *m->branch_guide);
    m->branch_names = calloc(nb, sizeof *m->branch_names);
    m->branch_cdf = calloc(nb, sizeof *m->branch_cdf);
    m->branch_hazard = calloc(nb, sizeof *m->branch_hazard);
    m->branch_price = calloc(nb, sizeof *m->branch_price);
    m->branch_network = calloc(nb, sizeof *m->branch_network);
    m->branch_region = calloc(nb, sizeof *m->branch_region);
    if (!m->branch_region || !m->segments || !m->segment_cdf || !m->segment_guide || !m->branch_guide ||
        !m->branch_names || !m->branch_cdf ||
        !m->branch_hazard || !m->branch_price || !m->branch_network) {
        synth_model_free(m);
        return clm_error(CLM_E_NOMEM, "synth: out of memory for the model");
    }
    synth_profiles_fill(m->segments, m->segment_cdf, m->n_segments);
    clm_status st = synth_branches_fill(m);
    if (st != CLM_OK) {
        synth_model_free(m);
        return st;
    }
    synth_guide_fill(m->segment_cdf, m->n_segments, m->segment_guide);
    synth_guide_fill(m->branch_cdf, m->n_branches, m->branch_guide);
    *out = m;
    return CLM_OK;
}

void synth_model_free(synth_model *model)
{
    if (!model)
        return;
    if (model->branch_names)
        for (int32_t b = 0; b < model->n_branches; b++)
            free(model->branch_names[b]);
    free(model->branch_names);
    free(model->segments);
    free(model->segment_cdf);
    free(model->segment_guide);
    free(model->branch_guide);
    free(model->branch_cdf);
    free(model->branch_hazard);
    free(model->branch_price);
    free(model->branch_network);
    free(model->branch_region);
    free(model);
}
