#include "kernel/proc/exec.h"

#include <new>

#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/exec/elf_image.h"
#include "kernel/exec/initial_stack.h"
#include "kernel/files/node_file.h"
#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/fs/ramfs/filesystem.h"
#include "kernel/fs/ramfs/path.h"
#include "kernel/random/random.h"
#include "kernel/vdso/vdso.h"

namespace kproc {
namespace {

using namespace kabi;

// Largest executable: far above busybox (2 MiB), far below memory.
constexpr std::uint64_t kMaxExecutableBytes = 64ull << 20;
// What exec reads of the file up front: the ELF header and program headers (or a script's
// first line) lie here in every executable seen; a program-header table further in makes
// exec read up to its end. The segments are mapped from the file, not read.
constexpr std::uint64_t kHeadBytes = 4096;
// ELF header fields exec looks at before parse_elf (ELF-64: e_phoff, e_phnum).
constexpr std::uint64_t kEPhoff = 32, kEPhnum = 56, kPhdrBytes = 56;

template <typename... Args>
ExecError make_error(int errno_value, fmt::StringView format, const Args&... args) {
  ExecError e{};
  e.errno_value = errno_value;
  fmt::FixedBuffer out(e.message, sizeof(e.message));
  fmt::format_to(out, format, args...);
  return e;
}

// The head of an executable (`head` bytes of it, kHeadBytes or more), its size, and the
// file itself for mapping its segments.
struct FileBytes {
  std::uint8_t* data = nullptr;
  std::uint64_t head = 0;
  std::uint64_t size = 0;
  ramfs::NodeRef node;
  ~FileBytes() { delete[] data; }
};

std::uint64_t load_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

int errno_of(ramfs::Errno e) { return static_cast<int>(e); }

klib::Result<void, ExecError> read_file(fmt::StringView path, FileBytes& out) {
  ramfs::Filesystem* fs = initramfs::root_filesystem();
  if (fs == nullptr) return klib::make_error(make_error(kENOENT, "no root file system"));
  ramfs::NodeRef root = fs->root();
  auto found = ramfs::resolve(*root, path, true);
  if (!found) {
    return klib::make_error(make_error(errno_of(found.error()), "{}: {}", path,
                                       ramfs::errno_name(found.error())));
  }
  ramfs::NodeRef node = static_cast<ramfs::NodeRef&&>(found.value());
  if (node->type() == ramfs::NodeType::kDirectory) {
    return klib::make_error(make_error(kEACCES, "{}: a directory", path));
  }
  if (node->type() != ramfs::NodeType::kRegular) {
    return klib::make_error(make_error(kEACCES, "{}: not a regular file", path));
  }
  const ramfs::Stat st = node->stat();
  if ((st.mode & 0111) == 0) {
    return klib::make_error(make_error(kEACCES, "{}: not executable (mode {:o})", path, st.mode & 07777));
  }
  if (st.size > kMaxExecutableBytes) {
    return klib::make_error(make_error(kENOMEM, "{}: {} bytes, above the {}-byte limit", path,
                                       st.size, kMaxExecutableBytes));
  }
  out.size = st.size;
  std::uint64_t head = st.size < kHeadBytes ? st.size : kHeadBytes;
  for (int pass = 0; pass < 2; ++pass) {
    delete[] out.data;
    out.data = new (std::nothrow) std::uint8_t[head == 0 ? 1 : head];
    if (out.data == nullptr) return klib::make_error(make_error(kENOMEM, "{}: no memory", path));
    auto read = node->read_at(0, out.data, head);
    if (!read || read.value() != head) {
      return klib::make_error(make_error(kEIO, "{}: short read", path));
    }
    out.head = head;
    // A program-header table past the head: read up to its end (parse_elf checks it against
    // the file's size; anything larger than the file is its error to name).
    if (pass == 1 || head < kEPhnum + 2) break;
    const std::uint64_t phoff = load_le(out.data + kEPhoff, 8);
    const std::uint64_t table_end = phoff + load_le(out.data + kEPhnum, 2) * kPhdrBytes;
    if (phoff > st.size || table_end <= head || table_end > st.size) break;
    head = table_end;
  }
  out.node = static_cast<ramfs::NodeRef&&>(node);
  return klib::Ok{};
}

std::uint32_t prot_of(const kexec::ElfSegment& s) {
  return (s.readable ? kvm::kProtRead : 0) | (s.writable ? kvm::kProtWrite : 0) |
         (s.executable ? kvm::kProtExec : 0);
}

std::uint64_t random_u64() {
  std::uint64_t v;
  krandom::fill(&v, sizeof(v));
  return v;
}

klib::Result<std::uint64_t, ExecError> map_image(kvm::AddressSpace& space, const kexec::ElfImage& image,
                                                 const FileBytes& file, fmt::StringView path) {
  std::uint64_t base = image.start;
  if (image.type == kexec::ElfType::kPie) {
    // A random base, aligned to the image's alignment, in the lower part of the range: the
    // heap follows the image and mmap grows down from far above.
    const std::uint64_t align = image.align;
    const std::uint64_t lowest = (kexec::kUserLowest + align - 1) & ~(align - 1);
    std::uint64_t highest = kexec::max_load_base(image);
    const std::uint64_t window = 1ull << 40;  // 1 TiB of possible bases
    if (highest > lowest + window) highest = lowest + window;
    if (highest < lowest) return klib::make_error(make_error(kENOMEM, "{}: no room for the image", path));
    const std::uint64_t slots = (highest - lowest) / align + 1;
    base = lowest + (random_u64() % slots) * align;
  }
  auto bias_r = kexec::load_bias(image, base);
  if (!bias_r) {
    char text[120];
    fmt::FixedBuffer out(text, sizeof(text));
    kexec::format_elf_error(out, bias_r.error());
    return klib::make_error(make_error(kENOEXEC, "{}: {}", path, out.c_str()));
  }
  const std::uint64_t bias = bias_r.value();
  // The segments map the file privately, as Linux's ELF loader does: a page is read from the
  // file at its first touch (copied: a private mapping), so what the program never touches is
  // never read. The mapping keeps its own reference to the open file.
  kfiles::File* opened = kfiles::open_node(ramfs::NodeRef::share(*file.node), kfiles::kReadOnly);
  // One page of scratch: the bytes of a page two segments share, or zeros.
  auto* scratch = new (std::nothrow) std::uint8_t[kvm::kPageSize];
  struct Release {
    kfiles::File* f;
    std::uint8_t* scratch;
    ~Release() {
      if (f != nullptr) f->put();
      delete[] scratch;
    }
  } release{opened, scratch};
  if (opened == nullptr || scratch == nullptr) {
    return klib::make_error(make_error(kENOMEM, "{}: no memory", path));
  }
  std::uint64_t previous_end = 0;
  std::uint32_t previous_prot = 0;
  for (std::uint32_t i = 0; i < image.segment_count; ++i) {
    const kexec::ElfSegment& s = image.segments[i];
    const std::uint64_t start = s.page_start() + bias;
    const std::uint64_t end = s.page_end() + bias;
    const std::uint64_t data = s.vaddr + bias;              // the first file byte in memory
    const std::uint64_t data_end = data + s.file_size;      // after the last
    const std::uint64_t file_pages_end = (data_end + kvm::kPageSize - 1) & ~(kvm::kPageSize - 1);
    const std::uint32_t prot = prot_of(s);
    std::uint64_t map_start = start;
    if (start < previous_end) {
      // The first page is shared with the previous segment: it gets both rights, and this
      // segment's bytes are copied into it below.
      (void)space.protect(start, kvm::kPageSize, previous_prot | prot);
      map_start = previous_end;
    }
    // From the file: the pages holding file bytes (parse_elf has checked that p_vaddr and
    // p_offset agree modulo the page size, so the file offset of map_start is page-aligned).
    std::uint64_t anon_start = map_start;
    if (s.file_size != 0 && map_start < file_pages_end) {
      const kvm::FileBacking backing{opened, s.offset + (map_start - data)};
      auto mapped = space.map(map_start, file_pages_end - map_start, prot, 0, true, true, backing);
      if (!mapped) {
        return klib::make_error(make_error(mapped.error(), "{}: segment {} at {:#x}: cannot map",
                                           path, s.header_index, map_start));
      }
      anon_start = file_pages_end;
    }
    // The rest (.bss): zero-filled on touch.
    if (anon_start < end) {
      auto mapped = space.map(anon_start, end - anon_start, prot, 0, true, true);
      if (!mapped) {
        return klib::make_error(make_error(mapped.error(), "{}: segment {} at {:#x}: cannot map",
                                           path, s.header_index, anon_start));
      }
    }
    // The shared first page: this segment's bytes in it, copied from the file.
    if (start < previous_end && s.file_size != 0) {
      const std::uint64_t n = previous_end - data < s.file_size ? previous_end - data : s.file_size;
      auto read = file.node->read_at(s.offset, scratch, n);
      if (!read || read.value() != n || !space.write(data, scratch, n)) {
        return klib::make_error(make_error(kENOMEM, "{}: segment {}: no memory for its pages",
                                           path, s.header_index));
      }
    }
    // The last file page holds file bytes past the segment's end (the next section of the
    // file): they read as zero, as the old copy did and as Linux's padzero makes them for .bss.
    if (data_end < file_pages_end && s.file_size != 0) {
      __builtin_memset(scratch, 0, kvm::kPageSize);
      if (!space.write(data_end, scratch, file_pages_end - data_end)) {
        return klib::make_error(make_error(kENOMEM, "{}: segment {}: no memory for its pages",
                                           path, s.header_index));
      }
    }
    previous_end = end;
    previous_prot = prot;
  }
  space.set_heap_start(image.end + bias);
  return bias;
}

}  // namespace

bool file_exists(fmt::StringView path) {
  ramfs::Filesystem* fs = initramfs::root_filesystem();
  if (fs == nullptr) return false;
  ramfs::NodeRef root = fs->root();
  auto found = ramfs::resolve(*root, path, true);
  return found && found.value()->type() == ramfs::NodeType::kRegular;
}

namespace {

// "#!INTERPRETER [ARG]" on the first line (Linux's binfmt_script): the interpreter runs with
// argv = INTERPRETER [ARG] PATH argv[1..]. Returns false when the file is no script.
struct Shebang {
  fmt::StringView interpreter;
  fmt::StringView argument;
};
bool parse_shebang(const FileBytes& file, Shebang* out) {
  constexpr std::uint64_t kMaxLine = 256;  // Linux's BINPRM_BUF_SIZE
  if (file.head < 3 || file.data[0] != '#' || file.data[1] != '!') return false;
  const auto* text = reinterpret_cast<const char*>(file.data);
  std::uint64_t end = 2;
  while (end < file.head && end < kMaxLine && text[end] != '\n') ++end;
  std::uint64_t i = 2;
  auto blank = [&](std::uint64_t k) { return text[k] == ' ' || text[k] == '\t'; };
  while (i < end && blank(i)) ++i;
  const std::uint64_t name = i;
  while (i < end && !blank(i)) ++i;
  out->interpreter = fmt::StringView(text + name, i - name);
  while (i < end && blank(i)) ++i;
  std::uint64_t arg_end = end;
  while (arg_end > i && blank(arg_end - 1)) --arg_end;
  out->argument = fmt::StringView(text + i, arg_end - i);
  return out->interpreter.length != 0;
}

}  // namespace

klib::Result<LoadedProgram, ExecError> load_program(kvm::AddressSpace& space, const ProgramArgs& given) {
  ProgramArgs args = given;
  FileBytes file;
  TRY_OK(read_file(args.path, file));
  // A script runs its interpreter (one level: an interpreter that is a script is ELOOP). The
  // script's bytes stay alive while its interpreter's argv points into them. No recursion:
  // this runs on a 16 KiB kernel stack.
  FileBytes script_file;
  Shebang script;
  fmt::StringView* script_argv = nullptr;
  struct FreeArgv {
    fmt::StringView*& p;
    ~FreeArgv() { delete[] p; }
  } free_argv{script_argv};
  if (parse_shebang(file, &script)) {
    script_argv = new (std::nothrow) fmt::StringView[args.argc + 3];
    if (script_argv == nullptr) return klib::make_error(make_error(kENOMEM, "{}: no memory", args.path));
    std::uint32_t argc = 0;
    script_argv[argc++] = script.interpreter;
    if (script.argument.length != 0) script_argv[argc++] = script.argument;
    script_argv[argc++] = args.path;
    for (std::uint32_t i = 1; i < args.argc; ++i) script_argv[argc++] = args.argv[i];
    args.argv = script_argv;
    args.argc = argc;
    args.path = script.interpreter;
    script_file.data = file.data;
    script_file.head = file.head;
    script_file.size = file.size;
    file.data = nullptr;
    TRY_OK(read_file(args.path, file));
    Shebang nested;
    if (parse_shebang(file, &nested)) {
      return klib::make_error(make_error(kELOOP, "{}: script interpreter is a script", args.path));
    }
  }
  // parse_elf reads the ELF header and the program-header table, which read_file has put in
  // the head; every offset it checks against the size of the whole file.
  auto parsed = kexec::parse_elf(file.data, file.size);
  if (!parsed) {
    char text[120];
    fmt::FixedBuffer out(text, sizeof(text));
    kexec::format_elf_error(out, parsed.error());
    return klib::make_error(make_error(kENOEXEC, "{}: {}", args.path, out.c_str()));
  }
  const kexec::ElfImage& image = parsed.value();
  const std::uint64_t bias = TRY(map_image(space, image, file, args.path));

  // The main stack, populated on touch; its top pages get the initial stack now.
  auto stack = space.map(kvm::kStackTop - kvm::kStackSize, kvm::kStackSize,
                         kvm::kProtRead | kvm::kProtWrite, kvm::kVmaStack, true, true);
  if (!stack) return klib::make_error(make_error(stack.error(), "{}: cannot map the stack", args.path));
  // [vvar] and [vdso] above the stack; 0 when the kernel has no usable vDSO.
  auto vdso = kvdso::map_into(space);
  if (!vdso) return klib::make_error(make_error(vdso.error(), "{}: cannot map the vDSO", args.path));
  std::uint64_t strings = args.path.length + 1 + 64;
  for (std::uint32_t i = 0; i < args.argc; ++i) strings += args.argv[i].length + 1;
  for (std::uint32_t i = 0; i < args.envc; ++i) strings += args.envp[i].length + 1;
  const std::uint64_t pointers = (args.argc + args.envc + 4) * 8ull + kexec::kMaxAuxEntries * 16ull;
  std::uint64_t bytes = (strings + pointers + kexec::kRandomBytes + 64 + kvm::kPageSize - 1) &
                        ~(kvm::kPageSize - 1);
  if (bytes > kexec::kMaxArgBytes + 4 * kvm::kPageSize) {
    return klib::make_error(make_error(kE2BIG, "{}: arguments and environment too long", args.path));
  }
  auto* buffer = new (std::nothrow) std::uint8_t[bytes];
  if (buffer == nullptr) return klib::make_error(make_error(kENOMEM, "{}: no memory for the stack", args.path));
  kexec::StackInput in;
  in.argv = args.argv;
  in.argc = args.argc;
  in.envp = args.envp;
  in.envc = args.envc;
  in.execfn = args.path;
  in.program = kexec::program_values(image, bias);
  in.hwcap = arch::cpuid(1).edx;
  in.sysinfo_ehdr = vdso.value();
  krandom::fill(in.random, sizeof(in.random));
  in.stack_top = kvm::kStackTop;
  auto layout = kexec::build_initial_stack(in, buffer, bytes);
  if (!layout) {
    delete[] buffer;
    return klib::make_error(make_error(kE2BIG, "{}: initial stack: {}", args.path,
                                       kexec::describe(layout.error().kind)));
  }
  const bool written = space.write(kvm::kStackTop - bytes, buffer, bytes);
  delete[] buffer;
  if (!written) return klib::make_error(make_error(kENOMEM, "{}: no memory for the stack", args.path));
  return LoadedProgram{image.entry + bias, layout.value().rsp};
}

}  // namespace kproc
