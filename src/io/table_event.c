/*
 * table_event.c — what "the event" means in a table's event column, for
 * every estimator that reads one (survival, Cox): a categorical column
 * needs the level that is the event; a numeric one is 0/1, or compared
 * with a given value.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

clm_status io_event_rule_of(const clm_table *table, int col, const char *name, const char *level,
                            io_event_rule *rule)
{
    const clm_column_info *info = clm_table_column(table, col);
    const char *path = clm_table_path(table);
    memset(rule, 0, sizeof *rule);
    if (info->kind == CLM_KIND_CATEGORICAL) {
        rule->categorical = 1;
        if (!level)
            return clm_error(CLM_E_PARAM,
                             "%s: column '%s' is categorical (%d levels): give --event-level "
                             "to say which level is the event", path, name, (int)info->n_categories);
        for (int32_t c = 0; c < info->n_categories; c++)
            if (!strcmp(info->categories[c], level)) {
                rule->has_level = 1;
                rule->value = c;
                return CLM_OK;
            }
        return clm_error(CLM_E_PARAM, "%s: column '%s' has no level '%s'", path, name, level);
    }
    if (level) {
        char *end = NULL;
        double v = strtod(level, &end);
        if (end == level || *end || isnan(v))
            return clm_error(CLM_E_PARAM,
                             "%s: column '%s' is numeric: --event-level '%s' must be a number",
                             path, name, level);
        rule->has_level = 1;
        rule->value = v;
    }
    return CLM_OK;
}
