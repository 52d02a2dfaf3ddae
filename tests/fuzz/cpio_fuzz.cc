// libFuzzer target over the initramfs cpio reader (kernel/fs/initramfs/cpio.h): each input is
// an archive, read entry by entry to the trailer or the first problem. Every byte of every
// path and of every entry's data is touched, so AddressSanitizer catches an entry that points
// outside the input; UBSan any overflow. The reader must also end: a problem or the trailer
// is final (checked by asking once more).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "kernel/fs/initramfs/cpio.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  initramfs::CpioReader reader(data, size);
  std::uint32_t sum = 0;
  // Each entry takes at least 112 bytes (header, name, padding), so this bounds the loop.
  for (std::size_t guard = 0; guard <= size / 112 + 1; ++guard) {
    initramfs::CpioEntry e;
    auto got = reader.next(e);
    if (!got.ok() || !got.value()) {
      initramfs::CpioEntry again;
      auto second = reader.next(again);
      if (second.ok() != got.ok() || (second.ok() && second.value())) std::abort();
      for (std::size_t i = 0; !got.ok() && i < got.error().name.length; ++i) {
        sum += static_cast<std::uint8_t>(got.error().name.data[i]);
      }
      return static_cast<int>(sum & 0);
    }
    for (std::size_t i = 0; i < e.path.length; ++i) sum += static_cast<std::uint8_t>(e.path.data[i]);
    for (std::uint32_t i = 0; i < e.size; ++i) sum += e.data[i];
    if (reader.offset() > size) std::abort();
  }
  std::abort();  // more entries than the input can hold
}
