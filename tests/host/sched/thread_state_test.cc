#include "sched/thread_state.h"

#include <gtest/gtest.h>

#include <vector>

#include "sched/thread.h"

namespace {

using sched::ThreadState;

struct Recorder {
  std::vector<sched::BugReport> reports;
  static void handler(const sched::BugReport& r, void* ctx) {
    static_cast<Recorder*>(ctx)->reports.push_back(r);
  }
};

class ThreadStateTest : public ::testing::Test {
 protected:
  void SetUp() override { sched::set_bug_handler(&Recorder::handler, &recorder_); }
  void TearDown() override { sched::set_bug_handler(nullptr, nullptr); }
  Recorder recorder_;
};

TEST_F(ThreadStateTest, TableHasExactlyTheLifeCycleEdges) {
  constexpr ThreadState N = ThreadState::kNew, R = ThreadState::kRunnable,
                        U = ThreadState::kRunning, B = ThreadState::kBlocked,
                        X = ThreadState::kExited;
  const ThreadState all[] = {N, R, U, B, X};
  const std::pair<ThreadState, ThreadState> allowed[] = {
      {N, R}, {R, U}, {U, R}, {U, B}, {U, X}, {B, R}, {B, U}};
  int count = 0;
  for (ThreadState from : all) {
    for (ThreadState to : all) {
      bool expect = false;
      for (auto& [f, t] : allowed) expect |= (f == from && t == to);
      EXPECT_EQ(sched::transition_allowed(from, to), expect)
          << sched::state_name(from) << " -> " << sched::state_name(to);
      count += expect;
    }
  }
  EXPECT_EQ(count, 7);
}

TEST_F(ThreadStateTest, ValidTransitionsChangeStateWithoutReports) {
  sched::Thread t;
  EXPECT_TRUE(sched::transition(t, ThreadState::kNew, ThreadState::kRunnable));
  EXPECT_TRUE(sched::transition(t, ThreadState::kRunnable, ThreadState::kRunning));
  EXPECT_TRUE(sched::transition(t, ThreadState::kRunning, ThreadState::kBlocked));
  EXPECT_TRUE(sched::transition(t, ThreadState::kBlocked, ThreadState::kRunning));
  EXPECT_TRUE(sched::transition(t, ThreadState::kRunning, ThreadState::kExited));
  EXPECT_EQ(t.state.load(), ThreadState::kExited);
  EXPECT_TRUE(recorder_.reports.empty());
}

TEST_F(ThreadStateTest, InvalidTransitionIsReportedAndStateUnchanged) {
  sched::Thread t;
  // Not an edge: kNew -> kRunning (a thread must be queued before it runs).
  EXPECT_FALSE(sched::transition(t, ThreadState::kNew, ThreadState::kRunning));
  ASSERT_EQ(recorder_.reports.size(), 1u);
  EXPECT_EQ(recorder_.reports[0].kind, sched::BugKind::kInvalidTransition);
  EXPECT_EQ(recorder_.reports[0].thread, &t);
  EXPECT_EQ(recorder_.reports[0].from, ThreadState::kNew);
  EXPECT_EQ(recorder_.reports[0].to, ThreadState::kRunning);
  EXPECT_EQ(t.state.load(), ThreadState::kNew);

  // An edge, but the thread is not in `from` (someone moved it behind the lock's back).
  EXPECT_FALSE(sched::transition(t, ThreadState::kBlocked, ThreadState::kRunnable));
  ASSERT_EQ(recorder_.reports.size(), 2u);
  EXPECT_EQ(recorder_.reports[1].from, ThreadState::kNew);  // what was really there
  EXPECT_EQ(t.state.load(), ThreadState::kNew);

  // Nothing leaves kExited.
  t.state.store(ThreadState::kExited);
  EXPECT_FALSE(sched::transition(t, ThreadState::kExited, ThreadState::kRunnable));
  EXPECT_EQ(recorder_.reports.size(), 3u);
  EXPECT_EQ(t.state.load(), ThreadState::kExited);
}

}  // namespace
