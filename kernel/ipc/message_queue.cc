#include "kernel/ipc/message_queue.h"

#include <atomic>
#include <new>

#include "kernel/ipc/registry.h"
#include "sched/current_scheduler.h"
#include "smp/locks/guard.h"

namespace kipc {
namespace {

std::atomic<std::uint64_t> g_live_messages{0};
// sizeof(struct posix_msg_tree_node) on x86-64 Linux, which QSIZE counts per priority.
constexpr std::uint64_t kPriorityNodeBytes = 48;

}  // namespace

Message* allocate_message(std::uint64_t size, std::uint32_t priority) {
  auto* raw = new (std::nothrow) std::uint8_t[sizeof(Message) + size];
  if (raw == nullptr) return nullptr;
  auto* m = new (raw) Message;
  m->size = size;
  m->priority = priority;
  g_live_messages.fetch_add(1, std::memory_order_relaxed);
  return m;
}

void free_message(Message* m) {
  if (m == nullptr) return;
  m->~Message();
  delete[] reinterpret_cast<std::uint8_t*>(m);
  g_live_messages.fetch_sub(1, std::memory_order_relaxed);
}

std::uint64_t live_messages() { return g_live_messages.load(std::memory_order_relaxed); }

void MessageQueue::wake_one(sched::WaitQueue& q) {
  // The sleeper links itself after checking its condition, both under the wait queue's lock,
  // and the condition was made true before this check: a sleeper not linked yet sees it, so an
  // empty queue needs no wake-up (and a caller that never sleeps needs no scheduler).
  if (!q.empty()) (void)q.wake_one(sched::current_scheduler());
}

MessageQueue::MessageQueue(const Attributes& a, std::uint32_t mode, std::uint64_t charged)
    : attributes_(a), mode_(mode), charged_(charged) {}

MessageQueue::~MessageQueue() {
  Message* m;
  {
    smp::Guard g{lock_};
    m = head_;
    head_ = tail_ = nullptr;
  }
  while (m != nullptr) {
    Message* next = m->next;
    free_message(m);
    m = next;
  }
}

void MessageQueue::insert(Message* m) {
  m->next = nullptr;
  bool new_priority = true;
  if (head_ == nullptr) {
    head_ = tail_ = m;
  } else if (tail_->priority >= m->priority) {
    // The common case (one priority, or a lower one than every queued message): the end.
    new_priority = tail_->priority != m->priority;
    tail_->next = m;
    tail_ = m;
  } else if (head_->priority < m->priority) {
    m->next = head_;
    head_ = m;
  } else {
    // Behind the last message of its priority or higher: the list is sorted, so the walk
    // stops before the tail (whose priority is lower).
    Message* at = head_;
    while (at->next->priority >= m->priority) at = at->next;
    new_priority = at->priority != m->priority;
    m->next = at->next;
    at->next = m;
  }
  queued_bytes_ += m->size + (new_priority ? kPriorityNodeBytes : 0);
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

Message* MessageQueue::take_first() {
  Message* m = head_;
  head_ = m->next;
  if (head_ == nullptr) tail_ = nullptr;
  m->next = nullptr;
  const bool last_of_priority = head_ == nullptr || head_->priority != m->priority;
  queued_bytes_ -= m->size + (last_of_priority ? kPriorityNodeBytes : 0);
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_release);
  return m;
}

Outcome MessageQueue::send(Message* m, bool nonblock, std::uint64_t deadline, Interruption stop,
                           Notification* fired, bool* did_fire) {
  *did_fire = false;
  for (;;) {
    {
      smp::Guard g{lock_};
      const std::int64_t before = count_.load(std::memory_order_relaxed);
      if (before < attributes_.max_messages) {
        insert(m);
        if (before == 0 && notification_set_ &&
            waiting_receivers_.load(std::memory_order_relaxed) == 0) {
          *fired = notification_;
          *did_fire = true;
          notification_set_ = false;
          notification_ = Notification{};
        }
        g.release();
        wake_one(not_empty_);
        return Outcome::kDone;
      }
    }
    if (nonblock) return Outcome::kWouldBlock;
    const bool ready = not_full_.wait_until(sched::current_scheduler(), deadline, [&] {
      return count_.load(std::memory_order_acquire) < attributes_.max_messages || stop();
    });
    if (ready && !stop()) continue;
    // Leaving without sending: a wake-up meant for a sender goes to the next one.
    if (count_.load(std::memory_order_acquire) < attributes_.max_messages) {
      wake_one(not_full_);
    }
    return ready ? Outcome::kInterrupted : Outcome::kTimedOut;
  }
}

Outcome MessageQueue::receive(Message** out, bool nonblock, std::uint64_t deadline,
                              Interruption stop) {
  bool counted = false;  // in waiting_receivers_
  const auto leave = [&](Outcome o) {
    if (counted) waiting_receivers_.fetch_sub(1, std::memory_order_relaxed);
    return o;
  };
  for (;;) {
    {
      smp::Guard g{lock_};
      if (head_ != nullptr) {
        *out = take_first();
        if (counted) waiting_receivers_.fetch_sub(1, std::memory_order_relaxed);
        g.release();
        wake_one(not_full_);
        return Outcome::kDone;
      }
      if (nonblock) return leave(Outcome::kWouldBlock);
      // Counted under lock_, so a sender that finds the queue empty after this sees it.
      if (!counted) waiting_receivers_.fetch_add(1, std::memory_order_relaxed);
      counted = true;
    }
    const bool ready = not_empty_.wait_until(sched::current_scheduler(), deadline, [&] {
      return count_.load(std::memory_order_acquire) > 0 || stop();
    });
    if (ready && !stop()) continue;
    // Leaving without a message: a wake-up meant for a receiver goes to the next one.
    if (count_.load(std::memory_order_acquire) > 0) wake_one(not_empty_);
    return leave(ready ? Outcome::kInterrupted : Outcome::kTimedOut);
  }
}

bool MessageQueue::register_notification(const Notification& n) {
  smp::Guard g{lock_};
  if (notification_set_) return false;
  notification_ = n;
  notification_set_ = true;
  return true;
}

void MessageQueue::remove_notification(int owner) {
  smp::Guard g{lock_};
  if (notification_set_ && notification_.owner == owner) {
    notification_set_ = false;
    notification_ = Notification{};
  }
}

void MessageQueue::remove_notification_of(const void* file) {
  smp::Guard g{lock_};
  if (notification_set_ && notification_.file == file) {
    notification_set_ = false;
    notification_ = Notification{};
  }
}

std::uint64_t MessageQueue::queued_bytes() {
  smp::Guard g{lock_};
  return queued_bytes_;
}

Notification MessageQueue::notification() {
  smp::Guard g{lock_};
  return notification_set_ ? notification_ : Notification{};
}

void MessageQueue::put() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) registry_->destroy(this);
}

}  // namespace kipc
