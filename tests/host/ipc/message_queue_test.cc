// One message queue (kernel/ipc/message_queue.h): the order (highest priority first, FIFO
// within one), QSIZE, when a notification fires, and, on the host SMP machine (host threads as
// CPUs, the real scheduler and wait queues), blocking senders and receivers on several CPUs:
// every message received exactly once, each sender's messages of one priority in the order
// sent, timeouts that expire. No timing assertions; every wait is bounded by the machine.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "host_machine.h"
#include "kernel/ipc/registry.h"
#include "sched/current_scheduler.h"
#include "sched_test_util.h"

namespace {

using kipc::Message;
using kipc::Notification;
using kipc::Outcome;
using sched::Thread;
using sched::ThreadParams;
using sched::test::HostMachine;

constexpr std::uint64_t kNever = sched::kNoDeadline;

kipc::QueueRef make_queue(kipc::Registry& r, const char* name, std::int64_t max_messages,
                          std::int64_t size) {
  const kipc::Attributes a{max_messages, size};
  kipc::OpenRequest req;
  req.name = name;
  req.create = true;
  req.exclusive = true;
  req.attributes = &a;
  req.creator.privileged = true;
  auto q = r.open(req);
  EXPECT_TRUE(q);
  EXPECT_EQ(r.unlink(name), 0);  // the test's reference keeps it
  return static_cast<kipc::QueueRef&&>(q.value());
}

Message* text(const char* s, std::uint32_t priority) {
  Message* m = kipc::allocate_message(std::strlen(s), priority);
  std::memcpy(m->bytes(), s, m->size);
  return m;
}

Outcome send_now(kipc::MessageQueue& q, Message* m, bool* fired = nullptr,
                 Notification* n = nullptr) {
  Notification unused;
  bool did = false;
  const Outcome o = q.send(m, true, kNever, {}, n != nullptr ? n : &unused, &did);
  if (fired != nullptr) *fired = did;
  if (o != Outcome::kDone) kipc::free_message(m);
  return o;
}

TEST(IpcQueue, PriorityOrderFifoWithinAndQsize) {
  kipc::Registry r;
  const std::uint64_t live = kipc::live_messages();
  {
    kipc::QueueRef q = make_queue(r, "order", 8, 16);
    const char* texts[] = {"five-a", "one-a", "five-b", "nine", "one-b", "zero", "top", "five-c"};
    const std::uint32_t prios[] = {5, 1, 5, 9, 1, 0, 32767, 5};
    std::uint64_t bytes = 0;
    for (int i = 0; i < 8; ++i) {
      ASSERT_EQ(send_now(*q.get(), text(texts[i], prios[i])), Outcome::kDone);
      bytes += std::strlen(texts[i]);
    }
    EXPECT_EQ(q->count(), 8);
    // Five priorities present: 48 bytes of tree node each, as Linux's QSIZE.
    EXPECT_EQ(q->queued_bytes(), bytes + 5 * 48);
    EXPECT_EQ(send_now(*q.get(), text("full", 3)), Outcome::kWouldBlock);
    const char* want[] = {"top", "nine", "five-a", "five-b", "five-c", "one-a", "one-b", "zero"};
    for (const char* w : want) {
      Message* m = nullptr;
      ASSERT_EQ(q->receive(&m, true, kNever, {}), Outcome::kDone);
      EXPECT_EQ(std::string(reinterpret_cast<char*>(m->bytes()), m->size), w);
      kipc::free_message(m);
    }
    EXPECT_EQ(q->queued_bytes(), 0u);
    Message* m = nullptr;
    EXPECT_EQ(q->receive(&m, true, kNever, {}), Outcome::kWouldBlock);
    // Messages left in a queue go with it.
    ASSERT_EQ(send_now(*q.get(), text("left", 1)), Outcome::kDone);
  }
  EXPECT_EQ(kipc::live_messages(), live);
  EXPECT_EQ(r.queues(), 0u);
}

TEST(IpcQueue, NotificationOnceOnArrivalInTheEmptyQueue) {
  kipc::Registry r;
  kipc::QueueRef q = make_queue(r, "notify", 4, 8);
  Notification n;
  n.kind = Notification::Kind::kSignal;
  n.owner = 42;
  n.signal = 10;
  n.value = 7;
  ASSERT_TRUE(q->register_notification(n));
  EXPECT_FALSE(q->register_notification(n));  // EBUSY
  bool fired = false;
  Notification got;
  ASSERT_EQ(send_now(*q.get(), text("a", 0), &fired, &got), Outcome::kDone);
  EXPECT_TRUE(fired);
  EXPECT_EQ(got.owner, 42);
  EXPECT_EQ(got.value, 7u);
  EXPECT_EQ(q->notification().owner, 0);  // removed by firing
  ASSERT_TRUE(q->register_notification(n));
  ASSERT_EQ(send_now(*q.get(), text("b", 0), &fired, &got), Outcome::kDone);
  EXPECT_FALSE(fired);  // the queue was not empty
  q->remove_notification(41);  // not the owner: stays
  EXPECT_EQ(q->notification().owner, 42);
  q->remove_notification(42);
  EXPECT_EQ(q->notification().owner, 0);
  for (int i = 0; i < 2; ++i) {
    Message* m = nullptr;
    ASSERT_EQ(q->receive(&m, true, kNever, {}), Outcome::kDone);
    kipc::free_message(m);
  }
}

struct Driver {
  HostMachine& m;
  std::uint32_t step = 0;
  void operator()() {
    m.tick_all();
    if (++step % 5 == 0) m.preempt(step % m.cpus());
  }
};

void run(HostMachine& m) {
  Driver d{m};
  m.wait_until([&] { return m.all_exited(); }, [&] { d(); });
  m.shutdown();
}

// What a test message carries: who sent it and its number among that sender's messages.
struct Stamp {
  std::uint32_t sender;
  std::uint32_t sequence;
};

TEST(IpcQueueSmp, BlockingSendersAndReceiversEveryMessageOnce) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kCpus = 4, kSenders = 3, kReceivers = 3, kPerSender = 1500;
  kipc::Registry r;
  const std::uint64_t live = kipc::live_messages();
  {
    kipc::QueueRef q = make_queue(r, "smp", 4, sizeof(Stamp));  // small: both sides block
    HostMachine m(kCpus);
    m.boot();
    std::vector<std::atomic<std::uint32_t>> seen(kSenders * kPerSender);
    std::atomic<std::uint32_t> received{0}, failures{0};
    for (std::uint32_t s = 0; s < kSenders; ++s) {
      ThreadParams p;
      p.name = "sender";
      p.affinity = smp::CpuSet::only(s % kCpus);
      Thread& t = m.create(p, [&, s] {
        for (std::uint32_t i = 0; i < kPerSender; ++i) {
          Message* msg = kipc::allocate_message(sizeof(Stamp), i % 3);
          const Stamp st{s, i};
          std::memcpy(msg->bytes(), &st, sizeof(st));
          Notification n;
          bool fired;
          if (q->send(msg, false, kNever, {}, &n, &fired) != Outcome::kDone) {
            kipc::free_message(msg);
            failures.fetch_add(1);
          }
          if (i % 7 == 0) m.poll();
        }
      });
      m.start(t);
    }
    for (std::uint32_t c = 0; c < kReceivers; ++c) {
      ThreadParams p;
      p.name = "receiver";
      p.affinity = smp::CpuSet::only((c + 1) % kCpus);
      Thread& t = m.create(p, [&] {
        for (std::uint32_t i = 0; i < kSenders * kPerSender / kReceivers; ++i) {
          Message* msg = nullptr;
          if (q->receive(&msg, false, kNever, {}) != Outcome::kDone) {
            failures.fetch_add(1);
            continue;
          }
          Stamp st;
          std::memcpy(&st, msg->bytes(), sizeof(st));
          if (msg->size != sizeof(Stamp) || st.sender >= kSenders || st.sequence >= kPerSender ||
              st.sequence % 3 != msg->priority) {
            failures.fetch_add(1);
          } else {
            seen[st.sender * kPerSender + st.sequence].fetch_add(1);
          }
          kipc::free_message(msg);
          received.fetch_add(1);
          if (i % 5 == 0) m.poll();
        }
      });
      m.start(t);
    }
    run(m);
    EXPECT_EQ(failures.load(), 0u);
    EXPECT_EQ(received.load(), kSenders * kPerSender);
    std::uint32_t once = 0;
    for (auto& s : seen) once += s.load() == 1;
    EXPECT_EQ(once, kSenders * kPerSender);
    EXPECT_EQ(q->count(), 0);
    EXPECT_TRUE(bugs.reports().empty());
  }
  EXPECT_EQ(kipc::live_messages(), live);
}

TEST(IpcQueueSmp, OneReceiverSeesEachSendersPriorityOrder) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kCpus = 3, kSenders = 2, kPerSender = 2000;
  kipc::Registry r;
  kipc::QueueRef q = make_queue(r, "order", 6, sizeof(Stamp));
  HostMachine m(kCpus);
  m.boot();
  std::atomic<std::uint32_t> out_of_order{0}, received{0};
  for (std::uint32_t s = 0; s < kSenders; ++s) {
    ThreadParams p;
    p.affinity = smp::CpuSet::only(s);
    Thread& t = m.create(p, [&, s] {
      for (std::uint32_t i = 0; i < kPerSender; ++i) {
        Message* msg = kipc::allocate_message(sizeof(Stamp), i % 4);
        const Stamp st{s, i};
        std::memcpy(msg->bytes(), &st, sizeof(st));
        Notification n;
        bool fired;
        (void)q->send(msg, false, kNever, {}, &n, &fired);
        if (i % 9 == 0) m.poll();
      }
    });
    m.start(t);
  }
  ThreadParams p;
  p.affinity = smp::CpuSet::only(2);
  Thread& t = m.create(p, [&] {
    // Within one sender and one priority, sequence numbers only go up (FIFO per priority),
    // however the priorities interleave.
    std::int64_t last[kSenders][4];
    for (auto& row : last) for (auto& v : row) v = -1;
    for (std::uint32_t i = 0; i < kSenders * kPerSender; ++i) {
      Message* msg = nullptr;
      if (q->receive(&msg, false, kNever, {}) != Outcome::kDone) continue;
      Stamp st;
      std::memcpy(&st, msg->bytes(), sizeof(st));
      std::int64_t& l = last[st.sender][msg->priority];
      if (static_cast<std::int64_t>(st.sequence) <= l) out_of_order.fetch_add(1);
      l = st.sequence;
      kipc::free_message(msg);
      received.fetch_add(1);
    }
  });
  m.start(t);
  run(m);
  EXPECT_EQ(received.load(), kSenders * kPerSender);
  EXPECT_EQ(out_of_order.load(), 0u);
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(IpcQueueSmp, TimedWaitsExpire) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  kipc::Registry r;
  kipc::QueueRef q = make_queue(r, "timed", 1, 4);
  std::atomic<int> receive_result{-1}, send_result{-1};
  Thread& t = m.create(ThreadParams{}, [&] {
    Message* msg = nullptr;
    const std::uint64_t deadline = sched::deadline_after(2'000'000);  // 2 ms
    receive_result = static_cast<int>(q->receive(&msg, false, deadline, {}));
    // Fill the queue, then a timed send must time out.
    Message* a = kipc::allocate_message(1, 0);
    Notification n;
    bool fired;
    (void)q->send(a, true, kNever, {}, &n, &fired);
    Message* b = kipc::allocate_message(1, 0);
    send_result = static_cast<int>(q->send(b, false, sched::deadline_after(2'000'000), {}, &n, &fired));
    kipc::free_message(b);
  });
  m.start(t);
  run(m);
  EXPECT_EQ(receive_result.load(), static_cast<int>(Outcome::kTimedOut));
  EXPECT_EQ(send_result.load(), static_cast<int>(Outcome::kTimedOut));
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(IpcQueueSmp, InterruptedWaitLeavesTheMessageForAnother) {
  // A receiver told to stop gives up; the message that arrives later goes to the one still
  // waiting (a wake-up the stopped one took is passed on).
  sched::test::BugRecorder bugs;
  HostMachine m(3);
  m.boot();
  kipc::Registry r;
  kipc::QueueRef q = make_queue(r, "stop", 2, 4);
  std::atomic<bool> stop_first{false};
  std::atomic<int> first{-1}, second{-1};
  std::atomic<std::uint32_t> waiting{0};
  const auto stop_check = [](void* arg) {
    return static_cast<std::atomic<bool>*>(arg)->load();
  };
  ThreadParams p1;
  p1.affinity = smp::CpuSet::only(0);
  Thread& a = m.create(p1, [&] {
    Message* msg = nullptr;
    waiting.fetch_add(1);
    // A deadline far away, re-armed in slices so the stop flag is seen without a waker.
    Outcome o;
    do {
      o = q->receive(&msg, false, sched::deadline_after(1'000'000),
                     kipc::Interruption{stop_check, &stop_first});
    } while (o == Outcome::kTimedOut && !stop_first.load());
    if (o == Outcome::kTimedOut) o = Outcome::kInterrupted;  // stopped between two slices
    first = static_cast<int>(o);
    if (msg != nullptr) kipc::free_message(msg);
  });
  ThreadParams p2;
  p2.affinity = smp::CpuSet::only(1);
  Thread& b = m.create(p2, [&] {
    Message* msg = nullptr;
    waiting.fetch_add(1);
    second = static_cast<int>(q->receive(&msg, false, kNever, {}));
    if (msg != nullptr) kipc::free_message(msg);
  });
  ThreadParams p3;
  p3.affinity = smp::CpuSet::only(2);
  Thread& c = m.create(p3, [&] {
    while (waiting.load() < 2) m.poll();
    stop_first = true;
    while (first.load() < 0) m.poll();
    Message* msg = kipc::allocate_message(1, 0);
    Notification n;
    bool fired;
    (void)q->send(msg, false, kNever, {}, &n, &fired);
  });
  m.start(a);
  m.start(b);
  m.start(c);
  run(m);
  EXPECT_EQ(first.load(), static_cast<int>(Outcome::kInterrupted));
  EXPECT_EQ(second.load(), static_cast<int>(Outcome::kDone));
  EXPECT_EQ(q->count(), 0);
  EXPECT_TRUE(bugs.reports().empty());
}

}  // namespace
