// A 16550-compatible UART as a klog console (COM1 by default). Real PCs often have no serial
// port, so the driver probes before use, and every wait on the hardware is bounded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/console/log.h"

namespace console {

class Serial16550 final : public klog::Console {
 public:
  static constexpr std::uint16_t kCom1 = 0x3F8;

  explicit constexpr Serial16550(std::uint16_t base) : base_(base) {}

  // Probes for the UART (scratch register, then a loopback byte) and, if it answers,
  // programs 115200 8N1 with FIFOs. Returns whether the port is present; an absent port
  // stays silent (write() drops everything).
  bool init();
  bool present() const { return present_; }

  // Sends `text` ("\n" becomes "\r\n"). Waits for the transmitter at most kMaxTxPolls per
  // byte; a byte that times out is dropped and counted.
  void write(const char* text, std::size_t length) override;
  std::uint64_t dropped_bytes() const { return dropped_; }

  // Sends `text` as it is, byte for byte (the terminal did its own output processing).
  void write_bytes(const char* text, std::size_t length) override;

  // A received byte, or -1 when none is waiting (or the port is absent): the line status
  // register's data-ready bit. Callers serialise reads (the terminal's input ring lock).
  int try_read();
  // Whether a received byte is waiting (the line status register, nothing consumed).
  bool has_input();
  // Moves up to `max` received bytes to `out` (the receive FIFO holds 16); returns the count.
  // For the interrupt handler and the terminal's worker, serialised by the caller.
  std::size_t read_received(std::uint8_t* out, std::size_t max);
  // Enables the "received data available" interrupt (IER bit 0; the FIFO trigger level is 14
  // bytes and a character timeout raises it for fewer). The line goes to the PIC/IOAPIC through
  // MCR.OUT2, which init() sets. False when the port is absent.
  bool enable_receive_interrupt();

 private:
  bool wait_tx_ready();
  void put(char c);

  std::uint16_t base_;
  bool present_ = false;
  std::uint64_t dropped_ = 0;
  // Consecutive timeouts: after a few the port is treated as dead instead of costing
  // kMaxTxPolls for every byte of every line.
  unsigned consecutive_timeouts_ = 0;
};

// The COM1 console of the kernel (kernel/core/main.cc registers it when present).
Serial16550& com1();

}  // namespace console
