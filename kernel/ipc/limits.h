// The limits of POSIX message queues, Linux's (ipc/mqueue.c, include/linux/ipc_namespace.h,
// mq_overview(7)): which attributes a new queue may have, and what it costs against the
// owner's RLIMIT_MSGQUEUE. docs/user-space.md, "Message queues".
#pragma once

#include <cstdint>

namespace kipc {

// Priorities are below this (MQ_PRIO_MAX).
inline constexpr std::uint32_t kPriorityLimit = 32768;
// The longest queue name, without the leading '/' (NAME_MAX).
inline constexpr std::uint32_t kNameMax = 255;

// /proc/sys/fs/mqueue's defaults: what an unprivileged caller may ask for, and what a queue
// created without attributes gets.
inline constexpr std::int64_t kDefaultMaxMessages = 10;     // msg_default
inline constexpr std::int64_t kDefaultMessageSize = 8192;   // msgsize_default
inline constexpr std::int64_t kUnprivilegedMaxMessages = 10;    // msg_max
inline constexpr std::int64_t kUnprivilegedMessageSize = 8192;  // msgsize_max
inline constexpr std::uint32_t kUnprivilegedQueues = 256;       // queues_max
// What a caller with CAP_SYS_RESOURCE may ask for (HARD_MSGMAX, HARD_MSGSIZEMAX); such a
// caller is not held to queues_max either.
inline constexpr std::int64_t kHardMaxMessages = 65536;
inline constexpr std::int64_t kHardMessageSize = 16 * 1024 * 1024;
// RLIMIT_MSGQUEUE's default (MQ_BYTES_MAX): bytes of queues one user may own.
inline constexpr std::uint64_t kDefaultBytesLimit = 819200;

// A queue's size: mq_maxmsg and mq_msgsize of struct mq_attr.
struct Attributes {
  std::int64_t max_messages = kDefaultMaxMessages;
  std::int64_t message_size = kDefaultMessageSize;
};

// Who is creating a queue.
struct Creator {
  bool privileged = false;  // CAP_SYS_RESOURCE
  std::uint64_t bytes_limit = kDefaultBytesLimit;  // the caller's RLIMIT_MSGQUEUE (soft)
};

// Checks the attributes of a queue to be created (mq_attr_ok): 0, or EINVAL for a size not
// positive or above the caller's limit.
int check_attributes(const Attributes& a, const Creator& who);

// What a queue with valid attributes `a` counts against RLIMIT_MSGQUEUE: its messages' bytes
// plus Linux's bookkeeping per message (a struct msg_msg and a priority-tree node, 48 bytes
// each on x86-64), so that a limit allows as many queues here as on Linux.
std::uint64_t queue_bytes(const Attributes& a);

}  // namespace kipc
