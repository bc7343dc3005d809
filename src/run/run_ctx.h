/*
 * run_ctx.h — the state of one quarterly run, shared by its steps.
 *
 * The input table is opened once, with its column cache on, so each
 * column is read from the file once whichever steps use it.  The models
 * stay in memory (k-means with every row's label and distance, the churn
 * tree, the survival estimators) and so do the per-row results (tier,
 * stage, churn probability, branch code); every output is written once,
 * from memory, at the end, and all are renamed together when the last step
 * is done (docs/design.md §11).  Include order: run_base.h
 * and config_internal.h below this header, the step files above it.
 */
#ifndef CLMSEG_RUN_CTX_H
#define CLMSEG_RUN_CTX_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/cox.h"
#include "clmseg/kmeans.h"
#include "clmseg/lifecycle.h"
#include "clmseg/run.h"
#include "clmseg/scenario.h"
#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/survival.h"
#include "clmseg/table.h"
#include "clmseg/tree.h"
#include "core/comm_internal.h"
#include "run/config_internal.h"
#include "run/run_base.h"

extern const cfg_key run_config_keys[];

/* Per-branch figures, filled by step_branches.c. */
typedef struct run_branch {
    const char *name;             /* label (owned by the run)             */
    clm_health_metrics metrics;
    double arpu_prev;             /* mean previous ARPU                   */
    double stage_share[CLM_N_STAGES];
    clm_health_result health;
    const clm_survival_curve *curve; /* its Kaplan-Meier curve, or NULL   */
} run_branch;

/* Customer equity of a group of active subscribers (step_equity.c). */
typedef struct run_equity_sum {
    int64_t active;
    double equity;                /* sum of the expected remaining value  */
    double at_risk_12;            /* sum of value x P(leave within 12 m)  */
    double leave_3, leave_12;     /* expected leavers within 3 / 12 months */
    double months;                /* sum of expected months within horizon */
} run_equity_sum;

/* The lifecycle tables (step_curves.c).  Groups: 0 the company, 1..B the
 * branches, B+1..B+k the segments. */
enum { RUN_LEVEL_COMPANY = 0, RUN_LEVEL_BRANCH, RUN_LEVEL_SEGMENT, RUN_N_LEVELS };
extern const char *const run_level_names[RUN_N_LEVELS]; /* "company", ... */

typedef struct run_stage_row {
    int64_t subscribers, priced;  /* rows, rows with an ARPU              */
    double arpu_sum, mean_arpu;   /* NaN mean without a priced row        */
    double tenure_q1, tenure_median, tenure_q3; /* months, type-7; NaN: none */
} run_stage_row;

typedef struct run_tier_row {
    int64_t subscribers, priced;
    double arpu_sum;
} run_tier_row;

typedef struct run_lifecycle {
    int n_groups;                 /* 1 + branches + segments              */
    int64_t n_curves;             /* curve rows, group by group, by month */
    uint8_t *level;               /* RUN_LEVEL_* per curve row            */
    int32_t *group, *month;
    int64_t *subscribers;
    double *mean_arpu, *survival, *cumulative_value; /* NaN: NA           */
    run_stage_row *stages;        /* n_groups x CLM_N_STAGES              */
    run_tier_row *tiers;          /* n_groups x CLM_N_TIERS               */
} run_lifecycle;

/* One row of warning.csv, kept for the report's branch and segment pages. */
typedef struct run_warning {
    int32_t branch, rank;
    int64_t row;
    char id[24];                  /* the subscriber id as warning.csv has it */
    char *signals;                /* owned                                 */
} run_warning;

/* The projection against the generator's truth (/truth/residual_months). */
typedef struct run_calibration {
    int has_truth;
    double pred_3, true_3, pred_12, true_12; /* still active after 3 / 12 months */
    double worst_tier, worst_branch;  /* largest relative gap, 3 or 12 months */
    const char *worst_branch_name;
    int n_branches_checked;           /* branches with >= 2,000 active      */
    int64_t decile_n[10];             /* active rows per decile of leave_12 */
    double decile_pred[10], decile_true[10]; /* mean predicted / true share leaving in 12 m */
} run_calibration;

/* On several ranks, one step's rows of results.h5's per-row columns on
 * this rank: rows [first, first + n) of each dataset, which every rank
 * writes into the file rank 0 lays out (step_results.c).  On rank 0 the
 * data are the first rows of its arrays of every row; on another rank the
 * rank's own arrays, freed with the run (`owned`, or held by a model the
 * run keeps on that rank: ctx->kmeans, ctx->equity_here). */
#define RUN_ROW_COLUMNS 4
typedef struct run_rank_rows {
    int64_t first, n;
    int n_columns;
    const char *dataset[RUN_ROW_COLUMNS];
    clm_dtype dtype[RUN_ROW_COLUMNS];
    const void *data[RUN_ROW_COLUMNS];
    void *owned[RUN_ROW_COLUMNS];
} run_rank_rows;
#define RUN_ROW_GROUPS 4

typedef struct run_ctx {
    /* Which rank (docs/design.md §7): the steps marked `ranks` in run.c run
     * on every rank; the rest on rank 0 (`root`) alone. */
    comm_ctx comm;
    int root;

    /* Where. */
    const char *input;
    const char *outdir;
    char path_results[4096];
    const clm_run_options *options;
    cfg_config *config;
    FILE *log;

    /* Resolved settings. */
    const char *group;
    uint64_t seed;
    int n_threads;
    const char *event_level;      /* NULL for a 0/1 event column          */
    int32_t event_code;           /* code of event_level, or -1           */
    int has_id;                   /* the id column exists                 */
    const char *col_id, *col_branch, *col_time, *col_event, *col_arpu, *col_arpu_prev;
    const char *col_susp, *col_down, *col_cnow, *col_cprev, *col_compl;
    const char *col_region;       /* columns.region, or NULL               */
    clm_tier_params tiers;
    clm_stage_rules stages;
    clm_health_weights weights;
    int warning_per_branch;
    double horizon;
    clm_kmeans_params kmeans_params;
    char **kmeans_features;       /* NULL-terminated, or NULL: default    */
    clm_tree_params tree_params;
    char **tree_features;         /* NULL-terminated, or NULL: default    */
    int n_tree_features;
    clm_survival_params survival_params;
    int cox_enabled;              /* cox.features is not "none"           */
    char **cox_features;          /* NULL-terminated, or NULL: "auto"     */
    int n_cox_features;
    const char *cox_strata;       /* "segment", or a column; NULL: none   */
    clm_cox_params cox_params;
    clm_equity_params equity_params;
    clm_plan *plan;               /* scenarios and budget, or NULL          */
    const char *col_plan, *col_delay; /* plan column, payment delay column  */
    const char *previous_dir;     /* run.previous: last quarter's OUTDIR, or NULL */
    char **name_overrides;        /* segments.names: per segment number up to
                                     n_name_overrides, NULL = not given    */
    int n_name_overrides;
    int report_lang;              /* report.lang: REPORT_LANG_* (report/strings_internal.h) */
    int csv_bom;                  /* report.csv_bom: CSVs start with a UTF-8 BOM */

    /* The table and per-row results. */
    clm_table *table;
    int64_t n_rows;
    int has_branch;               /* the branch column exists             */
    int n_branches;
    char **branch_names;          /* n_branches labels                    */
    int32_t *branch;              /* per row, -1 = missing                */
    const int32_t *segment;       /* per row: the k-means model's labels  */
    int k;
    uint8_t *tier, *stage;
    uint8_t *churned;             /* per row: the event flag (0/1)        */
    uint8_t *decline;             /* per row: a decline signal fires (the D
                                     rule alone, churned rows included)   */
    float *probability;           /* churn probability per row            */
    float *arpu;                  /* ARPU per row                         */
    int64_t *debt_count;          /* per branch: D rows with suspensions  */
    double *arpu_prev_sum;        /* per branch: sum of previous ARPU     */
    int64_t *arpu_prev_n;         /* per branch: rows with previous ARPU  */
    double high_min, low_max;     /* tier thresholds                      */
    int64_t stage_count[CLM_N_STAGES];
    double truth_agreement;       /* share equal to /truth/stage, or NaN  */
    int stage_model_tree;         /* stages from a trained tree           */
    int column_cache;             /* run.column_cache                      */
    double time_unit_days;        /* columns.time_unit, in days            */
    double stage_tree_accuracy;   /* its holdout accuracy                 */
    int64_t truth_rows;

    /* Models. */
    clm_kmeans *kmeans;
    clm_lifecycle *lifecycle;     /* tier thresholds and stage rules     */
    clm_tree *tree;
    clm_survival *surv_segment, *surv_branch;
    run_branch *branches;
    struct run_regions *regions;  /* NULL: no region level (run_regions.h) */
    clm_cox *cox;                 /* NULL when cox.features = none        */
    clm_equity *equity;
    run_equity_sum *eq_branch, *eq_segment; /* n_branches, k              */
    run_equity_sum eq_tier[CLM_N_TIERS], eq_stage[CLM_N_STAGES], eq_company;
    run_calibration calib;
    clm_scenario_result *scenarios; /* NULL without a plan                 */
    struct run_previous *previous; /* last quarter's run, or NULL (run_previous.h) */
    char **segment_names;         /* k names, after the relabel (step_segment_names.c) */
    run_lifecycle life;           /* curves, stage and tier rows          */
    run_warning *warnings;        /* warning.csv's rows, in its order     */
    int64_t n_warnings;

    /* Timing, and the outputs written so far (renamed at the end). */
    run_clock clock;
    run_rank_step *rank_steps;    /* rank 0 on several ranks: rank r's figures
                                     of clock step i at [r * n_steps + i]  */
    run_outputs outputs;
    /* On several ranks: each step's rows of the per-row columns on this
     * rank, in step order (the same groups on every rank), and what rank 0
     * renumbered the segments by (step_segment_names.c: the match against
     * the previous run, segment_match_k previous segments; 0: none). */
    run_rank_rows rank_rows[RUN_ROW_GROUPS];
    int n_rank_rows;
    int32_t *segment_match;
    int segment_match_k;
    clm_equity *equity_here;      /* another rank: its rows' projection   */
    int outdir_fd;                /* the locked output folder, or -1       */
} run_ctx;

/* Settings: every key of the configuration resolved and checked, the
 * estimators' parameters included, before the input is opened
 * (run_settings.c). */
clm_status run_resolve_config(run_ctx *ctx);

/* Steps, in the order of the table in run.c; one file each. */
clm_status run_validate(run_ctx *ctx);
clm_status run_segments(run_ctx *ctx);
clm_status run_tiers_and_stages(run_ctx *ctx);
clm_status run_churn_tree(run_ctx *ctx);
clm_status run_stage_tree(run_ctx *ctx);
/* Sets truth_agreement from /truth/stage when the input has it: stage[i]
 * is the stage of table row first + i, for this rank's n_rows rows; the
 * counts are summed over the ranks of `comm` (NULL: one process, every
 * row), and every rank must call it. */
void run_compare_with_truth(run_ctx *ctx, const comm_ctx *comm, int64_t first, int64_t n_rows,
                            const uint8_t *stage);
/* The rows [*first, *first + *n) of this rank in the steps that count
 * per-row results by group (tiers+stages, lifecycle curves): rank 0
 * first, its rows the first ones of the arrays it holds for every row. */
void run_stage_rows(const run_ctx *ctx, int64_t *first, int64_t *n);
clm_status run_survival(run_ctx *ctx);
/* Cox model, each active row's remaining value and the sums by group. */
clm_status run_equity(run_ctx *ctx);
clm_status run_write_equity_csv(run_ctx *ctx);
clm_status run_branches(run_ctx *ctx);
/* The plan's scenarios and budget over the run's book (step_scenarios.c),
 * their CSV files and scenario.html, and the report's section. */
clm_status run_scenarios(run_ctx *ctx);
clm_status run_write_scenario_outputs(run_ctx *ctx);
void run_report_scenarios(const run_ctx *ctx, FILE *f);
clm_status run_write_results(run_ctx *ctx);
/* On several ranks (else nothing): `n_columns` per-row columns of rows
 * [first, first + n) of a step on this rank, for results.h5 (run_rank_rows);
 * every rank calls it for the same datasets in the same order.  `owned`
 * (may be NULL) lists what the run frees at its end, also on failure. */
clm_status run_keep_rows(run_ctx *ctx, int64_t first, int64_t n, int n_columns, const char *const *dataset,
                         const clm_dtype *dtype, const void *const *data, void *const *owned);
clm_status run_write_branches_csv(run_ctx *ctx);
clm_status run_write_warning_csv(run_ctx *ctx);
clm_status run_write_segments_csv(run_ctx *ctx);
/* The reports step: every CSV and text output above but branches.csv (a
 * step of its own), in one go. */
clm_status run_write_reports(run_ctx *ctx);
clm_status run_write_text_outputs(run_ctx *ctx);
clm_status run_write_report(run_ctx *ctx);
clm_status run_write_json(run_ctx *ctx);
clm_status run_write_config_used(run_ctx *ctx);

/* Branch indices by health score, best first, ties in branch order (a
 * stable sort): the order of branches.csv and of the report's table.
 * Caller frees; NULL when out of memory. */
int *run_health_order(const run_ctx *ctx);
/* The same order of any groups with a health score (the regions). */
int *run_group_order(const run_branch *groups, int n_groups);

/* Figures and health of groups of branches (step_branches.c): group g
 * holds the rows of the branches b with group_of[b] == g (group_of NULL:
 * each branch is its own group; -1: in no group), summed in row order the
 * way a branch's are; health ranks the groups among themselves.  S(12)
 * and LTV come from the curve of `surv` labelled with the group's name
 * (one_curve not NULL: that curve for all).  Fills out[0 .. n_groups). */
clm_status run_group_health(run_ctx *ctx, const int32_t *group_of, int n_groups, char *const *names,
                            const clm_survival *surv, const char *one_curve, run_branch *out);
/* The labels of every row of a categorical or integer column as dense
 * codes (-1: missing) and their names (step_lifecycle.c); the caller owns
 * and frees *codes, *names and its n entries, on error too. */
clm_status run_read_labels(const run_ctx *ctx, const char *column, int32_t **codes, int *n_labels,
                           char ***names);
/* The survival columns of the run (time, event, ARPU, unit), no strata. */
void run_survival_columns(const run_ctx *ctx, clm_survival_columns *cols);
/* The fields of a health row of branches.csv and regions.csv, from
 * subscribers to lever, each after a comma (step_reports.c). */
void run_csv_health_fields(FILE *f, const run_branch *group);
#define RUN_CSV_HEALTH_HEADER                                                                              \
    "subscribers,churn_rate,s12,arpu,arpu_change,ltv,share_A,share_B,share_C,share_D,share_E,revenue_at_risk," \
    "retention,value,growth,risk,health,lever"
/* The health figures of groups (the branches, the regions) under `group`
 * of results.h5: name, subscribers, one float64 array per figure, lever,
 * and the weights and score names as attributes (step_results.c). */
clm_status run_write_group_h5(const run_ctx *ctx, clm_writer *w, const char *group, const run_branch *groups,
                              int n_groups);

/* S at `t` of a Kaplan-Meier curve, carried flat past its last time. */
double run_survival_at(const clm_survival_curve *curve, double t);
/* A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline:
 * util_csv_field under the run's name (src/core/csv_field.c). */
void run_csv_field(FILE *f, const char *text);
/* ",<v with format>", or ",NA" (as R and pandas read it) when v is NaN. */
void run_csv_number(FILE *f, const char *format, double v);
/* The lifecycle tables into ctx->life (step_curves.c), and their outputs:
 * lifecycle_curves.csv, lifecycle_stages.csv, /lifecycle/{names, curves,
 * stages} of results.h5. */
clm_status run_lifecycle_tables(run_ctx *ctx);
void run_lifecycle_free(run_lifecycle *life);
clm_status run_write_curves_csv(run_ctx *ctx);
clm_status run_write_stages_csv(run_ctx *ctx);
clm_status run_write_lifecycle_h5(run_ctx *ctx, clm_writer *writer);
/* A group's level, name ("all", the branch, the segment number) and
 * Kaplan-Meier curve (NULL when it has none). */
/* The type-7 quantile p of sorted x[0..n-1] (NaN when n = 0). */
double run_quantile_sorted(const double *x, int64_t n, double p);
/* The branch and segment pages of report.html (step_report_pages.c):
 * the data block and its renderer; `order` is the health order. */
clm_status run_report_pages(FILE *f, const run_ctx *ctx, const int *order);
int run_group_level(const run_ctx *ctx, int group);
void run_group_name(const run_ctx *ctx, int group, char *buf, size_t cap);
const clm_survival_curve *run_group_curve(const run_ctx *ctx, int group);

/* Quarter over quarter and segment names (run_previous.h):
 * run.previous and segments.names resolved (run_settings.c calls it);
 * last quarter's run read (a step before validate); this quarter's
 * segments matched, renumbered and named (the step after segments);
 * changes.csv; the report's section. */
clm_status run_previous_settings(run_ctx *ctx);
clm_status run_read_previous(run_ctx *ctx);
clm_status run_label_segments(run_ctx *ctx);
clm_status run_write_changes_csv(run_ctx *ctx);
void run_report_previous(FILE *f, const run_ctx *ctx);
/* The label of segment `s` in every report: "segment 3: high data · low
 * tenure" (its number and name), into buf; returns buf. */
const char *run_segment_label(const run_ctx *ctx, int segment, char *buf, size_t cap);
/* Frees the previous run, the names and the overrides (free_ctx). */
void run_previous_release(run_ctx *ctx);

/* NULL for an empty setting (a column the user turned off). */
const char *run_setting_or_null(const run_ctx *ctx, const char *key);

#endif /* CLMSEG_RUN_CTX_H */
