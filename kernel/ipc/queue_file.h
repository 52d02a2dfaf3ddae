// Message queues as descriptors: the File an mq_open returns (close, dup, fork and poll work
// on it as on any file; POLLIN while messages wait, POLLOUT while there is room), and the
// kernel's one registry of queue names. docs/user-space.md, "Message queues".
#pragma once

#include <cstdint>

#include "kernel/files/file.h"
#include "kernel/ipc/registry.h"

namespace kipc {

// The kernel's queue names (every process sees the same ones: one IPC namespace).
Registry& registry();

// A File for `queue` (taking over the reference) with the open flags `flags` (access mode and
// O_NONBLOCK); null when memory ran out (the reference is then dropped).
kfiles::File* open_queue_file(QueueRef queue, std::uint32_t flags);

// The queue behind `file`, or null when it is not a message queue (the calls give EBADF). The
// pointer lives as long as the caller's reference to the file.
MessageQueue* queue_of(kfiles::File& file);

// Files of message queues open (accounting).
std::uint64_t live_queue_files();

}  // namespace kipc
