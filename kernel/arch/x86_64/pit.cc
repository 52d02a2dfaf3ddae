#include "kernel/arch/x86_64/pit.h"

#include "kernel/arch/x86_64/cpu.h"

namespace arch {
namespace {

// 8254 ports and the NMI status/control port that gates channel 2 (OSDev "Programmable
// Interval Timer"; Intel 8254 data sheet).
constexpr std::uint16_t kPitChannel2 = 0x42;
constexpr std::uint16_t kPitCommand = 0x43;
constexpr std::uint16_t kSpeakerControl = 0x61;
constexpr std::uint8_t kGate2 = 0x01;        // port 0x61 bit 0: channel 2 gate
constexpr std::uint8_t kSpeakerData = 0x02;  // port 0x61 bit 1: keep the speaker silent
constexpr std::uint8_t kOut2 = 0x20;         // port 0x61 bit 5: channel 2 output
// Channel 2, lobyte/hibyte access, mode 0 (interrupt on terminal count), binary.
constexpr std::uint8_t kChannel2Mode0 = 0xB0;

constexpr std::uint64_t kPitHz = 1'193'182;
constexpr std::uint16_t kTicks = 59'659;  // ~50 ms: long enough to make the port I/O noise small
// ~50 ms of polls take at most ~50k port reads on real hardware (~1 us each); 20M allows for
// much faster emulated port I/O while still ending in seconds if OUT2 never rises.
constexpr std::uint64_t kMaxPolls = 20'000'000;
constexpr int kRuns = 5;
// Runs within this fraction of the shortest one count as agreeing with it.
constexpr std::uint64_t kAgreementDivisor = 50;  // 2%
constexpr int kMinAgreeing = 2;                  // the shortest run and at least one more
constexpr std::uint64_t kMinHz = 100'000'000;
constexpr std::uint64_t kMaxHz = 20'000'000'000;

// One interval: TSC cycles until channel 2 counts kTicks down, or 0 on failure.
std::uint64_t measure_once(const char** error) {
  const std::uint8_t saved = inb(kSpeakerControl);
  outb(kSpeakerControl, static_cast<std::uint8_t>((saved & ~kSpeakerData) | kGate2));
  outb(kPitCommand, kChannel2Mode0);
  outb(kPitChannel2, kTicks & 0xFF);
  outb(kPitChannel2, kTicks >> 8);  // counting starts here; OUT2 is low until terminal count
  const std::uint64_t start = rdtsc();
  std::uint64_t polls = 0;
  bool reached = false;
  for (; polls < kMaxPolls; ++polls) {
    if (inb(kSpeakerControl) & kOut2) {
      reached = true;
      break;
    }
  }
  const std::uint64_t end = rdtsc();
  outb(kSpeakerControl, saved);
  if (!reached) {
    *error = "PIT channel 2 never reached terminal count";
    return 0;
  }
  if (polls == 0) {
    *error = "PIT channel 2 output high at once (no PIT?)";
    return 0;
  }
  return end - start;
}

}  // namespace

klib::Result<std::uint64_t, const char*> measure_tsc_hz_with_pit() {
  std::uint64_t runs[kRuns];
  std::uint64_t best = ~0ull;
  for (std::uint64_t& cycles : runs) {
    const char* error = nullptr;
    cycles = measure_once(&error);
    if (cycles == 0) return klib::make_error(error);
    // Interference (SMIs, a descheduled virtual CPU) only ever lengthens a run, so the
    // shortest run is the best estimate; it is trusted only if another run confirms it.
    if (cycles < best) best = cycles;
  }
  int agreeing = 0;
  for (const std::uint64_t cycles : runs) {
    if (cycles - best <= best / kAgreementDivisor) ++agreeing;
  }
  if (agreeing < kMinAgreeing) {
    return klib::make_error("no two PIT runs agree within 2% (interference?)");
  }
  const std::uint64_t hz = best * kPitHz / kTicks;
  if (hz < kMinHz || hz > kMaxHz) return klib::make_error("TSC rate outside 100 MHz..20 GHz");
  return hz;
}

}  // namespace arch
