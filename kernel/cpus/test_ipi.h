// The first IPI: arch::Vector::kTestIpi, whose handler counts per CPU (CpuLocal::ipis).
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace kcpus {

// Boot CPU, before any AP is released: installs the handler.
void install_test_ipi_handler();

// Sends the test IPI to `cpu` (online, not necessarily another CPU) / to every CPU but this one.
void send_test_ipi(platform::CpuNumber cpu);
void send_test_ipi_all_but_self();

// Test IPIs `cpu` has taken so far (read from its per-CPU block).
std::uint64_t test_ipis_taken(platform::CpuNumber cpu);

}  // namespace kcpus
