// Context switch cost: our switch (sched/arch/x86_64/context_switch.S) against Boost.Context's
// jump_fcontext and POSIX swapcontext (which also saves/restores the signal mask: a system
// call each way). One iteration = one round trip (two switches). "Switch/<implementation>".
#include <benchmark/benchmark.h>
#include <ucontext.h>

#include <boost/context/detail/fcontext.hpp>
#include <cstdint>
#include <vector>

#include "sched/context.h"

namespace {

constexpr std::size_t kStack = 64 * 1024;

// ---- Ours ----------------------------------------------------------------------------------

struct OursPair {
  sched::Context main;
  sched::Context other;
};

void ours_body(void* a, void*) {
  auto& p = *static_cast<OursPair*>(a);
  for (;;) sched::switch_context(&p.other, &p.main);
}

void BM_Ours(benchmark::State& state) {
  std::vector<std::byte> stack(kStack);
  OursPair p;
  sched::init_context(p.other, stack.data(), stack.size(), &ours_body, &p, nullptr);
  for (auto _ : state) sched::switch_context(&p.main, &p.other);
  state.SetItemsProcessed(state.iterations() * 2);
}

// ---- Boost.Context fcontext ----------------------------------------------------------------

namespace bctx = boost::context::detail;

void fcontext_body(bctx::transfer_t t) {
  for (;;) t = bctx::jump_fcontext(t.fctx, nullptr);
}

void BM_Fcontext(benchmark::State& state) {
  std::vector<std::byte> stack(kStack);
  bctx::fcontext_t ctx = bctx::make_fcontext(stack.data() + stack.size(), stack.size(), &fcontext_body);
  for (auto _ : state) ctx = bctx::jump_fcontext(ctx, nullptr).fctx;
  state.SetItemsProcessed(state.iterations() * 2);
}

// ---- swapcontext -------------------------------------------------------------------------------

ucontext_t g_main, g_other;

void ucontext_body() {
  for (;;) swapcontext(&g_other, &g_main);
}

void BM_Swapcontext(benchmark::State& state) {
  std::vector<std::byte> stack(kStack);
  getcontext(&g_other);
  g_other.uc_stack.ss_sp = stack.data();
  g_other.uc_stack.ss_size = stack.size();
  g_other.uc_link = nullptr;
  makecontext(&g_other, &ucontext_body, 0);
  for (auto _ : state) swapcontext(&g_main, &g_other);
  state.SetItemsProcessed(state.iterations() * 2);
}

}  // namespace

BENCHMARK(BM_Ours)->Name("Switch/ours:switch_context");
BENCHMARK(BM_Fcontext)->Name("Switch/boost::jump_fcontext");
BENCHMARK(BM_Swapcontext)->Name("Switch/ucontext:swapcontext");

BENCHMARK_MAIN();
