/*
 * synth.c — the public entry points of the quarter generator: parameters
 * and the driver that streams blocks into the output file.
 *
 * The driver alternates two phases per block: generate the block in
 * parallel (synth_block.c, OpenMP inside), then write each column's slice
 * from this thread through clm_writer (HDF5 is not thread-safe).  Memory
 * is the model plus one block; the file is written under a temporary name
 * and renamed by clm_writer_commit, so a failed run leaves nothing behind.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "clmseg/writer.h"
#include "synth/synth_internal.h"

void clm_synth_params_default(clm_synth_params *params)
{
    params->n_rows = 1000000;
    params->n_branches = 300;
    params->n_segments = 8;
    params->seed = 42;
    params->n_threads = 0;
    params->block_rows = CLM_BLOCK_ROWS;
    params->progress = NULL;
    params->progress_ctx = NULL;
    clm_synth_lever_default(&params->lever);
}

clm_status clm_synth_params_check(const clm_synth_params *params)
{
    if (!params)
        return clm_error(CLM_E_PARAM, "synth: parameters are NULL");
    if (params->n_rows < 1)
        return clm_error(CLM_E_PARAM, "synth: rows must be at least 1 (got %lld)",
                         (long long)params->n_rows);
    if (params->n_branches < 1 || params->n_branches > 100000)
        return clm_error(CLM_E_PARAM, "synth: branches must be in [1, 100000] (got %d)",
                         (int)params->n_branches);
    if (params->n_segments < 1 || params->n_segments > 64)
        return clm_error(CLM_E_PARAM, "synth: segments must be in [1, 64] (got %d)",
                         (int)params->n_segments);
    if (params->n_threads < 0)
        return clm_error(CLM_E_PARAM, "synth: threads must be >= 0 (got %d)",
                         (int)params->n_threads);
    if (params->block_rows < 1)
        return clm_error(CLM_E_PARAM, "synth: block_rows must be at least 1 (got %lld)",
                         (long long)params->block_rows);
    return synth_lever_check(&params->lever);
}

/* Dataset paths and attributes that describe the file, written before the
 * rows so that a reader of a committed file always finds them. */
static clm_status write_metadata(clm_writer *writer, const clm_synth_params *params,
                                 const synth_model *model)
{
    clm_status st;
    const char *stages[SYNTH_N_STAGES] = {"A", "B", "C", "D", "E"};
    const char **segment_names = malloc((size_t)model->n_segments * sizeof *segment_names);
    if (!segment_names)
        return clm_error(CLM_E_NOMEM, "synth: out of memory");
    for (int32_t s = 0; s < model->n_segments; s++)
        segment_names[s] = model->segments[s].name;
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, params->seed);

    if ((st = clm_writer_attr_strings(writer, "/subscribers/branch", "categories",
                                      (const char *const *)model->branch_names,
                                      model->n_branches)) ||
        (st = clm_writer_attr_strings(writer, "/subscribers/region", "categories",
                                      model->region_names, model->n_regions)) ||
        (st = clm_writer_attr_strings(writer, "/subscribers/plan", "categories",
                                      synth_plan_names, SYNTH_N_PLANS)) ||
        (st = clm_writer_attr_strings(writer, "/truth/stage", "stages", stages,
                                      SYNTH_N_STAGES)) ||
        (st = clm_writer_attr_strings(writer, "/truth/segment", "segments",
                                      segment_names, model->n_segments)) ||
        (st = clm_writer_attr_string(writer, "/subscribers", "generator", "clmseg synth")) ||
        (st = clm_writer_attr_string(writer, "/subscribers", "seed", seed_text)) ||
        (st = clm_writer_attr_i64(writer, "/subscribers", "branches", params->n_branches)) ||
        (st = clm_writer_attr_i64(writer, "/subscribers", "segments", params->n_segments)) ||
        (st = clm_writer_attr_f64(writer, "/subscribers", "window_months",
                                  SYNTH_WINDOW_MONTHS))) {
        free(segment_names);
        return st;
    }
    free(segment_names);
    return CLM_OK;
}

/* The lever's attributes on /truth (docs/synth.md): the text as given and
 * its parsed values, so a checker needs no parser of its own. */
static clm_status write_lever_metadata(clm_writer *writer, const clm_synth_lever *lever)
{
    const char *letters[SYNTH_N_STAGES] = {"A", "B", "C", "D", "E"};
    const char *stages[SYNTH_N_STAGES];
    int n_stages = 0;
    for (int s = 0; s < SYNTH_N_STAGES; s++)
        if (lever->stages & (1u << s))
            stages[n_stages++] = letters[s];
    clm_status st;
    if ((st = clm_writer_attr_string(writer, "/truth", "lever", lever->text)) ||
        (st = clm_writer_attr_f64(writer, "/truth", "lever_hazard_ratio", lever->hazard_ratio)) ||
        (st = clm_writer_attr_f64(writer, "/truth", "lever_months", lever->months)) ||
        (st = clm_writer_attr_strings(writer, "/truth", "lever_stages", stages, n_stages)) ||
        (st = clm_writer_attr_f64(writer, "/truth", "lever_arpu_min", lever->arpu_min)) ||
        (st = clm_writer_attr_f64(writer, "/truth", "lever_arpu_max", lever->arpu_max)))
        return st;
    return CLM_OK;
}

/* Rows targeted in a block's lever_target column (the last column). */
static int64_t count_targets(const synth_block *block, int64_t count)
{
    const uint8_t *target = block->data[synth_n_columns - 1];
    int64_t n = 0;
    for (int64_t i = 0; i < count; i++)
        n += target[i];
    return n;
}

clm_status clm_synth_write(const clm_synth_params *params, clm_writer *writer)
{
    clm_status st = clm_synth_params_check(params);
    if (st != CLM_OK)
        return st;
    if (!writer)
        return clm_error(CLM_E_PARAM, "synth: no output writer");

    synth_model *model = NULL;
    synth_block block = {0};
    int columns[SYNTH_MAX_COLUMNS];
    int64_t n_rows = params->n_rows;
    int64_t capacity = params->block_rows < n_rows ? params->block_rows : n_rows;
    int64_t n_targets = 0;
    int n_columns = 0;

    if ((st = synth_model_create(params, &model)) ||
        (st = synth_block_alloc(&block, capacity)) ||
        (st = clm_writer_group(writer, "/subscribers")) ||
        (st = clm_writer_group(writer, "/truth")))
        goto fail;
    n_columns = synth_file_columns(model);
    for (int c = 0; c < n_columns; c++)
        if ((st = clm_writer_column_create(writer, synth_columns[c].path,
                                           synth_columns[c].dtype, n_rows, &columns[c])))
            goto fail;
    if ((st = write_metadata(writer, params, model)) ||
        (model->lever.enabled && (st = write_lever_metadata(writer, &model->lever))))
        goto fail;

    if (params->progress)
        params->progress(params->progress_ctx, "synth", 0, n_rows);
    for (int64_t row0 = 0; row0 < n_rows; row0 += capacity) {
        int64_t count = util_block_len(n_rows, row0, capacity);
        synth_block_generate(model, &block, row0, count, params->n_threads);
        for (int c = 0; c < n_columns; c++)
            if ((st = clm_writer_column_write(writer, columns[c], row0, count, block.data[c])))
                goto fail;
        if (model->lever.enabled)
            n_targets += count_targets(&block, count);
        if (params->progress)
            params->progress(params->progress_ctx, "synth", row0 + count, n_rows);
    }
    if (model->lever.enabled &&
        (st = clm_writer_attr_i64(writer, "/truth", "lever_targets", n_targets)))
        goto fail;
    synth_block_free(&block);
    synth_model_free(model);
    return CLM_OK;

fail:
    synth_block_free(&block);
    synth_model_free(model);
    return st;
}
