// A process's descriptor table: descriptor numbers to open files, with the close-on-exec flag
// of each (docs/user-space.md, "Files"). Threads of a process share it; vfork and (later) fork
// copy it. One spinlock guards the slots; a lookup takes a reference to the file under it, so a
// close on another CPU while a read is under way only drops the table's reference: the file
// goes when the read has finished (Linux's fget/fput).
#pragma once

#include <cstdint>

#include "kernel/files/file.h"
#include "smp/locks/locks.h"

namespace kfiles {

// A counted reference to a File, dropped at scope end.
class FileRef {
 public:
  FileRef() = default;
  explicit FileRef(File* f) : f_(f) {}  // takes over one reference
  FileRef(FileRef&& o) : f_(o.f_) { o.f_ = nullptr; }
  FileRef& operator=(FileRef&& o) {
    if (this != &o) {
      reset();
      f_ = o.f_;
      o.f_ = nullptr;
    }
    return *this;
  }
  FileRef(const FileRef&) = delete;
  FileRef& operator=(const FileRef&) = delete;
  ~FileRef() { reset(); }
  void reset() {
    if (f_ != nullptr) f_->put();
    f_ = nullptr;
  }
  File* get() const { return f_; }
  File* operator->() const { return f_; }
  File& operator*() const { return *f_; }
  explicit operator bool() const { return f_ != nullptr; }
  File* release() {
    File* f = f_;
    f_ = nullptr;
    return f;
  }

 private:
  File* f_ = nullptr;
};

inline constinit smp::LockClass kFdTableClass{"fd-table", smp::LockRank{0}};

class FdTable {
 public:
  // Descriptor numbers are below this (and below RLIMIT_NOFILE's soft value, which callers pass).
  static constexpr int kMaxFds = 1024;

  FdTable() = default;
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;
  ~FdTable();  // closes what is left

  // Puts `file` (the caller's reference, taken over) at the lowest free number >= `lowest` and
  // below `limit`. Returns it, or -EMFILE (the reference is then dropped).
  int install(FileRef file, bool cloexec, int lowest = 0, int limit = kMaxFds);
  // Puts `file` at exactly `fd`, closing what was there (dup2/dup3). -EBADF for a bad number.
  int install_at(int fd, FileRef file, bool cloexec, int limit = kMaxFds);
  // A reference to the file at `fd`, or an empty one (EBADF).
  FileRef get(int fd);
  // Closes `fd`: 0 or -EBADF.
  int close(int fd);
  // The close-on-exec flag of `fd` (-EBADF), and setting it.
  int cloexec(int fd);
  int set_cloexec(int fd, bool on);
  // A copy with a reference to every file (vfork, fork): null when memory ran out.
  FdTable* copy();
  // execve: closes every close-on-exec descriptor.
  void close_on_exec();
  // Descriptors open.
  int count();

 private:
  using Lock = smp::TicketSpinLock<smp::NoIrqSave, kFdTableClass>;
  Lock lock_;
  File* files_[kMaxFds] = {};                    // lock_
  std::uint64_t cloexec_[kMaxFds / 64] = {};     // lock_
};

}  // namespace kfiles
