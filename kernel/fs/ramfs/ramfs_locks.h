// The in-memory file system's two lock classes (docs/locking.md, "ramfs"): every node's lock,
// and one rename lock per file system that freezes the shape of the directory tree for a
// rename between two directories (as Linux's s_vfs_rename_mutex). Both are spin locks: every
// hold is a lookup, a list update or a memory copy of at most one system call's buffer, and
// nothing under them sleeps. Neither is taken by interrupt handlers: NoIrqSave.
//
// Ranks 6 and 7: outermost in the kernel's table (a system call takes them with nothing
// held). Several node locks nest only with ascending NestKeys, in the orders of locking.md.
#pragma once

#include "smp/locks/locks.h"

namespace ramfs {

inline constinit smp::LockClass kRenameLockClass{"ramfs-rename", smp::LockRank{6}};
inline constinit smp::LockClass kNodeLockClass{"ramfs-node", smp::LockRank{7}};

using RenameLock = smp::TicketSpinLock<smp::NoIrqSave, kRenameLockClass>;
using NodeLock = smp::TicketSpinLock<smp::NoIrqSave, kNodeLockClass>;

}  // namespace ramfs
