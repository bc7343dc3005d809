/* cmd_synth.c — placeholder until the synth command lands (being written now). */
#include <stdio.h>
#include "cli/cli_internal.h"

int cmd_synth(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "clmseg synth: not built yet\n");
    return 2;
}
