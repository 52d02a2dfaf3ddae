// The names of POSIX message queues (Linux's mqueue file system, which this kernel does not
// mount): mq_open's lookup and creation, mq_unlink, and what the queues cost. A queue lives
// while its name or a descriptor refers to it: unlinking drops the name at once, the queue
// goes with its last descriptor. docs/user-space.md, "Message queues".
//
// Every process here runs as root, one user: the queues count against one byte total, which
// the creator's RLIMIT_MSGQUEUE bounds (EMFILE beyond it), and an unprivileged creator also
// against queues_max (ENOSPC). One spinlock guards the list of names, the count and the byte
// total; nothing is allocated or freed under it, and no other lock is taken inside it.
#pragma once

#include <cstdint>

#include "kernel/ipc/limits.h"
#include "kernel/ipc/message_queue.h"
#include "smp/klib/format.h"
#include "smp/klib/result.h"
#include "smp/locks/locks.h"

namespace kipc {

inline constinit smp::LockClass kRegistryLockClass{"mqueue-registry", smp::LockRank{8}};

// A counted reference to a queue, dropped at scope end.
class QueueRef {
 public:
  QueueRef() = default;
  explicit QueueRef(MessageQueue* q) : q_(q) {}  // takes over one reference
  QueueRef(QueueRef&& o) : q_(o.q_) { o.q_ = nullptr; }
  QueueRef& operator=(QueueRef&& o) {
    if (this != &o) {
      reset();
      q_ = o.q_;
      o.q_ = nullptr;
    }
    return *this;
  }
  QueueRef(const QueueRef&) = delete;
  QueueRef& operator=(const QueueRef&) = delete;
  ~QueueRef() { reset(); }
  void reset() {
    if (q_ != nullptr) q_->put();
    q_ = nullptr;
  }
  MessageQueue* get() const { return q_; }
  MessageQueue* operator->() const { return q_; }
  MessageQueue* release() {
    MessageQueue* q = q_;
    q_ = nullptr;
    return q;
  }

 private:
  MessageQueue* q_ = nullptr;
};

// What mq_open asks for.
struct OpenRequest {
  fmt::StringView name;       // without the leading '/'
  bool create = false;        // O_CREAT
  bool exclusive = false;     // O_EXCL
  const Attributes* attributes = nullptr;  // null: the defaults
  std::uint32_t mode = 0600;  // permission bits of a new queue (umask applied)
  Creator creator;
};

// Checks a queue name as Linux's lookup does: 0, ENOENT (empty), EACCES ("." or "..", or a
// '/' in it), ENAMETOOLONG (above kNameMax).
int check_name(fmt::StringView name);

class Registry {
 public:
  Registry() = default;
  // Needs: every queue it made is gone (the kernel's registry lives forever).
  ~Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // mq_open: the named queue, created if asked. Errors (errno values, in Linux's order):
  // check_name's, ENOENT (missing, no O_CREAT), EEXIST (O_CREAT | O_EXCL and it exists),
  // EINVAL (check_attributes), ENOSPC (queues_max, unprivileged), EMFILE (RLIMIT_MSGQUEUE),
  // ENOMEM. Takes the registry lock.
  klib::Result<QueueRef, int> open(const OpenRequest& request);
  // mq_unlink: the name goes; the queue stays while descriptors refer to it. 0 or
  // check_name's errors, ENOENT.
  int unlink(fmt::StringView name);

  // Queues alive (named or not) and the bytes they count (accounting).
  std::uint32_t queues();
  std::uint64_t bytes();

 private:
  friend class MessageQueue;
  using Lock = smp::TicketSpinLock<smp::NoIrqSave, kRegistryLockClass>;

  // The last reference of `q` went (MessageQueue::put): its bytes are returned, it is freed.
  void destroy(MessageQueue* q);
  MessageQueue* find(fmt::StringView name) TA_REQ(lock_);

  Lock lock_;
  MessageQueue* named_ TA_GUARDED(lock_) = nullptr;
  std::uint32_t queues_ TA_GUARDED(lock_) = 0;
  std::uint64_t bytes_ TA_GUARDED(lock_) = 0;
};

}  // namespace kipc
