/* Shared by the user-space benchmarks (bench/user): timing, CPU pinning, and the JSON result
 * line. Ordinary C for musl and Linux: the same static binaries run on Pleiades and on Linux,
 * so their figures compare the kernels and nothing else.
 *
 * Every benchmark prints one JSON object per line on stdout:
 *   {"bench": NAME, "param": PARAM, "ns_per_op": N, "ops": N, "reps": N, "min_ns_per_op": N,
 *    "kernel": "SYSNAME RELEASE"}
 * ns_per_op is the median over the repetitions, ops the operations in each. Anything else they
 * print starts with "#". A figure the run cannot take (one CPU for a cross-CPU figure) is a line
 * with "skipped" instead of the figures (bench_skip). */
#ifndef PLEIADES_BENCH_USER_BENCH_H
#define PLEIADES_BENCH_USER_BENCH_H

#include <stdint.h>

/* bench_now_ns: CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* bench_cpus: how many CPUs this thread may run on (sched_getaffinity), at least 1. */
int bench_cpus(void);

/* bench_pin: moves the calling thread to CPU `cpu` (sched_setaffinity of itself). Returns 0, or
 * -1 with errno. */
int bench_pin(int cpu);

/* bench_op: runs `count` operations of the benchmark with `arg`. */
typedef void (*bench_op)(void *arg, uint64_t count);

/* One figure: the median and the minimum over `reps` repetitions of `ops` operations each, in
 * ns per operation. */
struct bench_result {
  double median_ns;
  double min_ns;
  uint64_t ops;
  int reps;
};

/* bench_run: after one warm-up operation, calibrates an operation count that takes about
 * 100 ms (doubling until a run takes 10 ms, scaling, then one run at that count to correct it;
 * at least 1 operation, at most max_ops), runs `reps` repetitions of it (1 to 32), and returns
 * the figure. Prints nothing. */
struct bench_result bench_run(bench_op op, void *arg, int reps, uint64_t max_ops);

/* bench_median: sorts values[0..n) (n >= 1) in place and returns their median. */
double bench_median(double *values, int n);

/* bench_print: prints the JSON line for NAME/PARAM with the figure. `extra` is NULL or further
 * members, each as `, "key": value`, put before "kernel". */
void bench_print(const char *name, const char *param, const struct bench_result *result,
                 const char *extra);

/* bench_skip: prints the JSON line for a figure this run cannot take, saying why:
 *   {"bench": NAME, "param": PARAM, "skipped": WHY, "kernel": "SYSNAME RELEASE"}
 * (no "ns_per_op": readers of the results must expect that). */
void bench_skip(const char *name, const char *param, const char *why);

/* bench_measure: bench_run, then bench_print of its figure with no extra members. Returns the
 * median in ns per operation. */
double bench_measure(const char *name, const char *param, bench_op op, void *arg, int reps,
                     uint64_t max_ops);

#endif
