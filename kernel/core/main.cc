// kernel_main: the boot CPU's path from the loader's hand-off to idle (docs/boot-flow.md).
#include "kernel/firmware/acpi_report.h"
#include "kernel/arch/x86_64/boot_cpu.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/arch/x86_64/fpu.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/framebuffer_console.h"
#include "kernel/console/log.h"
#include "kernel/console/raw.h"
#include "kernel/console/serial16550.h"
#include "kernel/core/banner.h"
#include "kernel/core/boot_info_check.h"
#include "kernel/core/boot_state.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/crash_report.h"
#include "kernel/core/deliberate_fault.h"
#include "kernel/core/kernel_symbols.h"
#include "kernel/core/panic.h"
#include "kernel/core/power.h"
#include "kernel/mm/mm.h"
#include "kernel/platform/platform_kernel.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sched_bench.h"
#include "kernel/files/devices.h"
#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/interrupts/setup.h"
#include "kernel/cpus/bringup.h"
#include "kernel/cpus/ipi/service_options.h"
#include "kernel/cpus/ipi/services.h"
#include "kernel/cpus/ipi/ipi_bench.h"
#include "kernel/ktest/runner.h"
#include "kernel/time/clock.h"
#include "kernel/time/rtc.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/random/random.h"
#include "kernel/tty/terminal.h"
#include "kernel/vdso/vdso.h"
#include "kernel/vm/file_pages.h"

namespace core {
namespace {

constinit boot::BootInfo g_boot_info{};
constinit char g_cmdline[boot::kMaxCmdlineLength];
constinit std::size_t g_cmdline_length = 0;
constinit cmdline::BootOptions g_options{};
constinit fmt::StringView g_init_arguments{};  // after ` -- `: into g_cmdline

// Touches the first and last pixel of the framebuffer with page faults caught: the mapping
// of the framebuffer is the loader's (and later mm's) business, and a console that faults on
// every line would take the kernel down with it.
bool framebuffer_mapped(const boot::Framebuffer& fb) {
  if (fb.format == boot::PixelFormat::kNone || fb.size < 4) return false;
  struct Probe {
    volatile std::uint32_t* first;
    volatile std::uint32_t* last;
  } probe{mm::phys_to<volatile std::uint32_t>(fb.physical_base),
          mm::phys_to<volatile std::uint32_t>(fb.physical_base + fb.size - 4)};
  arch::FaultRecovery recovery{};
  recovery.expected_vector = static_cast<std::uint64_t>(arch::Vector::kPageFault);
  const bool faulted = arch::call_with_fault_recovery(
      recovery,
      [](void* p) {
        auto* pr = static_cast<Probe*>(p);
        *pr->first = *pr->first;  // read and write back: the pixel does not change
        *pr->last = *pr->last;
      },
      &probe);
  return !faulted;
}

void init_framebuffer_console(const boot::Framebuffer& fb) {
  if (fb.format == boot::PixelFormat::kNone) {
    klog::info("console: no framebuffer");
    return;
  }
  if (!framebuffer_mapped(fb)) {
    klog::warn("console: framebuffer at {:#x} is not mapped in the direct map; serial only",
               fb.physical_base);
    return;
  }
  auto& console = console::framebuffer_console();
  if (const char* problem = console.init(fb, mm::phys_to<volatile void>(fb.physical_base))) {
    klog::warn("console: framebuffer mode {}x{} stride {} {} bpp size {:#x} rejected: {}",
               fb.width, fb.height, fb.pixels_per_scanline, fb.bits_per_pixel, fb.size, problem);
    return;
  }
  klog::add_console(console);
  klog::info("console: framebuffer {}x{} text", console.columns(), console.rows());
}

void copy_command_line(const boot::BootInfo& info) {
  // check_boot_info() bounded the length by kMaxCmdlineLength, the size of our buffer.
  g_cmdline_length = info.cmdline_length;
  if (g_cmdline_length != 0) {
    __builtin_memcpy(g_cmdline, mm::phys_to<const char>(info.cmdline), g_cmdline_length);
  }
}

// Parses the command line once; each subsystem gets its part of g_options at its init.
void apply_command_line() {
  const cmdline::ParseResult parsed = cmdline::parse(command_line());
  g_options = parsed.options;
  g_init_arguments = parsed.init_arguments;
  klog::set_level(g_options.core.log_level);
  for (std::size_t i = 0; i < parsed.problem_count; ++i) {
    char text[256];
    fmt::FixedBuffer line(text, sizeof(text));
    cmdline::write_problem(line, parsed.problems[i]);
    klog::warn("cmdline: {}", line.c_str());
  }
  if (parsed.problems_dropped != 0) {
    klog::warn("cmdline: {} more problems not shown", parsed.problems_dropped);
  }
  kpanic::set_qemu_exit(g_options.core.qemu_exit);
}

// Before any other CPU runs: how ticket spinlocks hand over (spinlocks=, smp/locks/ticket_lock.h).
void choose_spinlock_mode() {
  // CPUID.1:ECX bit 31, reserved for hypervisors to set (Intel SDM vol. 2A, CPUID, table 3-10).
  const bool hypervisor = ((arch::cpuid(1).ecx >> 31) & 1) != 0;
  const cmdline::SpinlockMode mode = g_options.core.spinlocks;
  const bool take_when_free = mode == cmdline::SpinlockMode::kVirtual ||
                              (mode == cmdline::SpinlockMode::kAuto && hypervisor);
  platform::kernel::set_virtual_cpus(take_when_free);
  klog::info("spinlocks: {} ({}hypervisor)", take_when_free ? "taken when free" : "in line",
             hypervisor ? "" : "no ");
}

// Stops the kernel after a test run: QEMU exit code in qemu_exit mode, else power off.
[[noreturn]] void finish_tests(bool all_passed) {
  kcpus::print_lockstat_if_requested();
  if (g_options.core.qemu_exit) {
    power::qemu_exit(all_passed ? power::QemuExit::kSuccess : power::QemuExit::kFailure);
  }
  power::power_off();
}

// How long the main thread waits for every online CPU to enter the scheduler. They are released
// before the scheduler starts and only wait for it to be published, so this is far more than a
// working machine needs, even under TCG.
constexpr std::uint64_t kSchedEntryTimeoutNs = 5'000'000'000;

// `bench`: the cross-CPU service benchmarks, then the scheduler's (which needs threads).
void report_fpu() {
  const arch::fpu::FpuInfo& f = arch::fpu::info();
  switch (f.mode) {
    case arch::fpu::SaveMode::kXsave:
      klog::info("fpu: XSAVE, XCR0 {:#x}, {}-byte thread areas", f.xcr0, f.area_size);
      break;
    case arch::fpu::SaveMode::kFxsave:
      klog::info("fpu: FXSAVE (no XSAVE), {}-byte thread areas", f.area_size);
      break;
    case arch::fpu::SaveMode::kNone:
      klog::warn("fpu: no FXSR/SSE; threads cannot use the FPU");
      break;
  }
}

bool run_benchmarks() {
  const bool ipi_ok = kbench::run();
  if (!kthreads::running()) {
    klog::raw("sched_bench: skipped (scheduler off)\n");
    return ipi_ok;
  }
  return kthreads::run_bench() && ipi_ok;
}

// What the boot CPU does once everything is up; with the scheduler (the default), in the first
// kernel thread ("main", pinned to CPU 0).
[[noreturn]] void after_boot(void*) {
  if (kthreads::running()) (void)kthreads::wait_for_cpus(kSchedEntryTimeoutNs);
  kcpus::run_test_provocations();
  if (g_options.services.bench) finish_tests(run_benchmarks());
  if (g_options.core.sched_bench) finish_tests(kthreads::run_bench());
  if (g_options.core.tests.selected) finish_tests(ktest::run_tests(g_options.core.tests.pattern));
  if (g_options.core.power_off) {
    kcpus::print_lockstat_if_requested();
    power::power_off();
  }
  if (kthreads::running()) {
    // Before the first program: every CPU online, cross-CPU calls working.
    kvdso::init(g_options.core.vdso_clock);
    kproc::init(g_options.core.proc_exit_delay_ms);
    const kfirmware::MachineTables& tables = kfirmware::machine_tables();
    ktty::init(!tables.boot_flags_known || tables.has_8042);
    const bool named = g_options.core.init_path.length != 0;
    const fmt::StringView init = named ? g_options.core.init_path : fmt::StringView("/init");
    if (named || kproc::file_exists(init)) klog::info("boot complete; starting process 1");
    if ((named || kproc::file_exists(init)) && kproc::start_init(init, g_init_arguments)) {
      const int status = kproc::wait_for_init_end();
      kcpus::print_lockstat_if_requested();
      if (g_options.core.qemu_exit) {
        power::qemu_exit(status == 0 ? power::QemuExit::kSuccess : power::QemuExit::kFailure);
      }
      power::power_off();
    }
  } else if (g_options.core.init_path.length != 0) {
    klog::warn("init: not started: user programs need the scheduler (sched=on)");
  }
  klog::info("boot complete; idle");
  if (kthreads::running()) kthreads::exit_thread();  // the CPUs idle in the scheduler
  // Nothing more to do: halt with interrupts off; an NMI falls through to halt again.
  arch::halt_forever();
}

}  // namespace

const boot::BootInfo& boot_info() { return g_boot_info; }
fmt::StringView command_line() { return fmt::StringView(g_cmdline, g_cmdline_length); }
const cmdline::BootOptions& options() { return g_options; }

}  // namespace core

extern "C" [[noreturn]] void kernel_main(std::uint64_t boot_info_phys) {
  using namespace core;
  ktime::set_entry_tsc(arch::rdtsc());  // the start of the boot figures ("to /init")
  // Per-CPU block first: it is one MSR write, and everything after may ask which CPU it is.
  arch::init_boot_cpu_local();

  console::Serial16550& serial = console::com1();
  if (serial.init()) klog::add_console(serial);
  klog::info("pleiades: kernel entered, BootInfo at {:#x}", boot_info_phys);

  // The BootInfo lives in loader memory; check the header, then keep a copy of our part.
  if (boot_info_phys == 0) {
    klog::error("boot: no BootInfo; halting");
    arch::halt_forever();
  }
  const auto& loader_info = *mm::phys_to<const boot::BootInfo>(boot_info_phys);
  if (const char* problem = boot::check_boot_info(loader_info)) {
    klog::error("boot: BootInfo rejected: {} (magic {:#x} version {} size {}, kernel knows "
                "version {} size {}); halting",
                problem, loader_info.magic, loader_info.version, loader_info.size,
                boot::kBootInfoVersion, sizeof(boot::BootInfo));
    arch::halt_forever();
  }
  g_boot_info = loader_info;
  const boot::BootInfo& info = g_boot_info;
  power::set_efi_runtime_services(info.efi_runtime_services);
  ksym::use_boot_tables(info);

  copy_command_line(info);
  apply_command_line();
  choose_spinlock_mode();

  // Descriptor tables before the framebuffer console: probing the framebuffer mapping relies
  // on the page-fault handler, and any fault from here on is reported instead of resetting.
  kpanic::install_crash_report();
  arch::init_boot_cpu_tables();
  init_framebuffer_console(info.framebuffer);

  mm::init(info);
  // mm::init switched to the kernel's own page tables: check the framebuffer is still there.
  if (console::framebuffer_console().active() && !framebuffer_mapped(info.framebuffer)) {
    console::framebuffer_console().disable();
    klog::warn("console: framebuffer not mapped by the kernel page tables; disabled");
  }
  if (!ksym::copy_to_heap()) klog::warn("symbols: no memory for the symbol table copy");
  // The topology report reads the firmware memory map, which lives in loader memory: before
  // reclaim. It never fails; problems are printed and boot carries on.
  kfirmware::read_and_report(info, g_options.core.acpi_dump);
  if (kfirmware::machine_tables().numa_ok) mm::set_numa(kfirmware::machine_tables().numa);
  // The initramfs lives in loader memory too: checked and reported before reclaim. Its files'
  // pages are frames that shared mappings can map (kernel/vm/file_pages.h).
  kvm::install_file_page_store();
  (void)initramfs::report_boot_archive(info);

  // The FPU for threads that use it (the kernel itself never does); APs copy the boot CPU's mode.
  (void)arch::fpu::init_this_cpu();
  report_fpu();
  arch::init_syscall_this_cpu();

  // Interrupt controllers and time, from what the ACPI report kept.
  const kfirmware::MachineTables& tables = kfirmware::machine_tables();
  if (tables.hpet_present) ktime::set_hpet(tables.hpet_base);
  if (tables.pm_timer_present) ktime::set_pm_timer(tables.pm_timer_port, tables.pm_timer_32bit);
  kinterrupts::init(tables);
  // Before the timer calibration: the other CPUs stop running the firmware's wait loop.
  kcpus::park_firmware_cpus();
  ktime::init();
  (void)ktime::init_wall_clock();
  krandom::init();
  // /dev's device nodes in the root file system (report_boot_archive built it above).
  if (ramfs::Filesystem* root = initramfs::root_filesystem()) kfiles::populate_dev(*root);
  if (g_options.core.sched) kthreads::request();  // before the APs are released
  kthreads::set_tickless_idle(g_options.core.nohz_idle);
  // Every CPU online (docs/smp.md): needs the APIC, the clock and the topology from above.
  (void)kcpus::start_secondary_cpus(kfirmware::machine_tables().topology, info, g_options.smp);
  kcpus::init_cross_cpu_services(g_options.services);

  mm::reclaim_boot_memory();
  mm::start_frame_caches();  // every CPU is started: one cache each

  print_banner(info, command_line());
  // Before the scheduler: the report's backtrace then ends in kernel_main, as the fault tests
  // expect, rather than in a thread's start frame.
  if (g_options.core.fault != Fault::kNone) core::take_deliberate_fault(g_options.core.fault);

  if (g_options.core.sched) kthreads::start_boot_cpu(&after_boot, nullptr);
  klog::info("sched: off (nosched or sched=off): no threads; the APs idle in kcpus::ap_idle_loop");
  after_boot(nullptr);
}
