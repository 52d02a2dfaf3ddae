// One POSIX message queue (mq_overview(7)): messages kept whole, highest priority first and
// FIFO within a priority, at most max_messages of at most message_size bytes each. Senders
// sleep while it is full and receivers while it is empty, each until its deadline or until it
// is interrupted; the other side's progress wakes them on any CPU. docs/user-space.md,
// "Message queues".
//
// Locking: lock_ (a spinlock, nothing taken inside it) guards the list, the notification and
// the waiting-receiver count; count_ mirrors the list's length for the wait conditions, which
// run under the wait queues' locks. A waker changes count_ under lock_, drops it, then wakes:
// the wait queue evaluates its condition under its own lock, so a change between a sleeper's
// check and its sleep is never missed (sched/wait_queue.h). Wake-ups go to one sleeper; one
// that leaves without using its wake-up (timed out, interrupted) passes it on.
//
// The queue knows no user memory and no processes: the caller copies the bytes in and out,
// turns an interruption into its errno and delivers the notification it is handed.
#pragma once

#include <cstdint>

#include "kernel/ipc/limits.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"
#include "smp/locks/locks.h"

namespace kipc {

inline constinit smp::LockClass kQueueLockClass{"mqueue", smp::LockRank{9}};

class Registry;

// A message: this header, then its bytes.
struct Message {
  Message* next = nullptr;
  std::uint64_t size = 0;
  std::uint32_t priority = 0;
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

// A message of `size` bytes (not yet filled in), or null when memory ran out.
Message* allocate_message(std::uint64_t size, std::uint32_t priority);
void free_message(Message* m);
// Messages allocated and not yet freed (accounting).
std::uint64_t live_messages();

// An mq_notify registration: who is told, and how, when a message arrives on the empty queue.
struct Notification {
  enum class Kind : std::uint8_t { kNone, kSignal };  // SIGEV_NONE, SIGEV_SIGNAL
  Kind kind = Kind::kNone;
  int owner = 0;             // the registering process's id
  int signal = 0;            // kSignal: the signal (0: none is sent, as Linux)
  std::uint64_t value = 0;   // kSignal: si_value
  const void* file = nullptr;  // the open file it was registered through (its identity only)
};

// What stops a sleeping sender or receiver early: checked on every wake-up, with a wait
// queue's lock held (so it must be cheap and take no lock).
struct Interruption {
  bool (*check)(void* arg) = nullptr;
  void* arg = nullptr;
  bool operator()() const { return check != nullptr && check(arg); }
};

enum class Outcome : std::uint8_t { kDone, kWouldBlock, kTimedOut, kInterrupted };

class MessageQueue {
 public:
  // A queue with valid attributes (check_attributes); `charged` is what it counts against its
  // registry's byte limit, returned when it goes.
  MessageQueue(const Attributes& a, std::uint32_t mode, std::uint64_t charged);
  ~MessageQueue();  // frees the messages left
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;

  const Attributes& attributes() const { return attributes_; }
  std::uint32_t mode() const { return mode_; }
  // Messages queued now (a snapshot).
  std::int64_t count() const { return count_.load(std::memory_order_acquire); }
  // Linux's QSIZE (what reading the queue's file shows): the bytes of the queued messages plus
  // one priority-tree node (48 bytes) per priority present.
  std::uint64_t queued_bytes();

  // Queues `m` (its size at most message_size, its priority below kPriorityLimit) behind every
  // message of its priority or higher. While the queue is full: kWouldBlock if `nonblock`, else
  // sleeps until there is room (kDone), `deadline` passes on the installed scheduler's clock
  // (kTimedOut; sched::kNoDeadline: never) or `stop()` holds (kInterrupted). On kDone the queue
  // owns `m`, otherwise the caller still does. When `m` went into an empty queue that no
  // receiver waits on and a notification was registered, the registration is removed and
  // returned through `*fired` (`*did_fire` true) for the caller to deliver.
  // Needs: a schedulable context unless `nonblock`. Takes lock_, then the wait queues' locks.
  Outcome send(Message* m, bool nonblock, std::uint64_t deadline, Interruption stop,
               Notification* fired, bool* did_fire);
  // Takes the first message of the highest priority into `*out` (the caller frees it). While
  // the queue is empty: as send's wait, for a message.
  Outcome receive(Message** out, bool nonblock, std::uint64_t deadline, Interruption stop);

  // mq_notify with a registration: false (EBUSY) when one is registered already.
  bool register_notification(const Notification& n);
  // mq_notify(NULL), or the owner closing the queue: removes the registration if `owner`
  // holds it.
  void remove_notification(int owner);
  // The open file `file` goes: a registration made through it goes too (Linux drops it when
  // the owner closes a descriptor of the queue), so no signal goes to a process that has gone.
  void remove_notification_of(const void* file);
  // The registration now (kind kNone and owner 0: none).
  Notification notification();

  // References: the registry's while the name exists, one per open descriptor. The last put
  // hands the queue to its registry, which frees it.
  void get() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void put();

 private:
  friend class Registry;
  using Lock = smp::TicketSpinLock<smp::NoIrqSave, kQueueLockClass>;

  void insert(Message* m) TA_REQ(lock_);
  // Wakes one sleeper of `q`, if there is one.
  static void wake_one(sched::WaitQueue& q);
  Message* take_first() TA_REQ(lock_);

  const Attributes attributes_;
  const std::uint32_t mode_;
  const std::uint64_t charged_;
  Lock lock_;
  Message* head_ TA_GUARDED(lock_) = nullptr;  // highest priority first
  Message* tail_ TA_GUARDED(lock_) = nullptr;
  std::uint64_t queued_bytes_ TA_GUARDED(lock_) = 0;
  Notification notification_ TA_GUARDED(lock_);
  bool notification_set_ TA_GUARDED(lock_) = false;
  // Written under lock_; read by the wait conditions (acquire) without it.
  smp::Atomic<std::int64_t> count_{0};
  // Receivers between finding the queue empty and giving up or taking a message: a message
  // arriving then is theirs, and no notification goes out (Linux: "no process waiting").
  smp::Atomic<std::uint32_t> waiting_receivers_{0};
  sched::WaitQueue not_empty_;
  sched::WaitQueue not_full_;
  smp::Atomic<std::uint32_t> refs_{1};
  // The registry that made it (it outlives its queues; put() hands the queue back to it), and
  // its list of named queues (under the registry's lock).
  Registry* registry_ = nullptr;
  MessageQueue* next_in_registry_ = nullptr;
  char name_[kNameMax + 1] = {};
  std::uint32_t name_length_ = 0;
};

}  // namespace kipc
