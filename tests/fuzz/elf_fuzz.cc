// libFuzzer target over the program loader's pure parts (kernel/exec): each input is an ELF
// file. A refused one must name its problem (describe, format_elf_error); an accepted one must
// keep every promise of elf_image.h, checked here (abort otherwise), and every segment's file
// bytes are touched so AddressSanitizer catches a range outside the input. The input, cut at
// its NULs, is then also the argv of an initial stack built into a small buffer, so the size
// checks of build_initial_stack meet odd counts and lengths.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kernel/exec/elf_image.h"
#include "kernel/exec/initial_stack.h"

namespace {

void check_image(const kexec::ElfImage& image, const std::uint8_t* data, std::size_t size) {
  if (image.segment_count == 0 || image.segment_count > kexec::kMaxLoadSegments) std::abort();
  if (image.start % kexec::kPageSize != 0 || image.end % kexec::kPageSize != 0) std::abort();
  if (image.start >= image.end) std::abort();
  bool entry_ok = false;
  std::uint32_t sum = 0;
  for (std::uint32_t i = 0; i < image.segment_count; ++i) {
    const kexec::ElfSegment& s = image.segments[i];
    if (s.writable && s.executable) std::abort();
    if (s.file_size > s.mem_size || s.mem_size == 0) std::abort();
    if (s.offset > size || s.file_size > size - s.offset) std::abort();
    if (i > 0 && s.vaddr < image.segments[i - 1].vaddr + image.segments[i - 1].mem_size) {
      std::abort();
    }
    if (s.page_start() < image.start || s.page_end() > image.end) std::abort();
    if (image.type == kexec::ElfType::kExec &&
        (s.page_start() < kexec::kUserLowest || s.page_end() > kexec::kUserTop)) {
      std::abort();
    }
    if (s.executable && image.entry >= s.vaddr && image.entry - s.vaddr < s.mem_size) {
      entry_ok = true;
    }
    for (std::uint64_t b = 0; b < s.file_size; ++b) sum += data[s.offset + b];
  }
  if (!entry_ok) std::abort();
  if (image.type == kexec::ElfType::kPie) {
    if (image.end - image.start >= kexec::kMaxPieSpan) std::abort();
    const std::uint64_t highest = kexec::max_load_base(image);
    if (highest != 0) {
      auto bias = kexec::load_bias(image, highest);
      if (!bias.ok()) std::abort();
      if (image.end + bias.value() > kexec::kUserTop) std::abort();
    }
  }
  if (sum == 0xffffffff) std::abort();  // keeps the reads
}

void build_stack(const std::uint8_t* data, std::size_t size, const kexec::ElfImage* image) {
  std::vector<fmt::StringView> argv;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= size && argv.size() < 200; ++i) {
    if (i == size || data[i] == 0) {
      argv.emplace_back(reinterpret_cast<const char*>(data + begin), i - begin);
      begin = i + 1;
    }
  }
  kexec::StackInput in;
  in.argv = argv.data();
  in.argc = static_cast<std::uint32_t>(argv.size() / 2);
  in.envp = argv.data() + in.argc;
  in.envc = static_cast<std::uint32_t>(argv.size() - in.argc);
  in.execfn = fmt::StringView("/init");
  if (image != nullptr) in.program = kexec::program_values(*image, 0);
  in.stack_top = 0x7ffffffde000;
  std::vector<std::uint8_t> buffer(4096);
  auto built = kexec::build_initial_stack(in, buffer.data(), buffer.size());
  if (built.ok()) {
    const std::uint64_t rsp = built.value().rsp;
    if (rsp % 16 != 0 || rsp < in.stack_top - buffer.size()) std::abort();
  } else if (kexec::describe(built.error().kind)[0] == '?') {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = kexec::parse_elf(data, size);
  if (parsed.ok()) {
    check_image(parsed.value(), data, size);
    build_stack(data, size, &parsed.value());
  } else {
    if (kexec::describe(parsed.error().kind)[0] == '?') std::abort();
    char text[160];
    fmt::FixedBuffer buffer(text, sizeof(text));
    kexec::format_elf_error(buffer, parsed.error());
    if (buffer.size() == 0) std::abort();
    build_stack(data, size, nullptr);
  }
  return 0;
}
