// Pipes (pipe(2), pipe2(2)): a 64 KiB ring shared by a read end and a write end. Readers block
// while it is empty and a writer remains; writers block while it is full and a reader remains;
// writes of up to kPipeBuf bytes go in whole (never interleaved with another writer's); a read
// with every writer gone gives end of file; a write with every reader gone gives EPIPE (SIGPIPE
// comes with signals). Sleepers on other CPUs are woken by the other end's progress; a process
// being ended wakes its sleepers with EINTR. docs/user-space.md, "Pipes".
#pragma once

#include <cstdint>

#include "kernel/files/file.h"

namespace kfiles {

inline constexpr std::uint64_t kPipeCapacity = 64 * 1024;
inline constexpr std::uint64_t kPipeBuf = 4096;  // PIPE_BUF: atomic writes up to this size

// Makes a pipe: `*read_end` and `*write_end` get one reference each (flags: O_NONBLOCK and
// O_CLOEXEC are the caller's business). False when memory ran out.
bool make_pipe(std::uint32_t flags, File** read_end, File** write_end);

// Pipes alive (accounting).
std::uint64_t live_pipes();

}  // namespace kfiles
