// Installs the kernel's user-mode hooks into the scheduler's switch and the arch layer's entry
// paths (user_entry.cc). Boot CPU, once, before the first user thread.
#pragma once

namespace kproc {

void install_user_hooks();

}  // namespace kproc
