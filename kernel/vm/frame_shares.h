// How many address spaces map a user frame, for copy-on-write after fork (docs/user-space.md,
// "Address spaces").
//
// A frame mapped by one space is not recorded at all (the common case costs nothing); a frame
// that fork made shared has an entry holding its number of mappers (2 or more). Every path that
// gives up a user frame (munmap, MADV_DONTNEED, brk, a PROT_NONE park, the copy of a write
// fault, the end of a space) asks release_frame whether it was the last mapper and frees the
// frame only then.
//
// Representation: one open-addressing hash table (linear probing, backward-shift deletion) of
// packed words, frame number << 24 | mappers, allocated once at boot from the frame allocator
// with as many slots as RAM has frames (rounded up to a power of two): 8 bytes per 4 KiB of RAM
// (0.2 %), never resized, and never full before half of RAM is shared (the load stays below
// kMaxLoad; beyond it share_frame fails and fork reports ENOMEM). Chosen over an array indexed by
// frame number because the frame allocator's regions can be sparse in the physical address
// space, and over a chained table because nothing is allocated under the lock.
//
// Lock: `frame-share`, a spinlock (rank 55) taken inside the address-space mutex with nothing
// taken inside it (the frame allocator is called after it is released).
#pragma once

#include <cstdint>

namespace kvm {

// Allocates the table for `ram_frames` frames of RAM. Boot CPU, once, before the first fork.
// False (after a report) when the frames for it are not there: fork then fails with ENOMEM.
bool init_frame_shares(std::uint64_t ram_frames);

// One more space maps the frame at `phys` (page aligned). False when the table is full (or was
// never allocated): nothing changed.
[[nodiscard]] bool share_frame(std::uint64_t phys);

// Whether more than one space maps `phys` right now. Only a mapper may ask, under its space's
// lock: the answer "no" then stays true (nobody else holds the frame to share it again).
bool frame_shared(std::uint64_t phys);

// One space stops mapping `phys`. True when it was the last: the caller frees the frame.
[[nodiscard]] bool release_frame(std::uint64_t phys);

// Frames currently shared by two or more spaces (leak checks: 0 once every process is gone).
std::uint64_t shared_frames();

}  // namespace kvm
