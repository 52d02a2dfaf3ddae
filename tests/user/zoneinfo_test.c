/* /proc/zoneinfo: the per-node (per-zone on Linux) free and managed pages, and the NUMA
 * counters, which must grow by at least the pages a program touches. Pleiades shows one zone
 * per NUMA node (docs/user-space.md, "Files"); Linux shows every zone of every node, and the
 * numa_* lines only when built with NUMA (skipped otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"

enum { kTouchPages = 512 };

/* A large host lists many zones with dozens of lines each. */
static char text[1 << 20];

struct Zones {
    long sections, with_free, with_managed, free_over_managed;
    long numa_lines;
    unsigned long long allocations; /* numa_hit + numa_miss over every zone */
};

static int read_zoneinfo(struct Zones *z) {
    memset(z, 0, sizeof *z);
    FILE *f = fopen("/proc/zoneinfo", "r");
    if (f == NULL) return 0;
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    long free_pages = -1;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        unsigned long long v;
        if (strncmp(line, "Node ", 5) == 0) {
            ++z->sections;
            free_pages = -1;
        } else if (sscanf(line, "  pages free %llu", &v) == 1) {
            ++z->with_free;
            free_pages = (long)v;
        } else if (sscanf(line, " managed %llu", &v) == 1) {
            ++z->with_managed;
            if (free_pages > (long)v) ++z->free_over_managed;
        } else if (sscanf(line, " numa_hit %llu", &v) == 1 || sscanf(line, " numa_miss %llu", &v) == 1) {
            ++z->numa_lines;
            z->allocations += v;
        }
    }
    return 1;
}

int main(void) {
    tap_plan(4);
    struct Zones before, after;
    const int read_ok = read_zoneinfo(&before);
    tap_ok(read_ok && before.sections > 0, "/proc/zoneinfo has a \"Node N, zone\" section (%ld)",
           before.sections);
    tap_ok(before.with_free == before.sections && before.with_managed == before.sections,
           "every section has its pages free and managed lines (%ld, %ld of %ld)", before.with_free,
           before.with_managed, before.sections);
    tap_eq(before.free_over_managed, 0, "no section has more pages free than managed");
    if (before.numa_lines == 0) {
        tap_ok(1, "touched pages counted in numa_hit/numa_miss # SKIP no NUMA counters here");
        return tap_done();
    }
    const long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, (size_t)kTouchPages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        tap_ok(0, "mmap of %d pages", kTouchPages);
        return tap_done();
    }
    for (long i = 0; i < kTouchPages; ++i) p[i * page] = 1;
    read_zoneinfo(&after);
    /* Counters only grow; other programs allocate too, so at least our pages. */
    tap_ok(after.allocations >= before.allocations + kTouchPages,
           "touching %d pages grew numa_hit + numa_miss by at least that (%llu -> %llu)", kTouchPages,
           before.allocations, after.allocations);
    munmap(p, (size_t)kTouchPages * page);
    return tap_done();
}
