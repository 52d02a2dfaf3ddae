// The PS/2 keyboard behind an i8042 controller (ports 0x60/0x64, ISA IRQ 1): probed with bounded
// waits, its interrupt routed through the IOAPIC; the handler moves scancodes into the
// terminal's keyboard ring and wakes the worker, which translates them (keyboard_map.h).
// References: the i8042's command set (OSDev "8042 PS/2 Controller"); Linux's i8042.c facts.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/log.h"
#include "kernel/interrupts/dispatch.h"
#include "kernel/interrupts/io_apic.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/tty/terminal_state.h"

namespace ktty {
namespace {

constexpr std::uint16_t kDataPort = 0x60;
constexpr std::uint16_t kStatusPort = 0x64;  // read: status; write: controller command
constexpr std::uint8_t kStatusOutputFull = 0x01;  // a byte waits in 0x60 for us
constexpr std::uint8_t kStatusInputFull = 0x02;   // the controller has not taken our last byte
constexpr std::uint8_t kStatusAuxData = 0x20;     // the waiting byte is the mouse's
// Controller commands.
constexpr std::uint8_t kReadConfig = 0x20, kWriteConfig = 0x60, kDisableAux = 0xa7,
                       kSelfTest = 0xaa, kDisableKeyboard = 0xad, kEnableKeyboard = 0xae;
constexpr std::uint8_t kSelfTestPassed = 0x55;
// Configuration byte: keyboard interrupt, mouse interrupt, keyboard clock off, translation to
// scancode set 1.
constexpr std::uint8_t kConfigKeyboardIrq = 0x01, kConfigAuxIrq = 0x02,
                       kConfigKeyboardClockOff = 0x10, kConfigTranslate = 0x40;
constexpr std::uint8_t kKeyboardEnableScanning = 0xf4, kKeyboardAck = 0xfa;
constexpr std::uint8_t kKeyboardIrq = 1;
// Status polls before a wait gives up. A port read takes about a microsecond on real hardware
// (an ISA-speed access), so this is ~100 ms: far longer than a controller takes to answer.
constexpr unsigned kMaxPolls = 100'000;
// Stale bytes drained at start: the controller's buffer holds one, a keyboard's a few more.
constexpr unsigned kMaxStale = 32;

bool wait_input_empty() {
  for (unsigned i = 0; i < kMaxPolls; ++i) {
    if ((arch::inb(kStatusPort) & kStatusInputFull) == 0) return true;
    arch::pause();
  }
  return false;
}

bool wait_output_full() {
  for (unsigned i = 0; i < kMaxPolls; ++i) {
    if (arch::inb(kStatusPort) & kStatusOutputFull) return true;
    arch::pause();
  }
  return false;
}

bool command(std::uint8_t c) {
  if (!wait_input_empty()) return false;
  arch::outb(kStatusPort, c);
  return true;
}

bool write_data(std::uint8_t b) {
  if (!wait_input_empty()) return false;
  arch::outb(kDataPort, b);
  return true;
}

// The controller's answer to a command, or -1 when none came in time.
int read_data() { return wait_output_full() ? arch::inb(kDataPort) : -1; }

void drain_stale() {
  for (unsigned i = 0; i < kMaxStale && (arch::inb(kStatusPort) & kStatusOutputFull); ++i) {
    (void)arch::inb(kDataPort);
  }
}

void keyboard_interrupt(arch::InterruptFrame&) {
  Terminal* t = terminal();
  if (t == nullptr) return;
  const std::size_t n = t->keyboard_ring.push_from([](std::uint8_t* out, std::size_t room) {
    std::size_t got = 0;
    while (got < room) {
      const std::uint8_t status = arch::inb(kStatusPort);
      if ((status & kStatusOutputFull) == 0) break;
      const std::uint8_t b = arch::inb(kDataPort);
      if ((status & kStatusAuxData) == 0) out[got++] = b;  // a mouse byte is dropped
    }
    return got;
  });
  if (n != 0) (void)t->worker_wait.wake_one(kthreads::scheduler());
}

// Brings the controller up with its keyboard port alone, interrupts on, translation on.
// Returns null on success, else what failed.
const char* set_up_controller() {
  // A missing controller floats the bus: every status bit reads 1.
  if (arch::inb(kStatusPort) == 0xff) return "no controller (status reads 0xff)";
  if (!command(kDisableKeyboard) || !command(kDisableAux)) return "commands not taken";
  drain_stale();
  if (!command(kReadConfig)) return "config read not taken";
  const int config = read_data();
  if (config < 0) return "no configuration byte";
  if (!command(kSelfTest)) return "self-test not taken";
  const int result = read_data();
  if (result != kSelfTestPassed) return result < 0 ? "no self-test answer" : "self-test failed";
  std::uint8_t next = static_cast<std::uint8_t>(config);
  next = static_cast<std::uint8_t>((next | kConfigKeyboardIrq | kConfigTranslate) &
                                   ~(kConfigAuxIrq | kConfigKeyboardClockOff));
  // Written after the self-test: some controllers reset the byte there.
  if (!command(kWriteConfig) || !write_data(next)) return "config write not taken";
  if (!command(kEnableKeyboard)) return "keyboard port enable not taken";
  if (!write_data(kKeyboardEnableScanning)) return "keyboard did not take a command";
  const int ack = read_data();
  if (ack != kKeyboardAck) return ack < 0 ? "no keyboard answered" : "keyboard refused scanning";
  return nullptr;
}

}  // namespace

std::size_t translate_keyboard(Terminal& t, std::uint8_t* out, std::size_t max) {
  std::size_t n = 0;
  std::uint8_t codes[16];
  // Only the worker translates: the decoder's state is its alone.
  while (n + KeyboardDecoder::kMaxBytes <= max) {
    const std::size_t got = t.keyboard_ring.pop(codes, 1);
    if (got == 0) break;
    std::uint8_t bytes[KeyboardDecoder::kMaxBytes];
    const std::size_t k = t.keyboard.feed(codes[0], bytes);
    for (std::size_t i = 0; i < k; ++i) out[n++] = bytes[i];
  }
  t.keyboard_bytes.fetch_add(n, std::memory_order_relaxed);
  return n;
}

void start_keyboard_input(Terminal&, bool firmware_8042) {
  if (!firmware_8042) {
    klog::info("tty: no i8042 keyboard controller (the FADT says so)");
    return;
  }
  const std::uint32_t gsi = kinterrupts::isa_irq_gsi(kKeyboardIrq);
  if (gsi >= arch::kIrqCount) {
    klog::error("tty: the keyboard's IRQ 1 maps to GSI {}, beyond the device vectors", gsi);
    return;
  }
  // Set up with the interrupt not yet routed: the probe's answers are read by polling.
  if (const char* failed = set_up_controller()) {
    klog::info("tty: no PS/2 keyboard: {}", failed);
    return;
  }
  const arch::Vector vector = arch::irq_vector(gsi);
  kinterrupts::set_handler(vector, keyboard_interrupt);
  if (!kinterrupts::route_isa_irq(kKeyboardIrq, vector, kinterrupts::current_id())) {
    klog::error("tty: cannot route the keyboard's IRQ 1 (GSI {}); no keyboard input", gsi);
    return;
  }
  klog::info("tty: PS/2 keyboard, IRQ 1 -> GSI {} vector {:#x}", gsi, arch::vector_number(vector));
}

}  // namespace ktty
