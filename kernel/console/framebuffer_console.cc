#include "kernel/console/framebuffer_console.h"

namespace console {

const char* FramebufferConsole::init(const boot::Framebuffer& mode, volatile void* pixels) {
  if (pixels == nullptr) return "not mapped";
  auto layout = pixel_layout(mode);
  if (!layout.ok()) return layout.error();
  if (mode.width == 0 || mode.height == 0) return "empty mode";
  if (mode.pixels_per_scanline < mode.width) return "stride below width";
  // 64-bit arithmetic: the product of two 32-bit fields and 4 cannot overflow it.
  const std::uint64_t bytes_per_line =
      std::uint64_t{mode.pixels_per_scanline} * layout.value().bytes_per_pixel;
  if (mode.size < bytes_per_line * mode.height) return "size below stride x height";
  const ScreenGeometry geometry{mode.width, mode.height, bytes_per_line, layout.value()};
  foreground_ = layout.value().encode(0xC0, 0xC0, 0xC0);  // light grey
  background_ = layout.value().encode(0x00, 0x00, 0x00);
  screen_.init(geometry, pixels, foreground_, background_);
  layout_ = TextLayout(screen_.columns(), screen_.rows());
  active_ = true;
  return nullptr;
}

void FramebufferConsole::write(const char* text, std::size_t length) {
  if (!active()) return;
  layout_.write(text, length, screen_);
  screen_.flush();
}

FramebufferConsole& framebuffer_console() {
  static constinit FramebufferConsole instance;
  return instance;
}

}  // namespace console
