/*
 * csv_reader.c — streaming RFC 4180 tokenizer.
 *
 * The file is read in 1 MiB pieces into a buffer; a record may span pieces,
 * so the tokenizer keeps no pointer into the buffer across a refill and
 * copies field bytes (unescaped) into the caller's batch instead.  Unquoted
 * fields are copied span by span: a 256-entry table marks the bytes that
 * can end one (delimiter, CR, LF, NUL), so the inner loop is one load and
 * one test per byte, then one memcpy per span.
 *
 * Dialect (RFC 4180 plus what real exports do):
 *   - records end with LF, CRLF or a lone CR; the last one may lack it;
 *   - a field starting with a double quote is quoted: it runs to the next
 *     lone quote and may hold delimiters, line breaks and doubled quotes;
 *     after the closing quote only a delimiter or a line end may follow;
 *   - a quote inside an unquoted field is an ordinary character;
 *   - completely empty lines are skipped (as pandas does);
 *   - a UTF-8 byte order mark at the start of the file is skipped;
 *   - NUL bytes are refused (the text would be cut at them in HDF5).
 * Line numbers count physical lines, so an error inside a multi-line
 * record names the line an editor shows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import_internal.h"

#define READ_BUFFER_BYTES (1u << 20)

static void set_stop_table(csv_reader *reader)
{
    memset(reader->stop_unquoted, 0, sizeof reader->stop_unquoted);
    reader->stop_unquoted[reader->delimiter] = 1;
    reader->stop_unquoted['\n'] = 1;
    reader->stop_unquoted['\r'] = 1;
    reader->stop_unquoted[0] = 1;
    memcpy(reader->stop_simple, reader->stop_unquoted, sizeof reader->stop_simple);
    reader->stop_simple['"'] = 1;
    memset(reader->stop_quoted, 0, sizeof reader->stop_quoted);
    reader->stop_quoted['"'] = 1;
    reader->stop_quoted['\n'] = 1;
    reader->stop_quoted[0] = 1;
}

/* Makes sure at least one unread byte is in the buffer.  Returns 1 when
 * there is one, 0 at end of file, -1 on a read error (*status set). */
static int fill(csv_reader *reader, clm_status *status)
{
    if (reader->pos < reader->len)
        return 1;
    if (reader->eof)
        return 0;
    reader->bytes_before += (int64_t)reader->len;
    reader->pos = 0;
    reader->len = fread(reader->buffer, 1, reader->read_size, reader->file);
    reader->buffer[reader->len] = '\n'; /* sentinel for next_simple_record */
    if (reader->len == 0) {
        if (ferror(reader->file)) {
            *status = clm_error(CLM_E_IO, "%s: read error near line %lld: %s", reader->path,
                                (long long)reader->line, strerror(errno));
            return -1;
        }
        reader->eof = 1;
        return 0;
    }
    return 1;
}

static clm_status skip_bom(csv_reader *reader)
{
    clm_status status = CLM_OK;
    if (fill(reader, &status) < 0)
        return status;
    if (reader->len - reader->pos >= 3 && reader->buffer[0] == 0xEF &&
        reader->buffer[1] == 0xBB && reader->buffer[2] == 0xBF)
        reader->pos = 3;
    return CLM_OK;
}

clm_status csv_reader_open_stream(csv_reader *reader, FILE *file, const char *name,
                                  char delimiter)
{
    memset(reader, 0, sizeof *reader);
    reader->path = name;
    reader->file = file;
    reader->delimiter = (unsigned char)delimiter;
    reader->line = 1;
    reader->file_size = -1;
    set_stop_table(reader);
    /* Our own buffer does the buffering; stdio's would only copy twice. */
    setvbuf(file, NULL, _IONBF, 0);
    struct stat st;
    if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode))
        reader->file_size = (int64_t)st.st_size;
    reader->buffer_size = READ_BUFFER_BYTES;
    reader->read_size = READ_BUFFER_BYTES;
    reader->buffer = malloc(reader->buffer_size + 1); /* + the sentinel */
    if (!reader->buffer)
        return clm_error(CLM_E_NOMEM, "%s: out of memory for the read buffer", name);
    return skip_bom(reader);
}

clm_status csv_reader_open(csv_reader *reader, const char *path, char delimiter)
{
    memset(reader, 0, sizeof *reader);
    FILE *file = fopen(path, "rb");
    if (!file)
        return clm_error(CLM_E_OPEN, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(file), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(file);
        return clm_error(CLM_E_OPEN,
                         S_ISDIR(st.st_mode) ? "%s: is a directory"
                                             : "%s: not a regular file (the import reads it "
                                               "twice, so a pipe or device will not do)",
                         path);
    }
    return csv_reader_open_stream(reader, file, path, delimiter);
}

clm_status csv_reader_rewind(csv_reader *reader)
{
    if (fseek(reader->file, 0, SEEK_SET) != 0)
        return clm_error(CLM_E_IO, "%s: cannot rewind for the second pass: %s", reader->path,
                         strerror(errno));
    clearerr(reader->file);
    reader->pos = reader->len = 0;
    reader->eof = 0;
    reader->line = 1;
    reader->bytes_before = 0;
    return skip_bom(reader);
}

void csv_reader_close(csv_reader *reader)
{
    if (reader->file)
        fclose(reader->file);
    free(reader->buffer);
    memset(reader, 0, sizeof *reader);
}

/* Room for `extra` more bytes plus a NUL in the text arena. */
static clm_status reserve_text(csv_reader *reader, csv_batch *batch, size_t extra)
{
    size_t need = batch->text_used + extra + 1;
    if (need <= batch->text_capacity)
        return CLM_OK;
    size_t capacity = batch->text_capacity ? batch->text_capacity : 4096;
    while (capacity < need)
        capacity *= 2;
    char *text = realloc(batch->text, capacity);
    if (!text)
        return clm_error(CLM_E_NOMEM, "%s: out of memory near line %lld", reader->path,
                         (long long)reader->line);
    batch->text = text;
    batch->text_capacity = capacity;
    return CLM_OK;
}

/* Appends bytes to the field being read; refuses overlong fields. */
static clm_status append(csv_reader *reader, csv_batch *batch, size_t field_start,
                         int64_t field_line, int64_t field_index,
                         const unsigned char *bytes, size_t n)
{
    if (batch->text_used - field_start + n > CSV_MAX_FIELD_BYTES)
        return clm_error(CLM_E_FORMAT,
                         "%s: line %lld: field %lld is longer than %d bytes "
                         "(an unbalanced quote?)",
                         reader->path, (long long)field_line, (long long)field_index + 1,
                         CSV_MAX_FIELD_BYTES);
    clm_status status = reserve_text(reader, batch, n);
    if (status)
        return status;
    memcpy(batch->text + batch->text_used, bytes, n);
    batch->text_used += n;
    return CLM_OK;
}

static clm_status nul_error(const csv_reader *reader, int64_t field_index)
{
    return clm_error(CLM_E_FORMAT, "%s: line %lld: field %lld holds a NUL byte (binary data?)",
                     reader->path, (long long)reader->line, (long long)field_index + 1);
}

/* Consumes the LF of a CRLF pair after a CR was consumed. */
static clm_status after_cr(csv_reader *reader)
{
    clm_status status = CLM_OK;
    int f = fill(reader, &status);
    if (f < 0)
        return status;
    if (f > 0 && reader->buffer[reader->pos] == '\n')
        reader->pos++;
    return CLM_OK;
}

/* Reads the rest of a quoted field (the opening quote already consumed). */
static clm_status read_quoted(csv_reader *reader, csv_batch *batch, int store,
                              size_t field_start, int64_t field_index)
{
    clm_status status = CLM_OK;
    int64_t open_line = reader->line;
    for (;;) {
        int f = fill(reader, &status);
        if (f < 0)
            return status;
        if (f == 0)
            return clm_error(CLM_E_FORMAT,
                             "%s: line %lld: field %lld: quote opened here is never closed "
                             "(unterminated quote at end of file)",
                             reader->path, (long long)open_line, (long long)field_index + 1);
        const unsigned char *p = reader->buffer + reader->pos;
        const unsigned char *end = reader->buffer + reader->len;
        const unsigned char *q = p;
        while (q < end && *q != '"' && *q != '\n' && *q != 0)
            q++;
        if (store && q > p) {
            status = append(reader, batch, field_start, open_line, field_index, p, (size_t)(q - p));
            if (status)
                return status;
        }
        reader->pos = (size_t)(q - reader->buffer);
        if (q == end)
            continue;
        if (*q == 0)
            return nul_error(reader, field_index);
        reader->pos++;
        if (*q == '\n') {
            reader->line++;
            if (store && (status = append(reader, batch, field_start, open_line, field_index,
                                          q, 1)))
                return status;
            continue;
        }
        /* A quote: doubled means a literal quote, single closes the field. */
        f = fill(reader, &status);
        if (f < 0)
            return status;
        if (f > 0 && reader->buffer[reader->pos] == '"') {
            reader->pos++;
            if (store && (status = append(reader, batch, field_start, open_line, field_index,
                                          (const unsigned char *)"\"", 1)))
                return status;
            continue;
        }
        break;
    }
    int f = fill(reader, &status);
    if (f < 0)
        return status;
    if (f > 0) {
        unsigned char c = reader->buffer[reader->pos];
        if (c != reader->delimiter && c != '\n' && c != '\r') {
            if (c >= 0x20 && c < 0x7f)
                return clm_error(CLM_E_FORMAT,
                                 "%s: line %lld: field %lld: unexpected '%c' after a closing "
                                 "quote (a quote inside a quoted field must be doubled)",
                                 reader->path, (long long)reader->line,
                                 (long long)field_index + 1, (char)c);
            return clm_error(CLM_E_FORMAT,
                             "%s: line %lld: field %lld: unexpected byte 0x%02x after a "
                             "closing quote (a quote inside a quoted field must be doubled)",
                             reader->path, (long long)reader->line,
                             (long long)field_index + 1, (unsigned)c);
        }
    }
    return CLM_OK;
}

/* Reads an unquoted field up to (not including) its delimiter or line end. */
static clm_status read_unquoted(csv_reader *reader, csv_batch *batch, int store,
                                size_t field_start, int64_t field_index)
{
    clm_status status = CLM_OK;
    for (;;) {
        int f = fill(reader, &status);
        if (f < 0)
            return status;
        if (f == 0)
            return CLM_OK;
        const unsigned char *p = reader->buffer + reader->pos;
        const unsigned char *end = reader->buffer + reader->len;
        const unsigned char *q = p;
        while (q < end && !reader->stop_unquoted[*q])
            q++;
        if (store && q > p) {
            status = append(reader, batch, field_start, reader->line, field_index, p,
                            (size_t)(q - p));
            if (status)
                return status;
        }
        reader->pos = (size_t)(q - reader->buffer);
        if (q == end)
            continue;
        if (*q == 0)
            return nul_error(reader, field_index);
        return CLM_OK;
    }
}

/* Records the field just read as the next one of the batch. */
static clm_status store_field(csv_reader *reader, csv_batch *batch, size_t field_start)
{
    if (batch->n_fields == batch->max_fields) {
        /* Only the header batch (any width) grows; data batches are sized. */
        size_t capacity = batch->max_fields * 2;
        size_t *start = realloc(batch->start, capacity * sizeof *start);
        if (!start)
            return clm_error(CLM_E_NOMEM, "%s: out of memory in the header", reader->path);
        batch->start = start;
        uint32_t *length = realloc(batch->length, capacity * sizeof *length);
        if (!length)
            return clm_error(CLM_E_NOMEM, "%s: out of memory in the header", reader->path);
        batch->length = length;
        batch->max_fields = capacity;
    }
    clm_status status = reserve_text(reader, batch, 0);
    if (status)
        return status;
    batch->text[batch->text_used] = '\0';
    batch->start[batch->n_fields] = field_start;
    batch->length[batch->n_fields] = (uint32_t)(batch->text_used - field_start);
    batch->n_fields++;
    batch->text_used++;
    return CLM_OK;
}

/* Fast path for the common record: a whole line already in the buffer,
 * with exactly the expected number of fields, unquoted or quoted (doubled
 * quotes included) but without line breaks inside quotes, stray quotes,
 * lone CRs or NULs.  One pass copies field bytes while looking up each
 * byte in a stop table; the LF sentinel after the buffer ends the scan of
 * a line cut by the buffer end, so the loops need no bounds test.  Returns
 * 1 when the record was taken, 0 to let the general path handle it (which
 * then also reports any error); the batch and reader are only changed on
 * success. */
static int next_simple_record(csv_reader *reader, csv_batch *batch)
{
    const int expected = batch->n_columns;
    if (expected <= 0)
        return 0;
    const unsigned char *p = reader->buffer + reader->pos;
    const unsigned char *end = reader->buffer + reader->len;
    /* Room for every byte left in the buffer plus the NULs: no test per
     * field.  The arena grows at most by one buffer beyond a batch. */
    size_t room = (size_t)(end - p) + (size_t)expected;
    if (batch->text_used + room + 1 > batch->text_capacity &&
        reserve_text(reader, batch, room) != CLM_OK)
        return 0;
    const unsigned char *stop = reader->stop_simple;
    const unsigned char *stop_quoted = reader->stop_quoted;
    const unsigned char delimiter = reader->delimiter;
    char *text = batch->text;
    size_t out = batch->text_used;
    size_t k = batch->n_fields;
    int n_fields = 0;
    const unsigned char *q = p;
    unsigned char c;
    for (;;) {
        size_t field_start = out;
        if (*q == '"') {
            q++;
            for (;;) {
                while (!stop_quoted[c = *q]) {
                    text[out++] = (char)c;
                    q++;
                }
                if (c != '"')
                    return 0; /* line break inside quotes, NUL, or buffer end */
                if (q[1] != '"')
                    break; /* closing quote (q[1] may be the sentinel) */
                text[out++] = '"';
                q += 2;
            }
            c = *++q;
            if (c != delimiter && c != '\r' && c != '\n')
                return 0; /* text after the closing quote: reported there */
        } else {
            while (!stop[c = *q]) {
                text[out++] = (char)c;
                q++;
            }
        }
        if (n_fields == expected)
            return 0; /* too many fields: the general path reports it */
        text[out++] = '\0';
        batch->start[k] = field_start;
        batch->length[k] = (uint32_t)(out - 1 - field_start);
        k++;
        n_fields++;
        if (c != delimiter)
            break;
        q++;
    }
    /* The field ended at a line end, a quote, a CR or NUL, or the sentinel. */
    const unsigned char *newline = q;
    if (c == '\r' && q + 1 < end && q[1] == '\n')
        newline = q + 1;
    else if (c != '\n' || q >= end)
        return 0;
    if (n_fields != expected)
        return 0;
    batch->n_fields = k;
    batch->text_used = out;
    batch->line[batch->n_rows++] = reader->line;
    reader->line++;
    reader->pos = (size_t)(newline + 1 - reader->buffer);
    return 1;
}

clm_status csv_reader_next(csv_reader *reader, csv_batch *batch, int *got)
{
    clm_status status = CLM_OK;
    *got = 0;
    if (reader->pos < reader->len && !reader->general_only) {
        unsigned char c = reader->buffer[reader->pos];
        if (c != '\n' && c != '\r' && next_simple_record(reader, batch)) {
            *got = 1;
            return CLM_OK;
        }
    }
    /* Skip empty lines. */
    for (;;) {
        int f = fill(reader, &status);
        if (f < 0)
            return status;
        if (f == 0)
            return CLM_OK;
        unsigned char c = reader->buffer[reader->pos];
        if (c == '\n') {
            reader->pos++;
            reader->line++;
        } else if (c == '\r') {
            reader->pos++;
            reader->line++;
            if ((status = after_cr(reader)))
                return status;
        } else {
            break;
        }
    }

    const int64_t record_line = reader->line;
    const int expected = batch->n_columns;
    const size_t fields_before = batch->n_fields;
    const size_t text_before = batch->text_used;
    int64_t n_fields = 0;
    for (;;) {
        /* Fields beyond the expected count are parsed (to report how many
         * there are) but not stored. */
        int store = expected == 0 || n_fields < expected;
        size_t field_start = batch->text_used;
        int f = fill(reader, &status);
        if (f < 0)
            goto fail;
        if (f > 0 && reader->buffer[reader->pos] == '"') {
            reader->pos++;
            status = read_quoted(reader, batch, store, field_start, n_fields);
        } else {
            status = read_unquoted(reader, batch, store, field_start, n_fields);
        }
        if (status)
            goto fail;
        if (store && (status = store_field(reader, batch, field_start)))
            goto fail;
        n_fields++;
        if (expected == 0 && n_fields > CSV_MAX_COLUMNS) {
            status = clm_error(CLM_E_FORMAT, "%s: line %lld: more than %d columns",
                               reader->path, (long long)record_line, CSV_MAX_COLUMNS);
            goto fail;
        }
        f = fill(reader, &status);
        if (f < 0)
            goto fail;
        if (f == 0)
            break;
        unsigned char c = reader->buffer[reader->pos++];
        if (c == reader->delimiter)
            continue;
        reader->line++;
        if (c == '\r' && (status = after_cr(reader)))
            goto fail;
        break; /* c was a line end: the readers stop only at these */
    }
    if (expected > 0 && n_fields != expected) {
        status = clm_error(CLM_E_FORMAT, "%s: line %lld has %lld field%s, the header has %d",
                           reader->path, (long long)record_line, (long long)n_fields,
                           n_fields == 1 ? "" : "s", expected);
        goto fail;
    }
    batch->line[batch->n_rows++] = record_line;
    *got = 1;
    return CLM_OK;

fail:
    batch->n_fields = fields_before;
    batch->text_used = text_before;
    return status;
}
