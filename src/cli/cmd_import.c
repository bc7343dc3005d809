/* cmd_import.c — placeholder until the import command lands (being written now). */
#include <stdio.h>
#include "cli/cli_internal.h"

int cmd_import(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "clmseg import: not built yet\n");
    return 2;
}
