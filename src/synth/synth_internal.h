/*
 * synth_internal.h — the pieces of the quarter generator (docs/synth.md).
 *
 *   profiles.c     latent behavioural segments and the plans
 *   branches.c     branch names, sizes (Zipf-like), branch effects and
 *                  the region of each branch
 *   synth_row.c    one subscriber's draw from its (seed, row) stream, and
 *                  the lifecycle-stage rules
 *   synth_columns.c the output schema: column names, types, and where each
 *                  value sits in a synth_row
 *   synth_block.c  block buffers and the parallel generation of a block
 *   synth_lever.c  the retention lever of the counterfactual truth: its
 *                  description, the target rule and the lifetime under it
 *   synth.c        parameters and the driver writing blocks through
 *                  clm_writer
 *
 * A synth_model holds everything that does not change from row to row; it
 * is built once, read-only afterwards, and shared by all threads.
 */
#ifndef CLMSEG_SYNTH_INTERNAL_H
#define CLMSEG_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clmseg/status.h"
#include "clmseg/synth.h"
#include "clmseg/table.h"

/* ---- plans ---------------------------------------------------------------- */

enum { SYNTH_PLAN_PREPAID, SYNTH_PLAN_POSTPAID, SYNTH_PLAN_CONTRACT12,
       SYNTH_PLAN_CONTRACT24, SYNTH_N_PLANS };

extern const char *const synth_plan_names[SYNTH_N_PLANS];
/* ARPU multiplier and log-hazard effect of each plan. */
extern const double synth_plan_arpu[SYNTH_N_PLANS];
extern const double synth_plan_hazard[SYNTH_N_PLANS];

/* ---- segments ------------------------------------------------------------- */

/* Profile of one latent behavioural segment.  Usage means are per month,
 * counts of events per quarter; every mean is the centre of a log-normal
 * or Poisson draw (synth_row.c). */
typedef struct synth_segment {
    char name[48];            /* "young-data-heavy", derived: "...-2"      */
    double weight;            /* share of subscribers (normalised)         */
    double plan_prob[SYNTH_N_PLANS]; /* plan mix within the segment         */
    double voice_minutes;     /* monthly voice minutes                      */
    double data_mb;           /* monthly data volume, MB                    */
    double sms_count;         /* monthly SMS                                */
    double roaming_share;     /* probability of roaming at all              */
    double roaming_minutes;   /* monthly roaming minutes when roaming       */
    double intl_share;        /* probability of calling abroad at all       */
    double intl_minutes;      /* monthly international minutes when so     */
    double contacts;          /* distinct contacts last quarter             */
    double arpu;              /* last quarter's monthly ARPU (EUR), base    */
    double arpu_trend;        /* mean log change of ARPU vs last quarter    */
    double topups;            /* top-ups per quarter (prepaid)              */
    double suspensions;       /* suspensions per quarter                    */
    double downgrades;        /* plan downgrades per quarter                */
    double complaints;        /* complaints per quarter                     */
    double service_calls;     /* customer-service calls per quarter         */
    double forward_minutes;   /* minutes forwarded off-network per month    */
    double dropped_calls;     /* dropped calls per quarter                  */
    double device_age;        /* device age, months                         */
    double payment_delay;     /* payment delay, days (postpaid, contract)   */
    double life_scale;        /* Weibull scale of the lifetime, months      */
    double life_shape;        /* Weibull shape (< 1: early churn is likelier) */
} synth_segment;

/* Number of hand-written base profiles; more segments are derived. */
#define SYNTH_N_BASE_SEGMENTS 8

/* ---- the model ------------------------------------------------------------ */

typedef struct synth_model {
    uint64_t seed;
    int32_t n_segments;
    int32_t n_branches;
    synth_segment *segments;     /* [n_segments]                          */
    double *segment_cdf;         /* [n_segments] cumulative shares, last 1 */
    int32_t *segment_guide;      /* [n_segments] guide table of the cdf    */
    char **branch_names;         /* [n_branches] "Lyon-Centre", ...        */
    double *branch_cdf;          /* [n_branches] cumulative sizes, last 1  */
    int32_t *branch_guide;       /* [n_branches] guide table of the cdf    */
    double *branch_hazard;       /* [n_branches] log-hazard effect         */
    double *branch_price;        /* [n_branches] ARPU level multiplier     */
    double *branch_network;      /* [n_branches] dropped-call multiplier   */
    clm_synth_lever lever;       /* the counterfactual lever (enabled = 0: none) */
    int32_t *branch_region;      /* [n_branches] region code of the branch */
    const char *const *region_names; /* [n_regions] static names        */
    int32_t n_regions;           /* regions the branches use (a prefix)   */
} synth_model;

/* Builds the model for the parameters (already checked).  CLM_E_NOMEM. */
clm_status synth_model_create(const clm_synth_params *params, synth_model **out);
void synth_model_free(synth_model *model);

/* profiles.c: fills segments[0..n) and segment_cdf. */
void synth_profiles_fill(synth_segment *segments, double *cdf, int32_t n_segments);

/* branches.c: fills names (each malloc'ed; returns CLM_E_NOMEM), the size
 * CDF, the effects and the regions. */
clm_status synth_branches_fill(synth_model *model);

/* Index of the first cdf entry > u (u in [0,1)); n - 1 at most: the
 * inversion of a discrete distribution, by binary search. */
int32_t synth_pick(const double *cdf, int32_t n, double u);

/* Guide table of a cdf (Chen & Asau 1974): guide[i] = synth_pick(cdf, n,
 * i / n).  synth_pick_guided gives the same index as synth_pick in O(1)
 * expected steps: it starts at guide[floor(u n)] and walks up. */
void synth_guide_fill(const double *cdf, int32_t n, int32_t *guide);
int32_t synth_pick_guided(const double *cdf, const int32_t *guide, int32_t n, double u);

/* ---- one row -------------------------------------------------------------- */

/* Lifecycle stages, /truth/stage. */
enum { SYNTH_STAGE_A, SYNTH_STAGE_B, SYNTH_STAGE_C, SYNTH_STAGE_D,
       SYNTH_STAGE_E, SYNTH_N_STAGES };

/* Observation window: activations are spread over the last
 * SYNTH_WINDOW_MONTHS months, which caps tenure (administrative censoring). */
#define SYNTH_WINDOW_MONTHS 72.0

/* Stage-rule thresholds (docs/synth.md, tests recompute them). */
#define SYNTH_STAGE_A_MONTHS 4        /* tenure < 4: acquisition            */
#define SYNTH_STAGE_D_ARPU 0.85       /* arpu < 0.85 arpu_prev: decline     */
#define SYNTH_STAGE_B_ARPU 1.05       /* arpu > 1.05 arpu_prev: build-up    */
#define SYNTH_STAGE_D_COMPLAINTS 2    /* complaints >= 2: decline           */

/* All values of one generated row. */
typedef struct synth_row {
    int64_t subscriber_id;
    int32_t branch;
    int16_t tenure_months;
    int8_t churned;
    int8_t plan;
    float arpu;
    float arpu_prev;
    int32_t voice_minutes;
    int32_t data_mb;
    int32_t sms_count;
    int16_t topups;
    int32_t roaming_minutes;
    int32_t intl_minutes;
    int16_t suspensions;
    int16_t suspension_days;
    int16_t plan_downgrades;
    int16_t complaints;
    int16_t service_calls;
    int32_t offnet_forward_minutes;
    int32_t contacts_now;
    int32_t contacts_prev;
    int16_t dropped_calls;
    int16_t device_age_months;
    int16_t payment_delay_days;
    int32_t region;         /* the branch's region (categorical code) */
    int32_t segment;        /* truth */
    uint8_t stage;          /* truth */
    float residual_months;  /* truth: lifetime left after the snapshot, NaN if churned;
                               under a lever, the counterfactual one of targeted rows */
    uint8_t lever_target;   /* truth: 1 = targeted by the lever (column only with a lever) */
    /* The lifetime draw of step 5, in double precision.  Internal: no
     * column points at these; synth_lever.c and the tests read them. */
    double exp_draw;        /* E ~ Exp(1); the lifetime solves H(T) = E        */
    double eta;             /* log hazard multiplier: H(t) = e^eta (t/scale)^shape */
    double lifetime;        /* T, months from activation                       */
    double activated;       /* A, months from activation to the snapshot      */
    double lever_lifetime;  /* T' under the lever; T when not targeted         */
} synth_row;

/* Draws row `row` of the quarter from its own stream.  Pure: depends only
 * on the model and `row`; thread-safe. */
void synth_row_draw(const synth_model *model, int64_t row, synth_row *out);

/* The stage rule (docs/synth.md): E churned; A tenure < 4 months; D any
 * decline signal; B ARPU rising; C otherwise. */
uint8_t synth_stage_of(const synth_row *row);

/* ---- the lever (synth_lever.c) ------------------------------------------ */

/* Checks an enabled lever (CLM_E_PARAM naming the key; CLM_OK when
 * disabled). */
clm_status synth_lever_check(const clm_synth_lever *lever);

/* 1 when the lever targets the drawn row: active, its stage in the
 * lever's stages, its arpu (as stored) in [arpu_min, arpu_max]. */
int synth_lever_targets(const clm_synth_lever *lever, const synth_row *row);

/* The lifetime T' of a subscriber activated A months before the snapshot,
 * alive then, whose Weibull PH lifetime T solved H(T) = exp_draw with
 * H(t) = e^eta (t/scale)^shape, had the lever multiplied its hazard by
 * hazard_ratio from the snapshot on (for lever->months, or for ever):
 * T' solves H_lever(T') = exp_draw (docs/synth.md).  Returns `lifetime`
 * itself when the lever changes nothing (hazard_ratio 1). */
double synth_lever_lifetime(const clm_synth_lever *lever, double exp_draw, double eta,
                            double scale, double shape, double activated, double lifetime);

/* Sets row->lever_target and, for a targeted row, lever_lifetime and
 * residual_months from the draw (row drawn with segment `seg`). */
void synth_lever_apply(const clm_synth_lever *lever, const synth_segment *seg, synth_row *row);

/* ---- columns and blocks --------------------------------------------------- */

typedef struct synth_column {
    const char *path;        /* "/subscribers/arpu"                         */
    clm_dtype dtype;
    size_t offset;           /* offsetof(synth_row, field)                  */
    const char *description; /* one line, units                            */
} synth_column;

/* The datasets in file order; the last one, /truth/lever_target, exists
 * only with a lever, so the file holds the first synth_file_columns(model)
 * of them.  Blocks always hold all synth_n_columns. */
extern const synth_column synth_columns[];
extern const int synth_n_columns;
int synth_file_columns(const synth_model *model);

/* Rows [row0, row0 + n_rows) as one typed array per column. */
#define SYNTH_MAX_COLUMNS 32

typedef struct synth_block {
    int64_t capacity;        /* rows the buffers hold                       */
    void **data;             /* [synth_n_columns] arrays of capacity values */
    int width[SYNTH_MAX_COLUMNS]; /* bytes of one value of each column      */
} synth_block;

clm_status synth_block_alloc(synth_block *block, int64_t capacity);
void synth_block_free(synth_block *block);

/* Generates rows [row0, row0 + n_rows) into the block (n_rows <=
 * capacity) with `n_threads` OpenMP threads (0: the default team). */
void synth_block_generate(const synth_model *model, synth_block *block,
                          int64_t row0, int64_t n_rows, int n_threads);

#endif /* CLMSEG_SYNTH_INTERNAL_H */
