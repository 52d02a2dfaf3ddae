// Kernel core pieces exercised inside the kernel: formatter, command line, symbols, consoles,
// boot state.
#include "kernel/console/framebuffer_console.h"
#include "kernel/console/serial16550.h"
#include "kernel/core/boot_state.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/kernel_symbols.h"
#include "kernel/core/rsdp.h"
#include "kernel/ktest/ktest.h"
#include "kernel/ktest/pattern.h"

extern "C" void kernel_main(std::uint64_t);

namespace {

bool same(fmt::StringView a, const char* b) {
  const fmt::StringView bv(b);
  if (a.length != bv.length) return false;
  for (std::size_t i = 0; i < a.length; ++i) {
    if (a.data[i] != bv.data[i]) return false;
  }
  return true;
}

bool contains(fmt::StringView haystack, const char* needle) {
  const fmt::StringView n(needle);
  for (std::size_t i = 0; i + n.length <= haystack.length; ++i) {
    if (same(fmt::StringView(haystack.data + i, n.length), needle)) return true;
  }
  return false;
}

}  // namespace

KTEST(core_formatter_in_kernel) {
  char buffer[64];
  fmt::FixedBuffer out(buffer, sizeof(buffer));
  fmt::format_to(out, "{} {:#x} {:>5} {} {}", -42, 0xbeefu, "ab", true, 'z');
  KCHECK(same(fmt::StringView(out.c_str()), "-42 0xbeef    ab true z"));
  out.clear();
  fmt::format_to(out, "{:08b}|{:<4}|{}", 5u, 7, "x");
  KCHECK(same(fmt::StringView(out.c_str()), "00000101|7   |x"));
  char tiny[4];
  fmt::FixedBuffer small(tiny, sizeof(tiny));
  fmt::format_to(small, "{}", 123456);
  KCHECK(small.truncated());
  KCHECK_EQ(small.size(), 3u);
}

KTEST(core_cmdline_parses_options) {
  const char text[] = "  test=arch_* qemu_exit fault=ud loglevel=warn bogus poweroff=1 ";
  const cmdline::ParseResult r = cmdline::parse(fmt::StringView(text, sizeof(text) - 1));
  const cmdline::CoreOptions& o = r.options.core;
  KCHECK(o.tests.selected);
  KCHECK(same(o.tests.pattern, "arch_*"));
  KCHECK(o.qemu_exit);
  KCHECK(!o.power_off);  // "poweroff=1" is rejected: the flag takes no value
  KCHECK(o.fault == core::Fault::kInvalidOpcode);
  KCHECK(o.log_level == klog::Level::kWarn);
  KCHECK_EQ(r.problem_count, 2u);
  KCHECK(r.problems[0].kind == cmdline::ProblemKind::kUnknownKey);
  KCHECK(same(r.problems[0].word, "bogus"));
  KCHECK(r.problems[1].kind == cmdline::ProblemKind::kUnexpectedValue);
}

KTEST(core_boot_command_line_selected_tests) {
  // This test runs, so the boot command line asked for tests.
  KCHECK(core::options().core.tests.selected);
  KCHECK(core::command_line().length > 0);
  KCHECK(ktest::name_matches(core::options().core.tests.pattern,
                             "core_boot_command_line_selected_tests"));
}

KTEST(core_symbol_lookup_of_kernel_main) {
  const ksym::SymbolTable& table = ksym::kernel_symbols();
  if (table.empty()) KSKIP("the loader passed no symbol table");
  const auto address = reinterpret_cast<std::uint64_t>(&kernel_main);
  KCHECK_EQ(table.find("kernel_main"), address);
  const ksym::Symbolized s = table.lookup(address + 4);
  KCHECK(same(s.name, "kernel_main"));
  KCHECK_EQ(s.offset, 4u);
  // An address in the middle of this very test resolves to the test's body.
  const ksym::Symbolized here =
      table.lookup(reinterpret_cast<std::uint64_t>(&ktest_body_core_symbol_lookup_of_kernel_main) + 1);
  KCHECK(contains(here.name, "ktest_body_core_symbol_lookup_of_kernel_main"));
}

KTEST(core_serial_console_present) {
  const console::Serial16550& serial = console::com1();
  KCHECK(serial.present());
  KCHECK_EQ(serial.dropped_bytes(), 0u);
}

KTEST(core_boot_info_kept) {
  const boot::BootInfo& info = core::boot_info();
  KCHECK_EQ(info.magic, boot::kBootInfoMagic);
  KCHECK_EQ(info.version, boot::kBootInfoVersion);
  KCHECK(info.kernel_virtual_base == boot::kKernelVirtualBase);
}

KTEST(core_rsdp_checks_out) {
  const boot::BootInfo& info = core::boot_info();
  if (info.rsdp == 0) KSKIP("no RSDP from the loader");
  const rsdp::Info acpi = rsdp::read(info.rsdp);
  KCHECK(acpi.valid);
  KCHECK(acpi.rsdt != 0 || acpi.xsdt != 0);
  KCHECK_EQ(acpi.revision >= 2, info.rsdp_revision >= 2);
}

KTEST(core_framebuffer_console_matches_mode) {
  const boot::Framebuffer& fb = core::boot_info().framebuffer;
  const console::FramebufferConsole& c = console::framebuffer_console();
  if (!c.active()) KSKIP("no framebuffer console");
  KCHECK_EQ(c.columns(), fb.width / 8);
  KCHECK_EQ(c.rows(), fb.height / 16);
}
