// Open files (Linux's "open file descriptions"): what a descriptor refers to. One File per
// open(), shared by every descriptor dup'ed from it and by the tables of threads and children
// that copied it; reference-counted, freed with the last reference (docs/user-space.md,
// "Files").
//
// The file position lives in the File and is taken under its position mutex for the whole of
// a read or write, as Linux's f_pos_lock: two threads reading one file each get their own bytes.
// Data crosses the user boundary only through copy_{from,to}_user, never under a spinlock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "kernel/fs/ramfs/node.h"
#include "sched/sync/mutex.h"
#include "smp/atomic.h"

namespace kfiles {

// open(2) flags, Linux's values (asm-generic/fcntl.h).
inline constexpr std::uint32_t kAccessMode = 03;
inline constexpr std::uint32_t kReadOnly = 00;
inline constexpr std::uint32_t kWriteOnly = 01;
inline constexpr std::uint32_t kReadWrite = 02;
inline constexpr std::uint32_t kCreate = 0100;
inline constexpr std::uint32_t kExclusive = 0200;
inline constexpr std::uint32_t kNoCtty = 0400;
inline constexpr std::uint32_t kTruncate = 01000;
inline constexpr std::uint32_t kAppend = 02000;
inline constexpr std::uint32_t kNonblock = 04000;
inline constexpr std::uint32_t kDsync = 010000;
inline constexpr std::uint32_t kLargefile = 0100000;
inline constexpr std::uint32_t kDirectory = 0200000;
inline constexpr std::uint32_t kNoFollow = 0400000;
inline constexpr std::uint32_t kNoAtime = 01000000;
inline constexpr std::uint32_t kCloexec = 02000000;
inline constexpr std::uint32_t kSync = 04010000;
inline constexpr std::uint32_t kPath = 010000000;
// The status flags fcntl(F_SETFL) may change.
inline constexpr std::uint32_t kSettableFlags = kAppend | kNonblock | kNoAtime;

// poll(2) events, Linux's values.
inline constexpr std::uint32_t kPollIn = 0x001;
inline constexpr std::uint32_t kPollPri = 0x002;
inline constexpr std::uint32_t kPollOut = 0x004;
inline constexpr std::uint32_t kPollErr = 0x008;
inline constexpr std::uint32_t kPollHup = 0x010;
inline constexpr std::uint32_t kPollNval = 0x020;
inline constexpr std::uint32_t kPollRdNorm = 0x040;
inline constexpr std::uint32_t kPollWrNorm = 0x100;

// stat(2) of any file.
struct FileStat {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint32_t mode = 0;  // type and permission bits
  std::uint32_t nlink = 1;
  std::uint32_t uid = 0, gid = 0;
  std::uint64_t rdev = 0;  // (major << 8) | minor for the small numbers used here
  std::uint64_t size = 0;
  std::uint64_t blocks = 0;
  std::uint32_t blksize = 4096;
  std::int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;
};

// Open files alive (accounting: back to the start after the user tests).
std::uint64_t live_files();
void count_file_opened();
void count_file_closed();

class File {
 public:
  explicit File(std::uint32_t flags) : flags_(flags & ~kCloexec) { count_file_opened(); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  void get() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Drops a reference; the last one frees the file.
  void put() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  std::uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  void set_status_flags(std::uint32_t f) {
    flags_.store((flags() & ~kSettableFlags) | (f & kSettableFlags), std::memory_order_relaxed);
  }
  bool readable() const { return (flags() & kAccessMode) != kWriteOnly && (flags() & kPath) == 0; }
  bool writable() const { return (flags() & kAccessMode) != kReadOnly && (flags() & kPath) == 0; }

  // Whether the file has a position (regular files, directories); reads and writes of one that
  // has not ignore `pos` (pipes, terminals, devices).
  virtual bool seekable() const { return false; }
  // A file without a position that still takes pread and pwrite, ignoring the offset, and whose
  // lseek answers 0 whatever it is asked (Linux's /dev/null and /dev/zero: null_lseek;
  // /dev/random and /dev/urandom: noop_llseek, their position never moves).
  virtual bool offset_ignored() const { return false; }
  // Reads up to `length` bytes to user memory at `buffer` from `*pos`, advancing it. Returns the
  // count or -errno. May block (a terminal, a pipe) unless O_NONBLOCK.
  virtual std::int64_t read(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) = 0;
  virtual std::int64_t write(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) = 0;
  // The size SEEK_END counts from (-ESPIPE for a file without a position).
  virtual std::int64_t size() { return -29; }
  virtual std::int64_t ioctl(std::uint64_t command, std::uint64_t argument) {
    (void)command, (void)argument;
    return -25;  // ENOTTY
  }
  virtual FileStat stat() = 0;
  // getdents64 into user memory from cookie `*pos` (-ENOTDIR for anything but a directory).
  virtual std::int64_t read_directory(std::uint64_t buffer, std::uint64_t length,
                                      std::uint64_t* pos) {
    (void)buffer, (void)length, (void)pos;
    return -20;
  }
  // ftruncate (-EINVAL for anything but a regular file).
  virtual std::int64_t truncate(std::uint64_t length) {
    (void)length;
    return -22;
  }
  // What poll would report now (kPollIn, kPollOut, kPollHup, kPollErr). Files that never block
  // (regular files, memory devices) are always readable and writable. A file whose readiness
  // changes without anyone calling kfiles::notify_poll (the polled console input) says so with
  // needs_polling, and poll then re-checks it every few milliseconds.
  virtual std::uint32_t poll_events() { return kPollIn | kPollOut | kPollRdNorm | kPollWrNorm; }
  virtual bool needs_polling() const { return false; }

  // The node behind it (directories and regular files of the root file system), or null.
  virtual ramfs::Node* node() { return nullptr; }
  // Which special kind of file it is, for the calls that take only one kind (mq_timedsend takes
  // only message queues): the address of a tag its class owns, or null.
  virtual const void* kind() const { return nullptr; }

  // The absolute path the file was opened by ("" when none was recorded): /proc/PID/maps
  // names file mappings by it.
  const char* path() const { return path_ != nullptr ? path_ : ""; }
  // Records it (a copy; nothing when memory ran out). Once, by the opener, before the file is
  // shared.
  void set_path(const char* text, std::size_t length) {
    char* copy = new (std::nothrow) char[length + 1];
    if (copy == nullptr) return;
    __builtin_memcpy(copy, text, length);
    copy[length] = '\0';
    delete[] path_;
    path_ = copy;
  }

  // The position and its lock (seekable files only).
  sched::Mutex position_lock;
  std::uint64_t position = 0;  // position_lock

 protected:
  virtual ~File() {
    delete[] path_;
    count_file_closed();
  }

 private:
  char* path_ = nullptr;
  smp::Atomic<std::uint32_t> refs_{1};
  smp::Atomic<std::uint32_t> flags_;
};

}  // namespace kfiles
