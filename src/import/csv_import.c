/*
 * csv_import.c — clm_import_csv(): CSV with a header row to columnar HDF5.
 *
 * Two streaming passes over the file, each reading one bounded batch of
 * rows at a time:
 *
 *   pass 1 (infer)    the widest kind of every column (none < int < float <
 *                     text), whether it has missing values, the row count;
 *   pass 2 (convert)  every field to its column's type (int64, float64, or
 *                     an int32 category code), written block by block
 *                     through writer.h into datasets created with the row
 *                     count from pass 1.
 *
 * Tokenizing is sequential (a record boundary depends on every quote
 * before it), so it is pipelined: while one thread tokenizes batch k + 1,
 * the others classify or convert the columns of batch k (classifying,
 * parsing numbers, looking up categories), two batches alternating.  Each
 * column of a batch is handled by one thread and batches go in file
 * order, so the output, category codes included, is the same for any
 * thread count.  HDF5 calls stay on the calling thread, between the
 * parallel regions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/import.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"
#include "core/util_internal.h"
#include "import/import_internal.h"

void clm_import_params_default(clm_import_params *params)
{
    memset(params, 0, sizeof *params);
    params->group = CLM_DEFAULT_GROUP;
    params->delimiter = ',';
    params->block_rows = CLM_BLOCK_ROWS;
}

clm_status clm_import_params_check(const clm_import_params *params)
{
    if (!params)
        return clm_error(CLM_E_PARAM, "import: params is NULL");
    if (!params->group || !params->group[0])
        return clm_error(CLM_E_PARAM, "import: the output group name is empty");
    char d = params->delimiter;
    if (d == '"' || d == '\n' || d == '\r' || d == '\0')
        return clm_error(CLM_E_PARAM,
                         "import: the delimiter cannot be a quote, a line break or NUL");
    if (params->n_threads < 0)
        return clm_error(CLM_E_PARAM, "import: n_threads %d is negative (0 = all cores)",
                         (int)params->n_threads);
    if (params->block_rows < 1 || params->block_rows > (INT64_C(1) << 26))
        return clm_error(CLM_E_PARAM, "import: block_rows %lld is outside [1, 2^26]",
                         (long long)params->block_rows);
    return CLM_OK;
}

/* One column of the CSV and its output dataset. */
typedef struct import_column {
    char *name;          /* as in the header                              */
    char *path;          /* dataset path: group + "/" + name              */
    csv_kind kind;       /* widest kind seen (pass 1)                     */
    int64_t n_missing;   /* missing fields (pass 1; not counted for text) */
    clm_dtype dtype;     /* stored type                                   */
    int dataset;         /* writer's dataset index                        */
    csv_dict dict;       /* categories of a text column                   */
    void *values;        /* one batch of converted values                 */
    clm_status status;   /* failure inside the parallel region            */
    char message[256];   /* ...and its detail (thread-local otherwise)    */
} import_column;

typedef struct import_job {
    const clm_import_params *params;
    const char *csv_path;
    csv_reader reader;
    csv_batch header;
    csv_batch batches[2]; /* one tokenized while the other is processed */
    int n_columns;
    import_column *columns;
    int64_t n_rows;
} import_job;

static void job_free(import_job *job)
{
    if (job->columns) {
        for (int j = 0; j < job->n_columns; j++) {
            free(job->columns[j].name);
            free(job->columns[j].path);
            free(job->columns[j].values);
            csv_dict_free(&job->columns[j].dict);
        }
        free(job->columns);
    }
    csv_batch_free(&job->header);
    csv_batch_free(&job->batches[0]);
    csv_batch_free(&job->batches[1]);
    csv_reader_close(&job->reader);
}

/* Dataset path of a column: "<group>/<name>", the group given with or
 * without its leading or trailing slash. */
static char *dataset_path(const char *group, const char *name)
{
    size_t g = strlen(group);
    while (g > 0 && group[g - 1] == '/')
        g--;
    const char *lead = group[0] == '/' ? "" : "/";
    size_t n = strlen(lead) + g + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s%.*s/%s", lead, (int)g, group, name);
    return path;
}

/* Reads the header row and checks the column names. */
static clm_status read_header(import_job *job)
{
    clm_status status;
    int got;
    if ((status = csv_reader_next(&job->reader, &job->header, &got)))
        return status;
    if (!got)
        return clm_error(CLM_E_EMPTY, "%s: the file is empty (a header row is needed)",
                         job->csv_path);
    const int64_t line = job->header.line[0];
    job->n_columns = (int)job->header.n_fields;
    job->columns = calloc((size_t)job->n_columns, sizeof *job->columns);
    if (!job->columns)
        return clm_error(CLM_E_NOMEM, "%s: out of memory for %d columns", job->csv_path,
                         job->n_columns);
    for (int j = 0; j < job->n_columns; j++) {
        import_column *col = &job->columns[j];
        csv_dict_init(&col->dict);
        const char *text = job->header.text + job->header.start[j];
        size_t length = job->header.length[j];
        size_t k = 0;
        while (k < length && (text[k] == ' ' || text[k] == '\t'))
            k++;
        if (k == length)
            return clm_error(CLM_E_FORMAT, "%s: line %lld: column %d has an empty name",
                             job->csv_path, (long long)line, j + 1);
        if (memchr(text, '/', length) || (length == 1 && text[0] == '.'))
            return clm_error(CLM_E_FORMAT,
                             "%s: line %lld: column %d name '%s' cannot be an HDF5 dataset "
                             "name (no '/', not '.')",
                             job->csv_path, (long long)line, j + 1, text);
        for (int i = 0; i < j; i++)
            if (!strcmp(job->columns[i].name, text))
                return clm_error(CLM_E_FORMAT,
                                 "%s: line %lld: duplicate column name '%s' (columns %d and %d)",
                                 job->csv_path, (long long)line, text, i + 1, j + 1);
        col->name = util_strndup(text, length);
        col->path = dataset_path(job->params->group, text);
        if (!col->name || !col->path)
            return clm_error(CLM_E_NOMEM, "%s: out of memory for the header", job->csv_path);
    }
    return CLM_OK;
}

/* Fills `batch` with up to max_rows records (none at end of file). */
static clm_status read_batch(import_job *job, csv_batch *batch)
{
    csv_batch_clear(batch);
    int got = 1;
    while (batch->n_rows < batch->max_rows) {
        clm_status status = csv_reader_next(&job->reader, batch, &got);
        if (status)
            return status;
        if (!got)
            break;
    }
    return CLM_OK;
}

/* Pass 1 on column j of a batch: widen the column's kind.  A text column
 * needs no further look, so a text-heavy file scans at tokenizer speed. */
static void infer_column(import_job *job, const csv_batch *batch, int j)
{
    import_column *col = &job->columns[j];
    csv_kind kind = col->kind;
    int64_t missing = 0;
    for (int64_t i = 0; i < batch->n_rows && kind != CSV_TEXT; i++) {
        size_t length;
        const char *text = csv_batch_field(batch, i, j, &length);
        csv_kind k = csv_classify(text, length);
        if (k == CSV_NONE)
            missing++;
        else if (k > kind)
            kind = k;
    }
    col->kind = kind;
    col->n_missing += missing;
}

/* Pass 2 on column j of a batch: convert it into col->values. */
static clm_status convert_column(import_job *job, const csv_batch *batch, int j)
{
    import_column *col = &job->columns[j];
    for (int64_t i = 0; i < batch->n_rows; i++) {
        size_t length;
        const char *text = csv_batch_field(batch, i, j, &length);
        int bad = 0;
        switch (col->dtype) {
        case CLM_DT_INT64:
            bad = csv_parse_int64(text, length, (int64_t *)col->values + i);
            break;
        case CLM_DT_FLOAT64: {
            double *out = (double *)col->values + i;
            if (csv_is_missing(text, length))
                *out = NAN;
            else
                bad = csv_parse_float64(text, length, out);
            break;
        }
        default: { /* categorical */
            int32_t *out = (int32_t *)col->values + i;
            if (csv_is_missing(text, length)) {
                *out = -1;
            } else {
                clm_status status = csv_dict_code(&col->dict, text, length, out);
                if (status) {
                    char why[256];
                    snprintf(why, sizeof why, "%s", clm_error_detail());
                    return clm_error(status, "%s: line %lld: column '%s': %s", job->csv_path,
                                     (long long)batch->line[i], col->name, why);
                }
            }
            break;
        }
        }
        if (bad) /* pass 1 saw a number here: the file changed in between */
            return clm_error(CLM_E_IO,
                             "%s: line %lld: column '%s': '%s' is not a %s although the first "
                             "pass found one (did the file change during the import?)",
                             job->csv_path, (long long)batch->line[i], col->name, text,
                             col->dtype == CLM_DT_INT64 ? "integer" : "number");
    }
    return CLM_OK;
}

typedef enum column_work { WORK_INFER, WORK_CONVERT } column_work;

/* One step of a pass: tokenizes the next batch into `next` while the
 * columns of `current` (if any) are inferred or converted.  One thread
 * takes the tokenizing (a single construct without a barrier) and then
 * joins the others on the columns, so with T threads the sequential
 * tokenizer overlaps T - 1 threads of field work.  Each column of a batch
 * is handled by one thread and batches go in file order, so results do not
 * depend on the thread count.  Failures are recorded per task (detail
 * messages are thread-local) and reported after the region: the earlier
 * lines (current batch, by column) first. */
static clm_status pipeline_step(import_job *job, csv_batch *next, const csv_batch *current,
                                column_work work)
{
    clm_status read_status = CLM_OK;
    char read_message[1024] = "";
    const int n_columns = current ? job->n_columns : 0;
    #pragma omp parallel num_threads(util_threads(job->params->n_threads))
    {
        #pragma omp single nowait
        {
            read_status = read_batch(job, next);
            if (read_status)
                snprintf(read_message, sizeof read_message, "%s", clm_error_detail());
        }
        #pragma omp for schedule(dynamic, 1)
        for (int j = 0; j < n_columns; j++) {
            if (work == WORK_INFER) {
                infer_column(job, current, j);
            } else {
                import_column *col = &job->columns[j];
                clm_status status = convert_column(job, current, j);
                if (status && !col->status) {
                    col->status = status;
                    snprintf(col->message, sizeof col->message, "%s", clm_error_detail());
                }
            }
        }
    }
    for (int j = 0; j < n_columns; j++)
        if (job->columns[j].status)
            return clm_error(job->columns[j].status, "%s", job->columns[j].message);
    if (read_status)
        return clm_error(read_status, "%s", read_message);
    return CLM_OK;
}

static void report(const clm_import_params *params, const char *step, int64_t done,
                   int64_t total)
{
    if (params->progress && total >= 0)
        params->progress(params->progress_ctx, step, done, total);
}

static clm_status pass_infer(import_job *job)
{
    clm_status status;
    int cur = 0;
    if ((status = pipeline_step(job, &job->batches[cur], NULL, WORK_INFER)))
        return status;
    while (job->batches[cur].n_rows > 0) {
        if ((status = pipeline_step(job, &job->batches[1 - cur], &job->batches[cur],
                                    WORK_INFER)))
            return status;
        job->n_rows += job->batches[cur].n_rows;
        if (csv_reader_offset(&job->reader) < job->reader.file_size)
            report(job->params, "infer types", csv_reader_offset(&job->reader),
                   job->reader.file_size);
        cur = 1 - cur;
    }
    report(job->params, "infer types", job->reader.file_size, job->reader.file_size);
    return CLM_OK;
}

/* Stored type of each column, and its dataset. */
static clm_status create_datasets(import_job *job, clm_writer *writer)
{
    for (int j = 0; j < job->n_columns; j++) {
        import_column *col = &job->columns[j];
        switch (col->kind) {
        case CSV_TEXT:
            col->dtype = CLM_DT_INT32;
            break;
        case CSV_INT:
            col->dtype = col->n_missing ? CLM_DT_FLOAT64 : CLM_DT_INT64;
            break;
        default: /* float, or only missing values */
            col->dtype = CLM_DT_FLOAT64;
            break;
        }
        col->values = malloc((size_t)job->batches[0].max_rows * 8);
        if (!col->values)
            return clm_error(CLM_E_NOMEM, "import: out of memory for column '%s'", col->name);
        clm_status status =
            clm_writer_column_create(writer, col->path, col->dtype, job->n_rows, &col->dataset);
        if (status)
            return status;
    }
    return CLM_OK;
}

static clm_status pass_convert(import_job *job, clm_writer *writer)
{
    clm_status status;
    int got;
    if ((status = csv_reader_rewind(&job->reader)))
        return status;
    csv_batch_clear(&job->header);
    if ((status = csv_reader_next(&job->reader, &job->header, &got)))
        return status;
    int64_t row0 = 0;
    report(job->params, "convert", 0, job->n_rows);
    int cur = 0;
    if ((status = pipeline_step(job, &job->batches[cur], NULL, WORK_CONVERT)))
        return status;
    while (job->batches[cur].n_rows > 0) {
        const csv_batch *batch = &job->batches[cur];
        if (row0 + batch->n_rows > job->n_rows)
            return clm_error(CLM_E_IO, "%s: the file grew during the import (line %lld)",
                             job->csv_path, (long long)batch->line[0]);
        if ((status = pipeline_step(job, &job->batches[1 - cur], batch, WORK_CONVERT)))
            return status;
        /* HDF5 is not thread-safe: the writes stay outside the region. */
        for (int j = 0; j < job->n_columns; j++) {
            import_column *col = &job->columns[j];
            if ((status = clm_writer_column_write(writer, col->dataset, row0, batch->n_rows,
                                                  col->values)))
                return status;
        }
        row0 += batch->n_rows;
        report(job->params, "convert", row0, job->n_rows);
        cur = 1 - cur;
    }
    if (row0 != job->n_rows)
        return clm_error(CLM_E_IO, "%s: the file shrank during the import (%lld rows, then %lld)",
                         job->csv_path, (long long)job->n_rows, (long long)row0);
    for (int j = 0; j < job->n_columns; j++) {
        import_column *col = &job->columns[j];
        if (col->dtype != CLM_DT_INT32)
            continue;
        status = clm_writer_attr_strings(writer, col->path, "categories",
                                         (const char *const *)col->dict.strings, col->dict.count);
        if (status)
            return status;
    }
    return CLM_OK;
}

clm_status clm_import_csv(const clm_import_params *params, const char *csv_path,
                          clm_writer *writer)
{
    clm_status status = clm_import_params_check(params);
    if (status)
        return status;
    if (!csv_path || !writer)
        return clm_error(CLM_E_PARAM, "import: the CSV path and an output writer are needed");

    import_job job;
    memset(&job, 0, sizeof job);
    job.params = params;
    job.csv_path = csv_path;

    if ((status = csv_reader_open(&job.reader, csv_path, params->delimiter)))
        goto done;
    if ((status = csv_batch_init(&job.header, 0, 1)))
        goto done;
    if ((status = read_header(&job)))
        goto done;
    /* A wide table gets fewer rows per batch, so a batch stays bounded. */
    int64_t batch_rows = CSV_BATCH_FIELDS / job.n_columns;
    if (batch_rows > params->block_rows)
        batch_rows = params->block_rows;
    if (batch_rows < 1)
        batch_rows = 1;
    if ((status = csv_batch_init(&job.batches[0], job.n_columns, batch_rows)) ||
        (status = csv_batch_init(&job.batches[1], job.n_columns, batch_rows)))
        goto done;
    if ((status = pass_infer(&job)))
        goto done;
    if ((status = create_datasets(&job, writer)))
        goto done;
    status = pass_convert(&job, writer);

done:
    job_free(&job);
    return status;
}
