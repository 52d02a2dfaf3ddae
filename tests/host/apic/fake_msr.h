// A recording MsrIo: every RDMSR/WRMSR in order; reads return the last value written or a
// preset one (0 by default).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "kernel/arch/x86_64/apic/lapic_access.h"

namespace apic::test {

struct MsrOp {
  bool write;
  std::uint32_t msr;
  std::uint64_t value;
  bool operator==(const MsrOp&) const = default;
};

inline MsrOp wr(std::uint32_t msr, std::uint64_t value) { return {true, msr, value}; }
inline MsrOp rd(std::uint32_t msr, std::uint64_t value) { return {false, msr, value}; }

class FakeMsr final : public MsrIo {
 public:
  std::uint64_t read(std::uint32_t msr) override {
    const std::uint64_t v = values[msr];
    ops.push_back(rd(msr, v));
    return v;
  }
  void write(std::uint32_t msr, std::uint64_t value) override {
    ops.push_back(wr(msr, value));
    values[msr] = value;
  }
  std::vector<MsrOp> writes() const {
    std::vector<MsrOp> w;
    for (const MsrOp& op : ops) if (op.write) w.push_back(op);
    return w;
  }

  std::map<std::uint32_t, std::uint64_t> values;
  std::vector<MsrOp> ops;
};

}  // namespace apic::test
