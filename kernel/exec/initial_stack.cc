#include "kernel/exec/initial_stack.h"

namespace kexec {
namespace {

constexpr char kPlatform[] = "x86_64";  // AT_PLATFORM on x86-64 Linux (uname -m)
constexpr std::uint64_t kPlatformBytes = sizeof(kPlatform);  // NUL included
constexpr std::uint64_t kEndMarker = 8;                      // zero word at the very top
constexpr std::uint64_t kWord = 8;
constexpr std::uint64_t kStackAlign = 16;  // psABI: rsp % 16 == 0 at process entry

klib::Unexpected<StackError> fail(StackErrorKind kind, std::uint64_t value) {
  return klib::make_error(StackError{kind, value});
}

bool clean(const fmt::StringView& s) {
  if (s.data == nullptr) return s.length == 0;
  for (std::size_t i = 0; i < s.length; ++i) {
    if (s.data[i] == '\0') return false;
  }
  return true;
}

// The buffer as the user range it stands for.
class UserStack {
 public:
  UserStack(std::uint8_t* buffer, std::uint64_t size, std::uint64_t top)
      : buffer_(buffer), low_(top - size) {}

  void put_bytes(std::uint64_t at, const void* data, std::uint64_t length) {
    const auto* from = static_cast<const std::uint8_t*>(data);
    for (std::uint64_t i = 0; i < length; ++i) buffer_[at - low_ + i] = from[i];
  }
  void put_word(std::uint64_t at, std::uint64_t value) {
    for (std::uint64_t i = 0; i < kWord; ++i) {
      buffer_[at - low_ + i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
  }
  // A string and its NUL at `at`; returns the address after it.
  std::uint64_t put_string(std::uint64_t at, const fmt::StringView& s) {
    put_bytes(at, s.data, s.length);
    buffer_[at - low_ + s.length] = 0;
    return at + s.length + 1;
  }

 private:
  std::uint8_t* buffer_;
  std::uint64_t low_;
};

}  // namespace

ProgramValues program_values(const ElfImage& image, std::uint64_t bias) {
  return ProgramValues{image.phdr_vaddr + bias, image.phent, image.phnum, image.entry + bias};
}

const char* describe(StackErrorKind kind) {
  switch (kind) {
    case StackErrorKind::kTooManyStrings: return "too many argument and environment strings";
    case StackErrorKind::kArgumentsTooLong: return "arguments and environment too long";
    case StackErrorKind::kDoesNotFit: return "initial stack does not fit its buffer";
    case StackErrorKind::kNulInString: return "string with a NUL inside, or null with a length";
    case StackErrorKind::kBadStackTop: return "stack top unaligned or outside the user range";
  }
  return "?";
}

klib::Result<StackLayout, StackError> build_initial_stack(const StackInput& in,
                                                          std::uint8_t* buffer,
                                                          std::uint64_t size) {
  const std::uint64_t top = in.stack_top;
  if (top % kStackAlign != 0 || top > kUserTop || size > top) {
    return fail(StackErrorKind::kBadStackTop, top);
  }
  static constexpr fmt::StringView kEmptyArgv0("", 0);
  const fmt::StringView* argv = in.argv;
  std::uint32_t argc = in.argc;
  if (argc == 0) {
    argv = &kEmptyArgv0;
    argc = 1;
  }
  const std::uint64_t envc = in.envc;
  if (argc + envc > kMaxArgStrings) return fail(StackErrorKind::kTooManyStrings, argc + envc);

  // Bytes of the strings, checked one by one so the total cannot overflow: each is at most
  // kMaxArgBytes and there are at most kMaxArgStrings + 1 of them.
  std::uint64_t arg_bytes = 0, env_bytes = 0;
  for (std::uint64_t i = 0; i < argc + envc; ++i) {
    const fmt::StringView& s = i < argc ? argv[i] : in.envp[i - argc];
    if (!clean(s)) return fail(StackErrorKind::kNulInString, i);
    if (s.length >= kMaxArgBytes) return fail(StackErrorKind::kArgumentsTooLong, s.length);
    (i < argc ? arg_bytes : env_bytes) += s.length + 1;
  }
  if (!clean(in.execfn)) return fail(StackErrorKind::kNulInString, argc + envc);
  if (in.execfn.length >= kMaxArgBytes) {
    return fail(StackErrorKind::kArgumentsTooLong, in.execfn.length);
  }
  const std::uint64_t execfn_bytes = in.execfn.length + 1;
  const std::uint64_t counted = arg_bytes + env_bytes + execfn_bytes + (argc + envc) * kWord;
  if (counted > kMaxArgBytes) return fail(StackErrorKind::kArgumentsTooLong, counted);

  const std::uint32_t aux_count =
      kMaxAuxEntries - (in.minsigstksz != 0 ? 0 : 1) - (in.sysinfo_ehdr != 0 ? 0 : 1);
  const std::uint64_t above =  // from the top down to the random bytes
      kEndMarker + execfn_bytes + env_bytes + arg_bytes + kPlatformBytes + kRandomBytes;
  const std::uint64_t words = 1 + (argc + 1) + (envc + 1) + 2 * std::uint64_t{aux_count};
  const std::uint64_t needed = (above + words * kWord + kStackAlign - 1) & ~(kStackAlign - 1);
  if (needed > size) return fail(StackErrorKind::kDoesNotFit, needed);

  UserStack stack(buffer, size, top);
  for (std::uint64_t i = 0; i < size; ++i) buffer[i] = 0;

  StackLayout out;
  out.argc = argc;
  out.aux_count = aux_count;
  out.arg_start = top - kEndMarker - execfn_bytes - env_bytes - arg_bytes;
  out.arg_end = out.env_start = out.arg_start + arg_bytes;
  out.env_end = out.env_start + env_bytes;
  out.execfn = out.env_end;
  out.platform = out.arg_start - kPlatformBytes;
  out.random = out.platform - kRandomBytes;
  out.rsp = top - needed;
  out.argv = out.rsp + kWord;
  out.envp = out.argv + (argc + 1) * kWord;
  out.auxv = out.envp + (envc + 1) * kWord;

  std::uint64_t at = out.arg_start;
  for (std::uint32_t i = 0; i < argc; ++i) {
    stack.put_word(out.argv + i * kWord, at);
    at = stack.put_string(at, argv[i]);
  }
  for (std::uint64_t i = 0; i < envc; ++i) {
    stack.put_word(out.envp + i * kWord, at);
    at = stack.put_string(at, in.envp[i]);
  }
  stack.put_string(out.execfn, in.execfn);
  stack.put_bytes(out.platform, kPlatform, kPlatformBytes);
  stack.put_bytes(out.random, in.random, kRandomBytes);
  stack.put_word(out.rsp, argc);  // the NULLs ending argv and envp are the zeroed buffer

  // In Linux's order (ARCH_DLINFO first, then create_elf_tables'); AT_BASE is 0: no
  // interpreter. AT_FLAGS is 0 as on Linux.
  const std::uint64_t aux[][2] = {
      {kAtSysinfoEhdr, in.sysinfo_ehdr},
      {kAtMinsigstksz, in.minsigstksz},
      {kAtHwcap, in.hwcap},
      {kAtPagesz, kPageSize},
      {kAtClktck, kClockTicks},
      {kAtPhdr, in.program.phdr},
      {kAtPhent, in.program.phent},
      {kAtPhnum, in.program.phnum},
      {kAtBase, 0},
      {kAtFlags, 0},
      {kAtEntry, in.program.entry},
      {kAtUid, in.uid},
      {kAtEuid, in.euid},
      {kAtGid, in.gid},
      {kAtEgid, in.egid},
      {kAtSecure, in.secure ? 1u : 0u},
      {kAtRandom, out.random},
      {kAtHwcap2, in.hwcap2},
      {kAtExecfn, out.execfn},
      {kAtPlatform, out.platform},
      {kAtNull, 0},
  };
  static_assert(sizeof(aux) / sizeof(aux[0]) == kMaxAuxEntries);
  std::uint64_t pair = out.auxv;
  for (const auto& entry : aux) {
    if (entry[0] == kAtMinsigstksz && in.minsigstksz == 0) continue;
    if (entry[0] == kAtSysinfoEhdr && in.sysinfo_ehdr == 0) continue;
    stack.put_word(pair, entry[0]);
    stack.put_word(pair + kWord, entry[1]);
    pair += 2 * kWord;
  }
  return out;
}

}  // namespace kexec
