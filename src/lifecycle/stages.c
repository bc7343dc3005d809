/*
 * stages.c — lifecycle stages A–E by ordered rules (see lifecycle.h and
 * docs/lifecycle.md).  Comparisons are written so that NaN never fires a
 * signal: every test is "x op threshold", false when x is NaN.
 */
#include <math.h>

#include "clmseg/stages.h"

const char *const clm_stage_letters[CLM_N_STAGES] = {"A", "B", "C", "D", "E"};
const char *const clm_stage_names[CLM_N_STAGES] = {"acquisition", "build-up", "climax", "decline", "exit"};

void clm_stage_rules_default(clm_stage_rules *r)
{
    /* The defaults are the rules `clmseg synth` uses for /truth/stage
     * (docs/synth.md), so a generated quarter is staged as it was built. */
    r->new_months = 4;
    r->arpu_drop = 0.15;
    r->suspensions_min = 1;
    r->downgrades_min = 1;
    r->contact_drop = 0.30;
    r->complaints_min = 2;
    r->arpu_gain = 0.05;
}

clm_status clm_stage_rules_check(const clm_stage_rules *r)
{
    if (!(r->new_months >= 0))
        return clm_error(CLM_E_PARAM, "stage rules: new_months must be >= 0 (got %g)", r->new_months);
    if (!(r->arpu_drop >= 0 && r->arpu_drop <= 1))
        return clm_error(CLM_E_PARAM, "stage rules: arpu_drop must be in [0, 1] (got %g)", r->arpu_drop);
    if (!(r->contact_drop >= 0 && r->contact_drop <= 1))
        return clm_error(CLM_E_PARAM, "stage rules: contact_drop must be in [0, 1] (got %g)", r->contact_drop);
    if (!(r->arpu_gain >= 0))
        return clm_error(CLM_E_PARAM, "stage rules: arpu_gain must be >= 0 (got %g)", r->arpu_gain);
    if (!(r->suspensions_min > 0) || !(r->downgrades_min > 0) || !(r->complaints_min > 0))
        return clm_error(CLM_E_PARAM, "stage rules: suspensions_min, downgrades_min and complaints_min must be > 0");
    return CLM_OK;
}

static int at_least(const float *col, int64_t i, double min)
{
    return col && col[i] >= min;
}

/* The D rule of row i: any decline signal fires. */
static int declines(const clm_stage_rules *r, const clm_stage_inputs *in, int64_t i)
{
    int has_prev = in->arpu && in->arpu_prev;
    return (has_prev && in->arpu[i] < (1.0 - r->arpu_drop) * in->arpu_prev[i]) ||
           at_least(in->suspensions, i, r->suspensions_min) ||
           at_least(in->plan_downgrades, i, r->downgrades_min) ||
           (in->contacts_now && in->contacts_prev &&
            in->contacts_now[i] < (1.0 - r->contact_drop) * in->contacts_prev[i]) ||
           at_least(in->complaints, i, r->complaints_min);
}

void clm_stage_decline(const clm_stage_rules *r, const clm_stage_inputs *in, int64_t n_rows, uint8_t *decline)
{
    for (int64_t i = 0; i < n_rows; i++)
        decline[i] = (uint8_t)declines(r, in, i);
}

void clm_stage_assign(const clm_stage_rules *r, const clm_stage_inputs *in, int64_t n_rows, uint8_t *stage)
{
    for (int64_t i = 0; i < n_rows; i++) {
        if (in->churned[i] >= 0.5f) {
            stage[i] = CLM_STAGE_E;
            continue;
        }
        if (in->tenure_months[i] < r->new_months) {
            stage[i] = CLM_STAGE_A;
            continue;
        }
        int has_prev = in->arpu && in->arpu_prev;
        if (declines(r, in, i))
            stage[i] = CLM_STAGE_D;
        else if (has_prev && in->arpu[i] > (1.0 + r->arpu_gain) * in->arpu_prev[i])
            stage[i] = CLM_STAGE_B;
        else
            stage[i] = CLM_STAGE_C;
    }
}
