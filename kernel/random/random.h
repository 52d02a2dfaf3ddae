// Random bytes for getrandom and AT_RANDOM: RDRAND where the CPU has it (CPUID.1:ECX[30]);
// otherwise a ChaCha20 generator (RFC 8439 block function as a keystream) keyed at boot from
// RDSEED when present, the TSC at many points of the boot, and the wall clock. Not a
// cryptographic entropy pool: docs/user-space.md says what it is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace krandom {

// Boot CPU, once, late in boot (after the clocks: their jitter is part of the key).
void init();

// Fills `out` with `size` random bytes. Any context that may spin briefly.
void fill(void* out, std::size_t size);

// Whether RDRAND is the source.
bool hardware();

}  // namespace krandom
