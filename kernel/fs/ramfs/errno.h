// Errors of the in-memory file system as Linux errno values (positive; the system call layer
// returns them negated), so a failure reaches user space as the number `man 2 NAME` lists.
#pragma once

#include <cstdint>

#include "smp/klib/result.h"

namespace ramfs {

enum class Errno : std::int32_t {
  kEPERM = 1,          // hard link to a directory
  kENOENT = 2,         // no such name; empty path; symlink with an empty target
  kEIO = 5,
  kENXIO = 6,          // a page of a mapping wholly past the end of its file
  kENOMEM = 12,        // operator new failed
  kEBUSY = 16,         // rmdir or rename of the root, or of "." / ".." in rename
  kEEXIST = 17,        // the name exists
  kEXDEV = 18,         // link or rename between two file systems
  kENOTDIR = 20,       // a path component or rename target is not a directory
  kEISDIR = 21,        // unlink of a directory; data I/O on a directory
  kENODEV = 19,        // file pages that cannot be mapped (the host's heap store)
  kEINVAL = 22,        // a name with '/' or NUL; rmdir "."; a directory moved into itself
  kEFBIG = 27,         // past the maximum file size
  kEMLINK = 31,        // nlink would overflow
  kENAMETOOLONG = 36,  // a name above 255 bytes, a path above 4095
  kENOTEMPTY = 39,     // rmdir or rename onto a directory with entries
  kELOOP = 40,         // more than 40 symlinks followed in one resolution
};

// "ENOENT" for Errno::kENOENT: for reports.
const char* errno_name(Errno error);

template <typename T>
using Result = klib::Result<T, Errno>;

}  // namespace ramfs
