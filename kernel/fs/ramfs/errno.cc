#include "kernel/fs/ramfs/errno.h"

namespace ramfs {

const char* errno_name(Errno error) {
  switch (error) {
    case Errno::kEPERM: return "EPERM";
    case Errno::kENOENT: return "ENOENT";
    case Errno::kEIO: return "EIO";
    case Errno::kENXIO: return "ENXIO";
    case Errno::kENOMEM: return "ENOMEM";
    case Errno::kEBUSY: return "EBUSY";
    case Errno::kEEXIST: return "EEXIST";
    case Errno::kEXDEV: return "EXDEV";
    case Errno::kENOTDIR: return "ENOTDIR";
    case Errno::kEISDIR: return "EISDIR";
    case Errno::kENODEV: return "ENODEV";
    case Errno::kEINVAL: return "EINVAL";
    case Errno::kEFBIG: return "EFBIG";
    case Errno::kEMLINK: return "EMLINK";
    case Errno::kENAMETOOLONG: return "ENAMETOOLONG";
    case Errno::kENOTEMPTY: return "ENOTEMPTY";
    case Errno::kELOOP: return "ELOOP";
  }
  return "E?";
}

}  // namespace ramfs
