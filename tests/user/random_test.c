/* getrandom: full reads, different bytes each time, roughly as many one bits as zero bits, and
 * the errors for bad flags and bad buffers. */
#include "tap.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004 /* Linux 5.6; musl 1.2.3's header predates it */
#endif

static int ones(const unsigned char *p, size_t len) {
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    bits += __builtin_popcount(p[i]);
  }
  return bits;
}

int main(void) {
  tap_plan(9);
  unsigned char a[32], b[32];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  tap_eq(getrandom(a, sizeof a, 0), (long)sizeof a, "getrandom of 32 bytes returns 32");
  tap_eq(getrandom(b, sizeof b, GRND_NONBLOCK), (long)sizeof b,
         "getrandom with GRND_NONBLOCK returns 32");
  /* Equal by chance with probability 2^-256. */
  tap_ok(memcmp(a, b, sizeof a) != 0, "two reads give different bytes");

  /* Reads up to 256 bytes are never short on Linux. 2048 bits: a fair source gives 1024 one
   * bits with a standard deviation of about 23; 800..1248 is nearly 10 deviations each way. */
  unsigned char big[256];
  memset(big, 0, sizeof big);
  tap_eq(getrandom(big, sizeof big, 0), (long)sizeof big, "getrandom of 256 bytes returns 256");
  int bits = ones(big, sizeof big);
  tap_ok(bits >= 800 && bits <= 1248, "256 random bytes have 800..1248 one bits (got %d)", bits);

  tap_eq(getrandom(a, 0, 0), 0, "getrandom of 0 bytes returns 0");
  tap_fails_with(getrandom(a, sizeof a, 0x80), EINVAL,
                 "getrandom with unknown flags fails with EINVAL");
  tap_fails_with(getrandom(a, sizeof a, GRND_RANDOM | GRND_INSECURE), EINVAL,
                 "getrandom with GRND_RANDOM | GRND_INSECURE fails with EINVAL");
  tap_fails_with(getrandom((void *)1, sizeof a, 0), EFAULT,
                 "getrandom into (void*)1 fails with EFAULT");
  return tap_done();
}
