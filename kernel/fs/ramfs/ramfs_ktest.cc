// The in-memory file system in the kernel: the root the boot unpacked, and kernel threads on
// every online CPU creating, writing, renaming and unlinking in two shared directories of a
// fresh file system at once, with lockdep checking the lock order on the real machine. Bounded
// by a deadline on the joins.
#include <atomic>
#include <new>

#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/fs/ramfs/filesystem.h"
#include "kernel/fs/ramfs/path.h"
#include "kernel/ktest/interrupts_on.h"
#include "kernel/ktest/ktest.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/time/clock.h"

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint32_t kMaxThreads = 64;
constexpr std::uint32_t kFilesPerThread = 200;

// "t<thread>_<n>" into `out` (room for 32 bytes); its length.
std::size_t file_name(char* out, std::uint32_t thread, std::uint32_t n) {
  std::size_t len = 0;
  out[len++] = 't';
  auto digits = [&](std::uint32_t v) {
    char tmp[10];
    std::size_t k = 0;
    do {
      tmp[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k != 0) out[len++] = tmp[--k];
  };
  digits(thread);
  out[len++] = '_';
  digits(n);
  return len;
}

// Counts a directory's entries, "." and ".." included.
struct CountingSink : ramfs::DirSink {
  std::uint32_t entries = 0;
  bool emit(fmt::StringView, std::uint64_t, ramfs::NodeType, std::uint64_t) override {
    ++entries;
    return true;
  }
};

std::uint32_t count_entries(ramfs::Filesystem& fs, ramfs::Node& dir) {
  CountingSink sink;
  return fs.readdir(dir, 0, sink).ok() ? sink.entries : 0;
}

struct Shared {
  ramfs::Filesystem* fs;
  ramfs::Node* a;
  ramfs::Node* b;
  std::atomic<std::uint32_t> errors{0};
};

struct Worker {
  Shared* shared;
  std::uint32_t id;
};

void worker_body(void* arg) {
  const Worker& w = *static_cast<Worker*>(arg);
  Shared& s = *w.shared;
  ramfs::NodeAttributes attrs;
  char data[100];
  for (char& c : data) c = static_cast<char>('a' + w.id % 26);
  for (std::uint32_t i = 0; i < kFilesPerThread; ++i) {
    char name[32];
    const fmt::StringView n{name, file_name(name, w.id, i)};
    auto made = s.fs->create(*s.a, n, ramfs::NodeType::kRegular, attrs);
    if (!made.ok()) {
      s.errors.fetch_add(1);
      continue;
    }
    char back[sizeof(data)];
    auto wrote = made.value()->write_at(0, data, sizeof(data), 1);
    auto read = made.value()->read_at(0, back, sizeof(back));
    if (!wrote.ok() || !read.ok() || read.value() != sizeof(data) ||
        __builtin_memcmp(back, data, sizeof(data)) != 0) {
      s.errors.fetch_add(1);
    }
    if (!s.fs->rename(*s.a, n, *s.b, n, 2).ok()) s.errors.fetch_add(1);
    if (i % 2 == 1 && !s.fs->unlink(*s.b, n, 3).ok()) s.errors.fetch_add(1);
  }
}

}  // namespace

KTEST(ramfs_root_holds_the_initramfs) {
  ramfs::Filesystem* fs = initramfs::root_filesystem();
  KCHECK(fs != nullptr);
  ramfs::NodeRef root = fs->root();
  auto motd = ramfs::resolve(*root, "/etc/motd", true);
  if (!motd.ok()) KSKIP("no /etc/motd: booted without the build's initramfs");
  const ramfs::Stat st = motd.value()->stat();
  KCHECK(st.size > 0);
  char buf[64];
  auto got = motd.value()->read_at(0, buf, sizeof(buf));
  KCHECK(got.ok());
  KCHECK_EQ(got.value(), st.size < sizeof(buf) ? st.size : sizeof(buf));
}

KTEST(ramfs_every_cpu_shared_directories) {
  if (!kthreads::running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  ramfs::NodeAttributes dir_attrs;
  dir_attrs.mode = 0755;
  ramfs::Filesystem* fs = ramfs::Filesystem::create(dir_attrs);
  KCHECK(fs != nullptr);
  static Shared shared;
  static Worker workers[kMaxThreads];
  static kthreads::KThread* threads[kMaxThreads];
  shared.fs = fs;
  shared.errors.store(0);
  const std::uint32_t cpus = kthreads::online_cpu_count();
  const std::uint32_t n = cpus < kMaxThreads ? cpus : kMaxThreads;
  std::uint32_t started = 0;
  {
    ramfs::NodeRef root = fs->root();
    auto a = fs->create(*root, "a", ramfs::NodeType::kDirectory, dir_attrs);
    auto b = fs->create(*root, "b", ramfs::NodeType::kDirectory, dir_attrs);
    KCHECK(a.ok() && b.ok());
    shared.a = a.value().get();
    shared.b = b.value().get();
    for (std::uint32_t i = 0; i < n; ++i) {
      workers[i] = Worker{&shared, i};
      kthreads::ThreadOptions o;
      o.name = "ramfs-test";
      o.affinity = smp::CpuSet::only(kthreads::nth_online_cpu(i));
      auto t = kthreads::create_thread(o, &worker_body, &workers[i]);
      threads[i] = t.ok() ? t.value() : nullptr;
      if (t.ok()) ++started;
    }
    const std::uint64_t deadline = ktime::now_ns() + 20'000 * kMs;
    std::uint32_t joined = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (threads[i] == nullptr) continue;
      const std::uint64_t now = ktime::now_ns();
      if (kthreads::join(threads[i], now < deadline ? deadline - now : 0)) ++joined;
    }
    KCHECK_EQ(joined, started);
    KCHECK_EQ(started, n);
    KCHECK_EQ(shared.errors.load(), 0u);
    // Half of every thread's files are left, all in b; a is empty again.
    KCHECK_EQ(count_entries(*fs, *a.value()), 2u);  // "." and ".." only
    KCHECK_EQ(count_entries(*fs, *b.value()), 2u + n * kFilesPerThread / 2);
    KCHECK_EQ(b.value()->stat().nlink, 2u);
    KCHECK_EQ(fs->live_nodes(), 3u + n * kFilesPerThread / 2);
  }
  delete fs;
}
