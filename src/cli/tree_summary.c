/*
 * tree_summary.c — the rules part of `clmseg tree`'s terminal output,
 * bounded whatever the size of the tree (docs/cli.md): a deep tree on 10M
 * rows has hundreds of leaves, all of them in tree_rules.txt beside the
 * results; the terminal shows the strongest:
 *
 *   - the `shown` leaves with the most training rows;
 *   - for a binary target, the `shown` leaves with the highest share of
 *     the positive class (class 1) among leaves holding at least 0.5 % of
 *     the training rows (a 20-row leaf at 100 % is not a group to act on).
 *
 * Ties go to the earlier leaf (left to right, the order of
 * tree_rules.txt).  Each rule line is the leaf's line of tree_rules.txt,
 * found by walking the tree in the same left-to-right order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "clmseg/tree.h"

/* Leaves in the order clm_tree_write_rules prints them (left first). */
static int collect_leaves(const clm_tree_nodes *nodes, int *leaves)
{
    int n = 0, top = 0;
    int *stack = malloc((size_t)(nodes->n_nodes > 0 ? nodes->n_nodes : 1) * sizeof *stack);
    if (!stack)
        return -1;
    stack[top++] = 0;
    while (top > 0) {
        int node = stack[--top];
        if (nodes->feature[node] < 0) {
            leaves[n++] = node;
            continue;
        }
        stack[top++] = nodes->right[node]; /* popped after the left subtree */
        stack[top++] = nodes->left[node];
    }
    free(stack);
    return n;
}

/* Prints the lines of `rules` (one per leaf) picked by descending key,
 * `shown` at most, among the leaves with eligible[i]. */
static void print_top(FILE *out, char **lines, const double *key, const unsigned char *eligible, int n, int shown)
{
    unsigned char *used = calloc((size_t)(n > 0 ? n : 1), 1);
    if (!used)
        return;
    for (int r = 0; r < shown; r++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (eligible[i] && !used[i] && (best < 0 || key[i] > key[best]))
                best = i;
        if (best < 0)
            break;
        used[best] = 1;
        fprintf(out, "  %s\n", lines[best]);
    }
    free(used);
}

void cli_tree_print_rules(const clm_tree *tree, const char *rules_path, int shown, FILE *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    clm_tree_nodes nodes;
    clm_tree_get_nodes(tree, &nodes);
    int *leaves = malloc((size_t)(nodes.n_nodes > 0 ? nodes.n_nodes : 1) * sizeof *leaves);
    int n_leaves = leaves ? collect_leaves(&nodes, leaves) : -1;
    if (mem) {
        clm_tree_write_rules(tree, mem);
        fclose(mem);
    }
    char **lines = n_leaves > 0 ? calloc((size_t)n_leaves, sizeof *lines) : NULL;
    double *count = n_leaves > 0 ? malloc((size_t)n_leaves * sizeof *count) : NULL;
    double *rate = n_leaves > 0 ? malloc((size_t)n_leaves * sizeof *rate) : NULL;
    unsigned char *all = n_leaves > 0 ? malloc((size_t)n_leaves) : NULL;
    unsigned char *large = n_leaves > 0 ? malloc((size_t)n_leaves) : NULL;
    int n_lines = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line && lines && n_lines < n_leaves; line = strtok(NULL, "\n"))
        lines[n_lines++] = line;
    if (!mem || !lines || !count || !rate || !all || !large || n_lines != n_leaves) {
        fprintf(out, "rules: %d leaves, in %s\n", clm_tree_n_leaves(tree), rules_path);
    } else {
        int64_t total = nodes.count[0];
        for (int i = 0; i < n_leaves; i++) {
            count[i] = (double)nodes.count[leaves[i]];
            rate[i] = nodes.n_classes == 2 ? nodes.value[(int64_t)leaves[i] * 2 + 1] : 0.0;
            all[i] = 1;
            large[i] = count[i] >= 0.005 * (double)total;
        }
        int n_shown = n_leaves < shown ? n_leaves : shown;
        fprintf(out, "rules: %d leaves, all in %s; the %d with the most rows:\n", n_leaves, rules_path, n_shown);
        print_top(out, lines, count, all, n_leaves, shown);
        if (nodes.n_classes == 2) {
            int n_large = 0;
            for (int i = 0; i < n_leaves; i++)
                n_large += large[i];
            fprintf(out, "the %d with the highest share of %s (leaves of 0.5%% of the rows or more):\n",
                    n_large < shown ? n_large : shown, clm_tree_class_label(tree, 1));
            print_top(out, lines, rate, large, n_leaves, shown);
        }
    }
    free(text);
    free(leaves);
    free(lines);
    free(count);
    free(rate);
    free(all);
    free(large);
}
