#include "kernel/ipc/limits.h"

#include "kernel/abi/errno.h"

namespace kipc {
namespace {

// sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node) on x86-64 Linux: a list head,
// type, size, next segment and security pointer; an rb_node, a list head and the priority.
constexpr std::uint64_t kMessageOverhead = 48;
constexpr std::uint64_t kTreeNodeOverhead = 48;

}  // namespace

int check_attributes(const Attributes& a, const Creator& who) {
  if (a.max_messages <= 0 || a.message_size <= 0) return kabi::kEINVAL;
  const std::int64_t max_messages = who.privileged ? kHardMaxMessages : kUnprivilegedMaxMessages;
  const std::int64_t message_size = who.privileged ? kHardMessageSize : kUnprivilegedMessageSize;
  if (a.max_messages > max_messages || a.message_size > message_size) return kabi::kEINVAL;
  // Both are bounded above (65536 x 16 MiB = 2^40), so the products below cannot overflow;
  // Linux's EOVERFLOW checks guard a 32-bit long, which x86-64 does not have.
  return 0;
}

std::uint64_t queue_bytes(const Attributes& a) {
  const auto messages = static_cast<std::uint64_t>(a.max_messages);
  const std::uint64_t tree_nodes = messages < kPriorityLimit ? messages : kPriorityLimit;
  return messages * kMessageOverhead + tree_nodes * kTreeNodeOverhead +
         messages * static_cast<std::uint64_t>(a.message_size);
}

}  // namespace kipc
