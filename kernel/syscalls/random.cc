// getrandom: bytes from krandom (RDRAND, or the ChaCha20 generator). The generator is keyed
// at boot, so no call ever blocks; GRND_NONBLOCK and GRND_RANDOM change nothing.
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/random/random.h"
#include "kernel/syscalls/handlers.h"

namespace ksys {
namespace {

using namespace kabi;
constexpr std::uint64_t kGrndNonblock = 1, kGrndRandom = 2, kGrndInsecure = 4;
// Linux returns at most this much per call (MAX_RW_COUNT-like cap in urandom_read).
constexpr std::uint64_t kMaxBytes = 0x1ffffff;

}  // namespace

PLEIADES_SYSCALL(sys_getrandom) {
  (void)frame;
  const std::uint64_t buffer = args.a0, flags = args.a2;
  std::uint64_t length = args.a1;
  if ((flags & ~(kGrndNonblock | kGrndRandom | kGrndInsecure)) != 0) return error(kEINVAL);
  if ((flags & kGrndInsecure) && (flags & kGrndRandom)) return error(kEINVAL);
  if (length > kMaxBytes) length = kMaxBytes;
  if (!arch::user_range_ok(buffer, length)) return error(kEFAULT);
  std::uint8_t chunk[256];
  std::uint64_t done = 0;
  while (done < length) {
    const std::uint64_t n = length - done < sizeof(chunk) ? length - done : sizeof(chunk);
    krandom::fill(chunk, n);
    if (!arch::copy_to_user(buffer + done, chunk, n)) {
      return done != 0 ? static_cast<std::int64_t>(done) : error(kEFAULT);
    }
    done += n;
  }
  return static_cast<std::int64_t>(done);
}

}  // namespace ksys
