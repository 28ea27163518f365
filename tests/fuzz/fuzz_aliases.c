/* SPDX-License-Identifier: ISC */
/*
 * fuzz_aliases.c -- an alias file's parser (lib/aliases aliases_parse),
 * the input split into lines at LF as the reader does.  Checked, from
 * aliases.h: a good entry has a valid name and 1.. valid targets, and
 * is what aliases_find() gives for its name unless an earlier good entry
 * took it; bad entries are counted; the lines aliases_format() writes
 * for a good entry parse back to the same name and targets.
 */
#include <string.h>
#include <strings.h>

#include "aliases.h"
#include "fuzz.h"

#define LINES_FUZZ 256

static void check_format_round_trip(const struct alias_entry *e)
{
    size_t n = 0;
    char **lines = aliases_format(e->name, e->targets, e->ntargets, &n);
    CHECK(lines && n >= 1);
    size_t len[LINES_FUZZ];
    CHECK(n <= LINES_FUZZ);
    for (size_t i = 0; i < n; i++)
        len[i] = strlen(lines[i]);
    struct alias_table t;
    memset(&t, 0, sizeof t);
    CHECK(aliases_parse(lines, len, n, &t) == 0);
    CHECK(t.n == 1 && t.nbad == 0 && !t.e[0].error);
    CHECK(strcmp(t.e[0].name, e->name) == 0 && t.e[0].ntargets == e->ntargets);
    for (size_t i = 0; i < e->ntargets; i++)
        CHECK(strcmp(t.e[0].targets[i], e->targets[i]) == 0);
    aliases_table_free(&t);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[16384];
    char *lines[LINES_FUZZ];
    size_t len[LINES_FUZZ], n = 0;
    if (size > sizeof buf)
        return 0;
    memcpy(buf, data, size);
    for (size_t i = 0; i < size && n < LINES_FUZZ;) {
        char *nl = memchr(buf + i, '\n', size - i);
        size_t l = nl ? (size_t)(nl - (buf + i)) : size - i;
        lines[n] = buf + i;
        len[n++] = l;
        i += l + 1;
    }
    struct alias_table t;
    memset(&t, 0, sizeof t);
    CHECK(aliases_parse(lines, len, n, &t) == 0);
    size_t bad = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct alias_entry *e = &t.e[i];
        CHECK(e->line >= 1 && e->line + e->nlines - 1 <= n);
        if (e->error) {
            bad++;
            continue;
        }
        CHECK(aliases_valid_name(e->name) && e->ntargets >= 1);
        for (size_t k = 0; k < e->ntargets; k++)
            CHECK(aliases_valid_target(e->targets[k]));
        const struct alias_entry *found = aliases_find(&t, e->name, NULL);
        CHECK(found && strcasecmp(found->name, e->name) == 0 && found->line <= e->line);
        if (e->ntargets < LINES_FUZZ)
            check_format_round_trip(e);
    }
    CHECK(bad == t.nbad);
    aliases_table_free(&t);
    return 0;
}
