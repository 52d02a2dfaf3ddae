/* /proc as busybox reads it: /proc/self, /proc/self/stat, status, cmdline, maps, and
 * /proc/meminfo and /proc/cpuinfo (one "processor" line per online CPU), and /proc/interrupts
 * (a CPUn column per online CPU, and the local timer row with a count in each). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char text[65536];

static long read_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    long n = 0, r;
    while ((r = read(fd, text + n, sizeof text - 1 - n)) > 0) n += r;
    close(fd);
    text[n] = '\0';
    return n;
}

int main(int argc, char **argv) {
    (void)argc;
    tap_plan(10);
    char link[64] = {0};
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    tap_ok(readlink("/proc/self", link, sizeof link - 1) > 0 && strcmp(link, pid) == 0,
           "/proc/self links to our PID (%s)", link);
    long n = read_file("/proc/self/stat");
    tap_ok(n > 0 && atoi(text) == getpid() && strchr(text, '(') != NULL, "/proc/self/stat starts with our PID");
    n = read_file("/proc/self/status");
    tap_ok(n > 0 && strstr(text, "Name:") != NULL && strstr(text, "PPid:") != NULL, "/proc/self/status has Name and PPid");
    n = read_file("/proc/self/cmdline");
    tap_ok(n > 0 && strcmp(text, argv[0]) == 0, "/proc/self/cmdline starts with argv[0]");
    n = read_file("/proc/self/maps");
    tap_ok(n > 0 && strstr(text, "[stack]") != NULL, "/proc/self/maps lists the stack");
    n = read_file("/proc/meminfo");
    tap_ok(n > 0 && strncmp(text, "MemTotal:", 9) == 0 && strstr(text, "MemFree:") != NULL, "/proc/meminfo");
    n = read_file("/proc/cpuinfo");
    int processors = 0;
    for (char *p = text; n > 0 && (p = strstr(p, "processor")) != NULL; ++p) {
        if (p == text || p[-1] == '\n') ++processors;
    }
    tap_eq(processors, sysconf(_SC_NPROCESSORS_ONLN), "/proc/cpuinfo: one processor entry per online CPU");
    n = read_file("/proc/interrupts");
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int columns = 0;
    char *eol = n > 0 ? strchr(text, '\n') : NULL;
    for (char *p = text; eol != NULL && (p = strstr(p, "CPU")) != NULL && p < eol; p += 3) ++columns;
    tap_eq(columns, online, "/proc/interrupts: a CPU column per online CPU");
    int counts = 0;
    char *loc = n > 0 ? strstr(text, "LOC:") : NULL;
    for (char *p = loc ? loc + 4 : NULL; p != NULL;) {
        char *end;
        strtoul(p, &end, 10);
        if (end == p) break;
        ++counts;
        p = end;
    }
    tap_eq(counts, online, "/proc/interrupts: the local timer row has a count per CPU");
    DIR *d = opendir("/proc");
    int found_self = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) found_self |= strcmp(e->d_name, pid) == 0;
    if (d) closedir(d);
    tap_ok(found_self, "/proc lists our PID");
    return tap_done();
}
