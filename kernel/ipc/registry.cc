#include "kernel/ipc/registry.h"

#include <new>

#include "kernel/abi/errno.h"
#include "smp/locks/guard.h"

namespace kipc {
namespace {

bool same(fmt::StringView a, const char* b, std::uint32_t b_length) {
  if (a.length != b_length) return false;
  for (std::size_t i = 0; i < a.length; ++i) {
    if (a.data[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

int check_name(fmt::StringView name) {
  if (name.length == 0) return kabi::kENOENT;
  if (name.length <= 2 && name.data[0] == '.' && (name.length == 1 || name.data[1] == '.')) {
    return kabi::kEACCES;
  }
  for (std::size_t i = 0; i < name.length; ++i) {
    if (name.data[i] == '/') return kabi::kEACCES;
  }
  if (name.length > kNameMax) return kabi::kENAMETOOLONG;
  return 0;
}

MessageQueue* Registry::find(fmt::StringView name) {
  for (MessageQueue* q = named_; q != nullptr; q = q->next_in_registry_) {
    if (same(name, q->name_, q->name_length_)) return q;
  }
  return nullptr;
}

klib::Result<QueueRef, int> Registry::open(const OpenRequest& request) {
  if (const int e = check_name(request.name); e != 0) return klib::make_error(e);
  // What a new queue would be, decided and allocated before the lock (nothing is allocated
  // under it); an existing queue makes it unused.
  Attributes attributes;
  if (request.attributes != nullptr) attributes = *request.attributes;
  int invalid = 0;
  MessageQueue* fresh = nullptr;
  std::uint64_t charge = 0;
  if (request.create) {
    invalid = request.attributes != nullptr ? check_attributes(attributes, request.creator) : 0;
    if (invalid == 0) {
      charge = queue_bytes(attributes);
      fresh = new (std::nothrow) MessageQueue(attributes, request.mode & 07777, charge);
      if (fresh != nullptr) {
        fresh->registry_ = this;
        for (std::size_t i = 0; i < request.name.length; ++i) fresh->name_[i] = request.name.data[i];
        fresh->name_length_ = static_cast<std::uint32_t>(request.name.length);
      }
    }
  }
  int error = 0;
  MessageQueue* found = nullptr;
  {
    smp::Guard g{lock_};
    found = find(request.name);
    if (found != nullptr) {
      if (request.create && request.exclusive) {
        error = kabi::kEEXIST;
      } else {
        found->get();
      }
    } else if (!request.create) {
      error = kabi::kENOENT;
    } else if (invalid != 0) {
      error = invalid;
    } else if (!request.creator.privileged && queues_ >= kUnprivilegedQueues) {
      error = kabi::kENOSPC;
    } else if (bytes_ + charge < bytes_ || bytes_ + charge > request.creator.bytes_limit) {
      error = kabi::kEMFILE;
    } else if (fresh == nullptr) {
      error = kabi::kENOMEM;
    } else {
      ++queues_;
      bytes_ += charge;
      fresh->refs_.store(2, std::memory_order_relaxed);  // the name's and the caller's
      fresh->next_in_registry_ = named_;
      named_ = fresh;
      found = fresh;
      fresh = nullptr;
    }
  }
  delete fresh;  // unused: never counted, never named
  if (error != 0) return klib::make_error(error);
  return QueueRef{found};
}

int Registry::unlink(fmt::StringView name) {
  if (const int e = check_name(name); e != 0) return e;
  MessageQueue* q = nullptr;
  {
    smp::Guard g{lock_};
    for (MessageQueue** at = &named_; *at != nullptr; at = &(*at)->next_in_registry_) {
      if (same(name, (*at)->name_, (*at)->name_length_)) {
        q = *at;
        *at = q->next_in_registry_;
        q->next_in_registry_ = nullptr;
        break;
      }
    }
  }
  if (q == nullptr) return kabi::kENOENT;
  q->put();  // the name's reference
  return 0;
}

void Registry::destroy(MessageQueue* q) {
  {
    smp::Guard g{lock_};
    --queues_;
    bytes_ -= q->charged_;
  }
  delete q;
}

std::uint32_t Registry::queues() {
  smp::Guard g{lock_};
  return queues_;
}

std::uint64_t Registry::bytes() {
  smp::Guard g{lock_};
  return bytes_;
}

}  // namespace kipc
