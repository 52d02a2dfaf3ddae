// Step 7: the kernel command line, from LoadOptions or cmdline.txt beside the loader.
#include "efi/cmdline_parse.h"
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {

Status<klib::Ok> read_cmdline(EFI_HANDLE image_handle, boot::BootInfo& info) {
  const std::uint64_t page = TRY(allocate_pages(
      (boot::kMaxCmdlineLength + boot::kPageSize - 1) / boot::kPageSize, "the command line"));
  char* out = reinterpret_cast<char*>(page);
  CmdlineText text;
  const char* source = "none";

  EFI_LOADED_IMAGE* image = nullptr;
  const EFI_STATUS status = BS->HandleProtocol(image_handle, &LoadedImageProtocol,
                                               reinterpret_cast<void**>(&image));
  const auto* options = EFI_ERROR(status) ? nullptr
                                          : static_cast<const std::uint16_t*>(image->LoadOptions);
  const std::size_t option_chars = options ? image->LoadOptionsSize / sizeof(std::uint16_t) : 0;
  if (load_options_are_text(options, option_chars)) {
    text = cmdline_from_load_options(options, option_chars, out, boot::kMaxCmdlineLength);
    source = "load options";
  }
  if (text.length == 0) {
    auto file = read_file_beside_loader(image_handle, u"cmdline.txt");
    if (file.ok()) {
      text = cmdline_from_file(file.value().data, file.value().size, out,
                               boot::kMaxCmdlineLength);
      source = "cmdline.txt";
      free_file(file.value());
    } else if (file.error() != EFI_NOT_FOUND) {
      log("warning: cmdline.txt unreadable (status {:#x})", file.error());
    }
  }
  if (text.skipped != 0) {
    log("error: command line: {} non-ASCII or control characters skipped", text.skipped);
  }
  if (text.truncated) log("warning: command line cut to {} bytes", boot::kMaxCmdlineLength);
  info.cmdline = page;
  info.cmdline_length = static_cast<std::uint32_t>(text.length);
  log("command line ({}): \"{}\"", source, fmt::StringView(out, text.length));
  return klib::Ok{};
}

}  // namespace loader
