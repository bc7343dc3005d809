/*
 * test_csv_parse.c — the CSV tokenizer, the field grammar and the category
 * dictionary of src/import, on hand-written cases whose expected fields and
 * values are written out here (and, for floats, compared with strtod).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_internal.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct parsed {
    csv_reader reader;
    csv_batch header;
    csv_batch rows;
    clm_status status; /* of the first failing call, or CLM_OK */
} parsed;

/* Writes `bytes` to a file and parses all of it: header, then every row. */
static void parse_bytes(parsed *p, const char *bytes, size_t n, char delimiter)
{
    const char *dir = tu_tmpdir("csv_parse");
    const char *path = tu_path(dir, "in.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
    memset(p, 0, sizeof *p);
    assert_int_equal(csv_reader_open(&p->reader, path, delimiter), CLM_OK);
    assert_int_equal(csv_batch_init(&p->header, 0, 1), CLM_OK);
    int got;
    p->status = csv_reader_next(&p->reader, &p->header, &got);
    if (p->status || !got) {
        assert_int_equal(csv_batch_init(&p->rows, 1, 1), CLM_OK);
        return;
    }
    assert_int_equal(csv_batch_init(&p->rows, (int)p->header.n_fields, 1 << 16), CLM_OK);
    while (p->rows.n_rows < p->rows.max_rows) {
        p->status = csv_reader_next(&p->reader, &p->rows, &got);
        if (p->status || !got)
            break;
    }
}

static void parse_text(parsed *p, const char *text)
{
    parse_bytes(p, text, strlen(text), ',');
}

static void parsed_free(parsed *p)
{
    csv_batch_free(&p->header);
    csv_batch_free(&p->rows);
    csv_reader_close(&p->reader);
}

static const char *header_field(const parsed *p, int j)
{
    return p->header.text + p->header.start[j];
}

static void assert_field(const parsed *p, int64_t row, int column, const char *expected)
{
    size_t length;
    const char *text = csv_batch_field(&p->rows, row, column, &length);
    assert_int_equal(length, strlen(expected));
    assert_memory_equal(text, expected, length);
    assert_int_equal(text[length], '\0');
}

/* ---- tokenizer ---------------------------------------------------------- */

static void test_simple(void **state)
{
    (void)state;
    parsed p;
    parse_text(&p, "a,b,c\n1,2,3\nx,y,z\n");
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.header.n_fields, 3);
    assert_string_equal(header_field(&p, 0), "a");
    assert_string_equal(header_field(&p, 2), "c");
    assert_int_equal(p.rows.n_rows, 2);
    assert_field(&p, 0, 0, "1");
    assert_field(&p, 0, 2, "3");
    assert_field(&p, 1, 1, "y");
    assert_int_equal(p.rows.line[0], 2);
    assert_int_equal(p.rows.line[1], 3);
    parsed_free(&p);
}

static void test_quotes(void **state)
{
    (void)state;
    parsed p;
    /* Commas, doubled quotes, an LF and a CRLF inside quotes, an empty quoted
     * field, a quote inside an unquoted field (kept as written). */
    parse_text(&p, "\"name\",\"note\",n\r\n"
                   "\"Smith, J\",\"he said \"\"hi\"\"\",1\r\n"
                   "\"two\nlines\",\"\",2\r\n"
                   "\"crlf\r\ninside\",ab\"c,3\r\n"
                   "\"\"\"\",\"a\"\"\",4\r\n");
    assert_int_equal(p.status, CLM_OK);
    assert_string_equal(header_field(&p, 0), "name");
    assert_string_equal(header_field(&p, 2), "n");
    assert_int_equal(p.rows.n_rows, 4);
    assert_field(&p, 0, 0, "Smith, J");
    assert_field(&p, 0, 1, "he said \"hi\"");
    assert_field(&p, 1, 0, "two\nlines");
    assert_field(&p, 1, 1, "");
    assert_field(&p, 2, 0, "crlf\r\ninside");
    assert_field(&p, 2, 1, "ab\"c");
    assert_field(&p, 3, 0, "\"");
    assert_field(&p, 3, 1, "a\"");
    assert_field(&p, 3, 2, "4");
    /* Physical lines: rows start on lines 2, 3, 5 and 7. */
    assert_int_equal(p.rows.line[0], 2);
    assert_int_equal(p.rows.line[1], 3);
    assert_int_equal(p.rows.line[2], 5);
    assert_int_equal(p.rows.line[3], 7);
    parsed_free(&p);
}

static void test_line_ends(void **state)
{
    (void)state;
    const char *variants[] = {
        "a,b\n1,2\n3,4\n",     /* LF, trailing newline   */
        "a,b\n1,2\n3,4",       /* no trailing newline    */
        "a,b\r\n1,2\r\n3,4\r\n", /* CRLF                */
        "a,b\r\n1,2\r\n3,4",   /* CRLF, none at the end  */
        "a,b\r1,2\r3,4\r",     /* old Mac CR             */
        "\n\na,b\n\n1,2\r\n\r\n3,4\n\n\n", /* blank lines anywhere are skipped */
        "\xEF\xBB\xBF" "a,b\n1,2\n3,4\n",  /* UTF-8 byte order mark */
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        parsed p;
        parse_text(&p, variants[v]);
        assert_int_equal(p.status, CLM_OK);
        assert_int_equal(p.header.n_fields, 2);
        assert_string_equal(header_field(&p, 0), "a");
        assert_string_equal(header_field(&p, 1), "b");
        assert_int_equal(p.rows.n_rows, 2);
        assert_field(&p, 0, 0, "1");
        assert_field(&p, 0, 1, "2");
        assert_field(&p, 1, 0, "3");
        assert_field(&p, 1, 1, "4");
        parsed_free(&p);
    }
}

static void test_empty_fields(void **state)
{
    (void)state;
    parsed p;
    parse_text(&p, "a,b,c\n,,\n\"\",x,\nNA, ,\"\"\n");
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.rows.n_rows, 3);
    assert_field(&p, 0, 0, "");
    assert_field(&p, 0, 2, "");
    assert_field(&p, 1, 0, "");
    assert_field(&p, 1, 1, "x");
    assert_field(&p, 1, 2, "");
    assert_field(&p, 2, 0, "NA");
    assert_field(&p, 2, 1, " ");
    assert_field(&p, 2, 2, "");
    parsed_free(&p);
}

static void test_other_delimiter(void **state)
{
    (void)state;
    parsed p;
    const char *text = "a;b\tc\n\"1;2\";3\t4\n";
    parse_bytes(&p, text, strlen(text), ';');
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.header.n_fields, 2);
    assert_string_equal(header_field(&p, 1), "b\tc");
    assert_field(&p, 0, 0, "1;2");
    assert_field(&p, 0, 1, "3\t4");
    parsed_free(&p);
}

static void test_header_only_and_empty(void **state)
{
    (void)state;
    parsed p;
    parse_text(&p, "a,b\n");
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.header.n_fields, 2);
    assert_int_equal(p.rows.n_rows, 0);
    parsed_free(&p);

    parse_text(&p, "");
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.header.n_rows, 0); /* no record at all */
    parsed_free(&p);

    parse_text(&p, "\r\n\n\r\n");
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.header.n_rows, 0);
    parsed_free(&p);
}

static void test_errors(void **state)
{
    (void)state;
    parsed p;
    parse_text(&p, "a,b\n1,2\n3,\"never\nclosed\n");
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 3"));
    assert_non_null(strstr(clm_error_detail(), "field 2"));
    assert_non_null(strstr(clm_error_detail(), "unterminated quote"));
    assert_int_equal(p.rows.n_rows, 1);
    parsed_free(&p);

    parse_text(&p, "a,b\n1,2\n\"x\ny\",2\n1,2,3\n");
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 5 has 3 fields, the header has 2"));
    parsed_free(&p);

    parse_text(&p, "a,b\n1\n");
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 2 has 1 field, the header has 2"));
    parsed_free(&p);

    parse_text(&p, "a,b\n\"x\"y,2\n");
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 2: field 1: unexpected 'y'"));
    parsed_free(&p);

    parse_bytes(&p, "a,b\n1,x\0y\n", 10, ',');
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 2: field 2 holds a NUL byte"));
    parsed_free(&p);
}

static void test_overlong_field(void **state)
{
    (void)state;
    size_t n = (size_t)CSV_MAX_FIELD_BYTES + 100;
    char *text = malloc(n + 32);
    assert_non_null(text);
    strcpy(text, "a\n1\n\"");
    size_t used = strlen(text);
    memset(text + used, 'x', n);
    used += n;
    parsed p;
    parse_bytes(&p, text, used, ',');
    assert_int_equal(p.status, CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "line 3: field 1 is longer than"));
    parsed_free(&p);
    free(text);
}

/* Records that straddle the 1 MiB read buffer in every state of the
 * tokenizer (inside quotes, on a doubled quote, between CR and LF): the
 * fields must come out the same as they were written. */
static void test_buffer_boundaries(void **state)
{
    (void)state;
    const int n_rows = 40000;
    size_t capacity = 8u << 20, used = 0;
    char *text = malloc(capacity);
    assert_non_null(text);
    used += (size_t)sprintf(text + used, "id,quoted,plain\r\n");
    for (int i = 0; i < n_rows; i++) {
        /* Row lengths vary so that boundaries fall everywhere. */
        int pad = (i * 7919) % 61;
        used += (size_t)sprintf(text + used, "%d,\"q%d,\"\"%.*s\"\"\n\",p%d\r\n", i, i, pad,
                                "-------------------------------------------------------------",
                                i);
    }
    parsed p;
    parse_bytes(&p, text, used, ',');
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.rows.n_rows, n_rows);
    char expected[256];
    for (int i = 0; i < n_rows; i++) {
        int pad = (i * 7919) % 61;
        snprintf(expected, sizeof expected, "%d", i);
        assert_field(&p, i, 0, expected);
        snprintf(expected, sizeof expected, "q%d,\"%.*s\"\n", i, pad,
                 "-------------------------------------------------------------");
        assert_field(&p, i, 1, expected);
        snprintf(expected, sizeof expected, "p%d", i);
        assert_field(&p, i, 2, expected);
        assert_int_equal(p.rows.line[i], 2 + 2 * (int64_t)i);
    }
    parsed_free(&p);
    free(text);
}

/* The same for one-line CRLF records, unquoted or quoted with a comma and
 * a doubled quote (the tokenizer's fast path), with a ragged row far into
 * the file: the error must name its line. */
static void test_buffer_boundaries_plain(void **state)
{
    (void)state;
    const int n_rows = 60000;
    size_t capacity = 8u << 20, used = 0;
    char *text = malloc(capacity);
    assert_non_null(text);
    used += (size_t)sprintf(text + used, "id,pad,last\r\n");
    for (int i = 0; i < n_rows; i++) {
        int pad = (int)(((int64_t)i * 104729) % 47);
        used += (size_t)sprintf(text + used, "%d,%.*s,%s\r\n", i, pad,
                                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                i % 3 == 0 ? "" : i % 3 == 1 ? "z" : "\"a,\"\"b\"");
    }
    parsed p;
    parse_bytes(&p, text, used, ',');
    assert_int_equal(p.status, CLM_OK);
    assert_int_equal(p.rows.n_rows, n_rows);
    char expected[64];
    for (int i = 0; i < n_rows; i++) {
        snprintf(expected, sizeof expected, "%d", i);
        assert_field(&p, i, 0, expected);
        snprintf(expected, sizeof expected, "%.*s", (int)(((int64_t)i * 104729) % 47),
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_field(&p, i, 1, expected);
        assert_field(&p, i, 2, i % 3 == 0 ? "" : i % 3 == 1 ? "z" : "a,\"b");
        assert_int_equal(p.rows.line[i], 2 + (int64_t)i);
    }
    parsed_free(&p);

    used += (size_t)sprintf(text + used, "1,2\r\n");
    parse_bytes(&p, text, used, ',');
    assert_int_equal(p.status, CLM_E_FORMAT);
    snprintf(expected, sizeof expected, "line %d has 2 fields", n_rows + 2);
    assert_non_null(strstr(clm_error_detail(), expected));
    parsed_free(&p);
    free(text);
}

/* ---- field grammar ------------------------------------------------------ */

static csv_kind kind_of(const char *s) { return csv_classify(s, strlen(s)); }

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(kind_of(""), CSV_NONE);
    assert_int_equal(kind_of("   "), CSV_NONE);
    assert_int_equal(kind_of("NA"), CSV_NONE);
    assert_int_equal(kind_of(" NA\t"), CSV_NONE);
    assert_int_equal(kind_of("1"), CSV_INT);
    assert_int_equal(kind_of("-0"), CSV_INT);
    assert_int_equal(kind_of("+5"), CSV_INT);
    assert_int_equal(kind_of(" 7"), CSV_INT);
    assert_int_equal(kind_of("7 "), CSV_INT);
    assert_int_equal(kind_of("007"), CSV_INT);
    assert_int_equal(kind_of("9223372036854775807"), CSV_INT);
    assert_int_equal(kind_of("-9223372036854775808"), CSV_INT);
    assert_int_equal(kind_of("9223372036854775808"), CSV_FLOAT);  /* beyond int64 */
    assert_int_equal(kind_of("-9223372036854775809"), CSV_FLOAT);
    assert_int_equal(kind_of("123456789012345678901234567890"), CSV_FLOAT);
    assert_int_equal(kind_of("1.0"), CSV_FLOAT);
    assert_int_equal(kind_of("1e3"), CSV_FLOAT);
    assert_int_equal(kind_of("1E-3"), CSV_FLOAT);
    assert_int_equal(kind_of(".5"), CSV_FLOAT);
    assert_int_equal(kind_of("5."), CSV_FLOAT);
    assert_int_equal(kind_of("-.5e+2"), CSV_FLOAT);
    assert_int_equal(kind_of("na"), CSV_TEXT);
    assert_int_equal(kind_of("nan"), CSV_TEXT);
    assert_int_equal(kind_of("NaN"), CSV_TEXT);
    assert_int_equal(kind_of("inf"), CSV_TEXT);
    assert_int_equal(kind_of("0x10"), CSV_TEXT);
    assert_int_equal(kind_of("1,5"), CSV_TEXT);
    assert_int_equal(kind_of("1 2"), CSV_TEXT);
    assert_int_equal(kind_of("."), CSV_TEXT);
    assert_int_equal(kind_of("-"), CSV_TEXT);
    assert_int_equal(kind_of("1e"), CSV_TEXT);
    assert_int_equal(kind_of("e5"), CSV_TEXT);
    assert_int_equal(kind_of("1e+"), CSV_TEXT);
    assert_int_equal(kind_of("$3"), CSV_TEXT);
    assert_int_equal(kind_of("Yes"), CSV_TEXT);
    assert_true(csv_is_missing("", 0));
    assert_true(csv_is_missing(" NA ", 4));
    assert_false(csv_is_missing("NAN", 3));
    assert_false(csv_is_missing("0", 1));
}

static void test_parse_int(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(csv_parse_int64("-0", 2, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(csv_parse_int64(" 7", 2, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(csv_parse_int64("+42\t", 4, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(csv_parse_int64("9223372036854775807", 19, &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(csv_parse_int64("-9223372036854775808", 20, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(csv_parse_int64("9223372036854775808", 19, &v), -1);
    assert_int_equal(csv_parse_int64("1.0", 3, &v), -1);
    assert_int_equal(csv_parse_int64("", 0, &v), -1);
}

static double float_of(const char *s)
{
    double v = -12345.0;
    assert_int_equal(csv_parse_float64(s, strlen(s), &v), 0);
    return v;
}

static void test_parse_float(void **state)
{
    (void)state;
    assert_true(float_of("1") == 1.0);
    assert_true(float_of("1.0") == 1.0);
    assert_true(float_of("1e3") == 1000.0);
    assert_true(float_of("0.1") == 0.1);
    assert_true(float_of(" 29.85 ") == 29.85);
    assert_true(float_of("-.5e+2") == -50.0);
    assert_true(float_of("5.") == 5.0);
    double z = float_of("-0");
    assert_true(z == 0.0 && signbit(z));
    z = float_of("-0.0e5");
    assert_true(z == 0.0 && signbit(z));
    assert_true(float_of("9223372036854775808") == 9223372036854775808.0);
    assert_true(float_of("123456789012345678901234567890") == 1.2345678901234568e29);
    assert_true(float_of("1e-400") == 0.0);
    assert_true(isinf(float_of("1e400")));
    assert_true(float_of("0.000000000000000000000000000001") == 1e-30);
    double v;
    assert_int_equal(csv_parse_float64("abc", 3, &v), -1);
    assert_int_equal(csv_parse_float64("inf", 3, &v), -1);
}

/* The fast path must give strtod's (correctly rounded) result bit for bit
 * on numbers of every shape: short and long mantissas, small and large
 * exponents, leading zeros. */
static void test_parse_float_matches_strtod(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    char text[96];
    for (int t = 0; t < 200000; t++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int n_digits = 1 + (int)(x % 20);
        int point = (int)((x >> 8) % (uint64_t)(n_digits + 1));
        int exponent = (int)((x >> 16) % 61) - 30;
        int use_exponent = (x >> 24) & 1;
        uint64_t y = x;
        size_t k = 0;
        if ((x >> 25) & 1)
            text[k++] = '-';
        for (int d = 0; d < n_digits; d++) {
            if (d == point && point > 0)
                text[k++] = '.';
            y = y * 6364136223846793005ull + 1442695040888963407ull;
            text[k++] = (char)('0' + (int)((y >> 33) % 10));
        }
        if (use_exponent)
            k += (size_t)snprintf(text + k, sizeof text - k, "e%d", exponent);
        text[k] = '\0';
        double mine;
        assert_int_equal(csv_parse_float64(text, k, &mine), 0);
        double ref = strtod(text, NULL);
        if (memcmp(&mine, &ref, sizeof mine) != 0)
            fail_msg("'%s': %.17g != strtod %.17g", text, mine, ref);
    }
}

/* ---- dictionary --------------------------------------------------------- */

static void test_dictionary(void **state)
{
    (void)state;
    csv_dict dict;
    csv_dict_init(&dict);
    int32_t code;
    assert_int_equal(csv_dict_code(&dict, "No", 2, &code), CLM_OK);
    assert_int_equal(code, 0);
    assert_int_equal(csv_dict_code(&dict, "Yes", 3, &code), CLM_OK);
    assert_int_equal(code, 1);
    assert_int_equal(csv_dict_code(&dict, "No", 2, &code), CLM_OK);
    assert_int_equal(code, 0);
    /* A prefix is a different string. */
    assert_int_equal(csv_dict_code(&dict, "Ye", 2, &code), CLM_OK);
    assert_int_equal(code, 2);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "cat-%d", i);
        assert_int_equal(csv_dict_code(&dict, buf, (size_t)n, &code), CLM_OK);
        assert_int_equal(code, 3 + i);
    }
    for (int i = 19999; i >= 0; i -= 7) {
        int n = snprintf(buf, sizeof buf, "cat-%d", i);
        assert_int_equal(csv_dict_code(&dict, buf, (size_t)n, &code), CLM_OK);
        assert_int_equal(code, 3 + i);
    }
    assert_int_equal(dict.count, 20003);
    assert_string_equal(dict.strings[0], "No");
    assert_string_equal(dict.strings[2], "Ye");
    assert_string_equal(dict.strings[20002], "cat-19999");
    csv_dict_free(&dict);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_other_delimiter),
        cmocka_unit_test(test_header_only_and_empty),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overlong_field),
        cmocka_unit_test(test_buffer_boundaries),
        cmocka_unit_test(test_buffer_boundaries_plain),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_float),
        cmocka_unit_test(test_parse_float_matches_strtod),
        cmocka_unit_test(test_dictionary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
