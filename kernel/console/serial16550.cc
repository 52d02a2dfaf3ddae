#include "kernel/console/serial16550.h"

#include "kernel/arch/x86_64/cpu.h"

namespace console {
namespace {

// Register offsets from the base port (16550 data sheet; OSDev "Serial Ports").
enum class Reg : std::uint16_t {
  kData = 0,          // THR on write, RBR on read; divisor low byte when DLAB=1
  kInterruptEnable = 1,  // divisor high byte when DLAB=1
  kFifoControl = 2,
  kLineControl = 3,
  kModemControl = 4,
  kLineStatus = 5,
  kScratch = 7,
};

constexpr std::uint8_t kLcrDlab = 0x80;
constexpr std::uint8_t kLcr8N1 = 0x03;
constexpr std::uint8_t kFcrEnableClear14 = 0xC7;  // enable, clear both FIFOs, 14-byte trigger
constexpr std::uint8_t kMcrLoopback = 0x1E;       // loop + OUT1 + OUT2 + RTS, DTR off
constexpr std::uint8_t kMcrNormal = 0x0B;         // DTR + RTS + OUT2
constexpr std::uint8_t kLsrDataReady = 0x01;
constexpr std::uint8_t kLsrThrEmpty = 0x20;
constexpr std::uint8_t kIerReceivedData = 0x01;  // interrupt when received data is available
constexpr std::uint16_t kDivisor115200 = 1;       // 115200 = 1.8432 MHz / 16 / 1

// Upper bound on status polls. Each port read takes about a microsecond on real hardware
// (an ISA-speed access), so this is ~10 ms: a 16550 at 115200 baud drains a byte in 87 us.
constexpr unsigned kMaxTxPolls = 10'000;
constexpr unsigned kMaxRxPolls = 10'000;
constexpr unsigned kDeadAfterTimeouts = 8;

}  // namespace

namespace {
inline void write_reg(std::uint16_t base, Reg r, std::uint8_t v) {
  arch::outb(static_cast<std::uint16_t>(base + static_cast<std::uint16_t>(r)), v);
}
inline std::uint8_t read_reg(std::uint16_t base, Reg r) {
  return arch::inb(static_cast<std::uint16_t>(base + static_cast<std::uint16_t>(r)));
}
}  // namespace

bool Serial16550::init() {
  // 1. Scratch register: absent ports read back 0xFF (floating bus), not what we wrote.
  constexpr std::uint8_t kPatterns[] = {0x55, 0xAA};
  for (std::uint8_t pattern : kPatterns) {
    write_reg(base_, Reg::kScratch, pattern);
    if (read_reg(base_, Reg::kScratch) != pattern) return false;
  }
  write_reg(base_, Reg::kInterruptEnable, 0x00);  // polled driver: no UART interrupts
  write_reg(base_, Reg::kLineControl, kLcrDlab);
  write_reg(base_, Reg::kData, kDivisor115200 & 0xFF);
  write_reg(base_, Reg::kInterruptEnable, kDivisor115200 >> 8);
  write_reg(base_, Reg::kLineControl, kLcr8N1);
  write_reg(base_, Reg::kFifoControl, kFcrEnableClear14);

  // 2. Loopback: a byte sent with MCR.LOOP set must come back on the receive side.
  write_reg(base_, Reg::kModemControl, kMcrLoopback);
  constexpr std::uint8_t kProbeByte = 0xAE;
  write_reg(base_, Reg::kData, kProbeByte);
  bool echoed = false;
  for (unsigned i = 0; i < kMaxRxPolls; ++i) {
    if (read_reg(base_, Reg::kLineStatus) & kLsrDataReady) {
      echoed = read_reg(base_, Reg::kData) == kProbeByte;
      break;
    }
  }
  if (!echoed) return false;
  write_reg(base_, Reg::kModemControl, kMcrNormal);
  present_ = true;
  return true;
}

bool Serial16550::wait_tx_ready() {
  for (unsigned i = 0; i < kMaxTxPolls; ++i) {
    if (read_reg(base_, Reg::kLineStatus) & kLsrThrEmpty) return true;
    arch::pause();
  }
  return false;
}

void Serial16550::put(char c) {
  if (consecutive_timeouts_ >= kDeadAfterTimeouts) {
    ++dropped_;
    return;
  }
  if (!wait_tx_ready()) {
    ++dropped_;
    ++consecutive_timeouts_;
    return;
  }
  consecutive_timeouts_ = 0;
  write_reg(base_, Reg::kData, static_cast<std::uint8_t>(c));
}

void Serial16550::write_bytes(const char* text, std::size_t length) {
  if (!present_) return;
  for (std::size_t i = 0; i < length; ++i) put(text[i]);
}

void Serial16550::write(const char* text, std::size_t length) {
  if (!present_) return;
  for (std::size_t i = 0; i < length; ++i) {
    if (text[i] == '\n') put('\r');
    put(text[i]);
  }
}

Serial16550& com1() {
  // constinit: usable before the global constructors have run.
  static constinit Serial16550 port(Serial16550::kCom1);
  return port;
}

}  // namespace console

namespace console {

bool Serial16550::has_input() {
  return present_ && (read_reg(base_, Reg::kLineStatus) & kLsrDataReady) != 0;
}

std::size_t Serial16550::read_received(std::uint8_t* out, std::size_t max) {
  if (!present_) return 0;
  std::size_t n = 0;
  while (n < max && (read_reg(base_, Reg::kLineStatus) & kLsrDataReady) != 0) {
    out[n++] = read_reg(base_, Reg::kData);
  }
  return n;
}

bool Serial16550::enable_receive_interrupt() {
  if (!present_) return false;
  write_reg(base_, Reg::kInterruptEnable, kIerReceivedData);
  return true;
}

int Serial16550::try_read() {
  if (!present_) return -1;
  if ((read_reg(base_, Reg::kLineStatus) & kLsrDataReady) == 0) return -1;
  return read_reg(base_, Reg::kData);
}

}  // namespace console
