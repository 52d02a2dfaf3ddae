#include "kernel/ipc/queue_file.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "smp/klib/format.h"

namespace kipc {
namespace {

constexpr std::int64_t kEBADF = 9, kEFAULT = 14, kEINVAL = 22;
// Linux's SIGEV_SIGNAL and SIGEV_NONE, as the queue file's text shows them.
constexpr int kSigevSignal = 0, kSigevNone = 1;
// What stat reports as the size of a queue's file (Linux's FILENT_SIZE).
constexpr std::uint64_t kQueueFileSize = 80;
// The device number of the queues' files: an anonymous one of their own, as Linux's mqueue
// file system has.
constexpr std::uint64_t kQueueDevice = 0x13;

constinit char g_kind = 0;  // its address tags queue files
std::atomic<std::uint64_t> g_live_files{0};
std::atomic<std::uint64_t> g_next_ino{1};

class QueueFile final : public kfiles::File {
 public:
  QueueFile(QueueRef q, std::uint32_t flags)
      : File(flags), queue_(static_cast<QueueRef&&>(q)),
        ino_(g_next_ino.fetch_add(1, std::memory_order_relaxed)) {
    g_live_files.fetch_add(1, std::memory_order_relaxed);
  }
  ~QueueFile() override {
    queue().remove_notification_of(this);
    g_live_files.fetch_sub(1, std::memory_order_relaxed);
  }

  MessageQueue& queue() const { return *queue_.get(); }
  const void* kind() const override { return &g_kind; }

  // Linux's queue file reads as one line of its state, from the file position.
  bool seekable() const override { return true; }
  std::int64_t read(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) override {
    if (!readable()) return -kEBADF;
    char text[96];
    fmt::FixedBuffer out(text, sizeof(text));
    const Notification n = queue().notification();
    const bool owned = n.owner != 0;
    const int notify = !owned ? 0 : n.kind == Notification::Kind::kSignal ? kSigevSignal
                                                                           : kSigevNone;
    const int signo = owned && n.kind == Notification::Kind::kSignal ? n.signal : 0;
    fmt::format_to(out, "QSIZE:{:<10} NOTIFY:{:<5} SIGNO:{:<5} NOTIFY_PID:{:<6}\n",
                   queue().queued_bytes(), notify, signo, n.owner);
    if (*pos >= out.size()) return 0;
    std::uint64_t n_bytes = out.size() - *pos;
    if (n_bytes > length) n_bytes = length;
    if (!arch::copy_to_user(buffer, text + *pos, n_bytes)) return -kEFAULT;
    *pos += n_bytes;
    return static_cast<std::int64_t>(n_bytes);
  }
  // A queue's file has no write operation on Linux: EINVAL (EBADF when not open for writing).
  std::int64_t write(std::uint64_t, std::uint64_t, std::uint64_t*) override {
    return writable() ? -kEINVAL : -kEBADF;
  }
  std::int64_t size() override { return static_cast<std::int64_t>(kQueueFileSize); }
  kfiles::FileStat stat() override {
    kfiles::FileStat s;
    s.dev = kQueueDevice;
    s.ino = ino_;
    s.mode = 0100000 | queue().mode();  // S_IFREG
    s.size = kQueueFileSize;
    return s;
  }
  std::uint32_t poll_events() override {
    const std::int64_t count = queue().count();
    std::uint32_t e = 0;
    if (count > 0) e |= kfiles::kPollIn | kfiles::kPollRdNorm;
    if (count < queue().attributes().max_messages) e |= kfiles::kPollOut | kfiles::kPollWrNorm;
    return e;
  }

 private:
  QueueRef queue_;
  std::uint64_t ino_;
};

}  // namespace

Registry& registry() {
  static constinit Registry r;  // constant-initialised: usable before any constructor runs
  return r;
}

kfiles::File* open_queue_file(QueueRef queue, std::uint32_t flags) {
  return new (std::nothrow) QueueFile(static_cast<QueueRef&&>(queue), flags);
}

MessageQueue* queue_of(kfiles::File& file) {
  if (file.kind() != &g_kind) return nullptr;
  return &static_cast<QueueFile&>(file).queue();
}

std::uint64_t live_queue_files() { return g_live_files.load(std::memory_order_relaxed); }

}  // namespace kipc
