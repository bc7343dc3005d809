/*
 * synth_columns.c — the schema of a generated quarter: every dataset, its
 * HDF5 type and where its value sits in a synth_row.  Counts are integers
 * of a width that holds their cap, money is float32; categorical columns
 * (branch, plan, region) get their `categories` attribute in synth.c.  The order
 * here is the order of the datasets in the file and of docs/synth.md.
 */
#include <stddef.h>

#include "synth/synth_internal.h"

#define COL(group, field, dtype, text) \
    {group "/" #field, dtype, offsetof(synth_row, field), text}

const synth_column synth_columns[] = {
    COL("/subscribers", subscriber_id, CLM_DT_INT64, "unique subscriber id"),
    COL("/subscribers", branch, CLM_DT_INT32, "branch (categorical code)"),
    COL("/subscribers", tenure_months, CLM_DT_INT16, "whole months since activation (survival time)"),
    COL("/subscribers", churned, CLM_DT_INT8, "1 = left during the observation window"),
    COL("/subscribers", arpu, CLM_DT_FLOAT32, "average monthly revenue this quarter, EUR"),
    COL("/subscribers", arpu_prev, CLM_DT_FLOAT32, "average monthly revenue last quarter, EUR"),
    COL("/subscribers", plan, CLM_DT_INT8, "plan (categorical code)"),
    COL("/subscribers", voice_minutes, CLM_DT_INT32, "voice minutes per month"),
    COL("/subscribers", data_mb, CLM_DT_INT32, "data volume per month, MB"),
    COL("/subscribers", sms_count, CLM_DT_INT32, "SMS per month"),
    COL("/subscribers", topups, CLM_DT_INT16, "prepaid top-ups this quarter"),
    COL("/subscribers", roaming_minutes, CLM_DT_INT32, "roaming minutes per month"),
    COL("/subscribers", intl_minutes, CLM_DT_INT32, "international minutes per month"),
    COL("/subscribers", suspensions, CLM_DT_INT16, "line suspensions this quarter"),
    COL("/subscribers", suspension_days, CLM_DT_INT16, "days suspended this quarter"),
    COL("/subscribers", plan_downgrades, CLM_DT_INT16, "plan downgrades this quarter"),
    COL("/subscribers", complaints, CLM_DT_INT16, "complaints this quarter"),
    COL("/subscribers", service_calls, CLM_DT_INT16, "customer-service calls this quarter"),
    COL("/subscribers", offnet_forward_minutes, CLM_DT_INT32, "minutes forwarded off-network per month"),
    COL("/subscribers", contacts_now, CLM_DT_INT32, "distinct contacts this quarter"),
    COL("/subscribers", contacts_prev, CLM_DT_INT32, "distinct contacts last quarter"),
    COL("/subscribers", dropped_calls, CLM_DT_INT16, "dropped calls this quarter"),
    COL("/subscribers", device_age_months, CLM_DT_INT16, "age of the handset, months"),
    COL("/subscribers", payment_delay_days, CLM_DT_INT16, "days the last bill was paid late"),
    /* Last of the group, so every earlier column keeps its place. */
    COL("/subscribers", region, CLM_DT_INT32, "region of the branch (categorical code)"),
    COL("/truth", segment, CLM_DT_INT32, "latent behavioural segment"),
    COL("/truth", stage, CLM_DT_UINT8, "lifecycle stage 0..4 = A..E"),
    COL("/truth", residual_months, CLM_DT_FLOAT32,
        "months the drawn lifetime keeps an active subscriber after the snapshot (NaN: churned)"),
    COL("/truth", lever_target, CLM_DT_UINT8, "1 = targeted by the truth lever (only with a lever)"),
};

const int synth_n_columns = (int)(sizeof synth_columns / sizeof synth_columns[0]);

int synth_file_columns(const synth_model *model)
{
    return model->lever.enabled ? synth_n_columns : synth_n_columns - 1;
}
