#include "kernel/files/fd_table.h"

#include <atomic>
#include <new>

#include "smp/locks/guard.h"

namespace kfiles {
namespace {

constexpr int kEBADF = 9, kEMFILE = 24;
std::atomic<std::uint64_t> g_live_files{0};

}  // namespace

std::uint64_t live_files() { return g_live_files.load(std::memory_order_relaxed); }
void count_file_opened() { g_live_files.fetch_add(1, std::memory_order_relaxed); }
void count_file_closed() { g_live_files.fetch_sub(1, std::memory_order_relaxed); }

FdTable::~FdTable() {
  for (File*& f : files_) {
    if (f != nullptr) f->put();
    f = nullptr;
  }
}

int FdTable::install(FileRef file, bool cloexec, int lowest, int limit) {
  if (limit > kMaxFds) limit = kMaxFds;
  smp::Guard g{lock_};
  for (int fd = lowest < 0 ? 0 : lowest; fd < limit; ++fd) {
    if (files_[fd] != nullptr) continue;
    files_[fd] = file.release();
    if (cloexec) {
      cloexec_[fd / 64] |= 1ull << (fd % 64);
    } else {
      cloexec_[fd / 64] &= ~(1ull << (fd % 64));
    }
    return fd;
  }
  return -kEMFILE;
}

int FdTable::install_at(int fd, FileRef file, bool cloexec, int limit) {
  if (limit > kMaxFds) limit = kMaxFds;
  if (fd < 0 || fd >= limit) return -kEBADF;
  File* old;
  {
    smp::Guard g{lock_};
    old = files_[fd];
    files_[fd] = file.release();
    if (cloexec) {
      cloexec_[fd / 64] |= 1ull << (fd % 64);
    } else {
      cloexec_[fd / 64] &= ~(1ull << (fd % 64));
    }
  }
  if (old != nullptr) old->put();  // outside the lock: the last put may free a lot
  return fd;
}

FileRef FdTable::get(int fd) {
  if (fd < 0 || fd >= kMaxFds) return FileRef{};
  smp::Guard g{lock_};
  File* f = files_[fd];
  if (f == nullptr) return FileRef{};
  f->get();
  return FileRef{f};
}

int FdTable::close(int fd) {
  if (fd < 0 || fd >= kMaxFds) return -kEBADF;
  File* f;
  {
    smp::Guard g{lock_};
    f = files_[fd];
    files_[fd] = nullptr;
  }
  if (f == nullptr) return -kEBADF;
  f->put();
  return 0;
}

int FdTable::cloexec(int fd) {
  if (fd < 0 || fd >= kMaxFds) return -kEBADF;
  smp::Guard g{lock_};
  if (files_[fd] == nullptr) return -kEBADF;
  return (cloexec_[fd / 64] >> (fd % 64)) & 1 ? 1 : 0;
}

int FdTable::set_cloexec(int fd, bool on) {
  if (fd < 0 || fd >= kMaxFds) return -kEBADF;
  smp::Guard g{lock_};
  if (files_[fd] == nullptr) return -kEBADF;
  if (on) {
    cloexec_[fd / 64] |= 1ull << (fd % 64);
  } else {
    cloexec_[fd / 64] &= ~(1ull << (fd % 64));
  }
  return 0;
}

FdTable* FdTable::copy() {
  auto* t = new (std::nothrow) FdTable;
  if (t == nullptr) return nullptr;
  smp::Guard g{lock_};
  for (int fd = 0; fd < kMaxFds; ++fd) {
    if (files_[fd] == nullptr) continue;
    files_[fd]->get();
    t->files_[fd] = files_[fd];
  }
  for (int i = 0; i < kMaxFds / 64; ++i) t->cloexec_[i] = cloexec_[i];
  return t;
}

void FdTable::close_on_exec() {
  for (int fd = 0; fd < kMaxFds; ++fd) {
    File* f = nullptr;
    {
      smp::Guard g{lock_};
      if (files_[fd] != nullptr && ((cloexec_[fd / 64] >> (fd % 64)) & 1)) {
        f = files_[fd];
        files_[fd] = nullptr;
        cloexec_[fd / 64] &= ~(1ull << (fd % 64));
      }
    }
    if (f != nullptr) f->put();
  }
}

int FdTable::count() {
  smp::Guard g{lock_};
  int n = 0;
  for (File* f : files_) n += f != nullptr;
  return n;
}

}  // namespace kfiles
