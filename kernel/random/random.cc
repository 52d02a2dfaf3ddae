#include "kernel/random/random.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/time/rtc.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"

namespace krandom {
namespace {

bool g_rdrand = false;

constinit smp::LockClass kRandomClass{"random", smp::LockRank{0}};
smp::TicketSpinLock<smp::IrqSave, kRandomClass> g_lock;
std::uint32_t g_state[16] TA_GUARDED(g_lock);  // ChaCha20: constants, key, counter, nonce

constexpr std::uint32_t rotl(std::uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter(std::uint32_t* x, int a, int b, int c, int d) {
  x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 16);
  x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 12);
  x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 8);
  x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 7);
}

// One 64-byte ChaCha20 block of the current state; advances the counter.
void chacha_block(std::uint32_t (&out)[16]) TA_REQ(g_lock) {
  std::uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = g_state[i];
  for (int round = 0; round < 10; ++round) {
    quarter(x, 0, 4, 8, 12); quarter(x, 1, 5, 9, 13);
    quarter(x, 2, 6, 10, 14); quarter(x, 3, 7, 11, 15);
    quarter(x, 0, 5, 10, 15); quarter(x, 1, 6, 11, 12);
    quarter(x, 2, 7, 8, 13); quarter(x, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; ++i) out[i] = x[i] + g_state[i];
  if (++g_state[12] == 0) ++g_state[13];
}

bool rdrand64(std::uint64_t* v) {
  // Intel's guidance: retry up to 10 times on an empty-buffer failure (CF = 0).
  for (int i = 0; i < 10; ++i) {
    unsigned char ok;
    asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
    if (ok) return true;
  }
  return false;
}

bool rdseed64(std::uint64_t* v) {
  for (int i = 0; i < 100; ++i) {
    unsigned char ok;
    asm volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
    if (ok) return true;
    arch::pause();
  }
  return false;
}

}  // namespace

void init() {
  g_rdrand = (arch::cpuid(1).ecx & (1u << 30)) != 0;
  const bool rdseed = (arch::cpuid(7, 0).ebx & (1u << 18)) != 0;
  smp::Guard g{g_lock};
  // "expand 32-byte k", then a key of mixed sources; the nonce words hold more of them.
  g_state[0] = 0x61707865; g_state[1] = 0x3320646e; g_state[2] = 0x79622d32; g_state[3] = 0x6b206574;
  for (int i = 4; i < 16; ++i) {
    std::uint64_t v = arch::rdtsc() * 0x9E3779B97F4A7C15ull ^ ktime::realtime_ns();
    std::uint64_t hw;
    if (rdseed && rdseed64(&hw)) v ^= hw;
    if (g_rdrand && rdrand64(&hw)) v ^= hw;
    g_state[i] = static_cast<std::uint32_t>(v ^ (v >> 32));
  }
  g_state[12] = 0;
  klog::info("random: {}", g_rdrand ? "RDRAND" : rdseed ? "ChaCha20 keyed with RDSEED and clocks"
                                                         : "ChaCha20 keyed from clocks (no RDRAND/RDSEED)");
}

bool hardware() { return g_rdrand; }

void fill(void* out, std::size_t size) {
  auto* bytes = static_cast<std::uint8_t*>(out);
  while (size > 0) {
    std::uint64_t words[8];
    bool have = false;
    if (g_rdrand) {
      have = true;
      for (auto& w : words) have = have && rdrand64(&w);
    }
    if (!have) {
      std::uint32_t block[16];
      {
        smp::Guard g{g_lock};
        chacha_block(block);
      }
      __builtin_memcpy(words, block, sizeof(words));
    }
    const std::size_t n = size < sizeof(words) ? size : sizeof(words);
    __builtin_memcpy(bytes, words, n);
    bytes += n;
    size -= n;
  }
}

}  // namespace krandom
