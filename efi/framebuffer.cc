// Step 5: the GOP framebuffer, in the mode the firmware already set.
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {

void find_framebuffer(boot::BootInfo& info) {
  info.framebuffer = boot::Framebuffer{};
  info.framebuffer.format = boot::PixelFormat::kNone;
  EFI_GRAPHICS_OUTPUT_PROTOCOL* gop = nullptr;
  EFI_STATUS status = BS->LocateProtocol(&GraphicsOutputProtocol, nullptr,
                                         reinterpret_cast<void**>(&gop));
  if (EFI_ERROR(status) || gop == nullptr || gop->Mode == nullptr || gop->Mode->Info == nullptr) {
    log("no framebuffer (GOP not found)");
    return;
  }
  const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION& mode = *gop->Mode->Info;
  boot::Framebuffer fb{};
  switch (mode.PixelFormat) {
    case PixelRedGreenBlueReserved8BitPerColor: fb.format = boot::PixelFormat::kRgbx8; break;
    case PixelBlueGreenRedReserved8BitPerColor: fb.format = boot::PixelFormat::kBgrx8; break;
    case PixelBitMask:
      fb.format = boot::PixelFormat::kBitmask;
      fb.red_mask = mode.PixelInformation.RedMask;
      fb.green_mask = mode.PixelInformation.GreenMask;
      fb.blue_mask = mode.PixelInformation.BlueMask;
      fb.reserved_mask = mode.PixelInformation.ReservedMask;
      break;
    default:
      log("framebuffer: mode has no linear framebuffer (BltOnly), none passed on");
      return;
  }
  fb.physical_base = gop->Mode->FrameBufferBase;
  fb.size = gop->Mode->FrameBufferSize;
  fb.width = mode.HorizontalResolution;
  fb.height = mode.VerticalResolution;
  fb.pixels_per_scanline = mode.PixelsPerScanLine;
  // The kernel draws up to stride * height pixels of 4 bytes; the buffer must hold them.
  const std::uint64_t needed = std::uint64_t{fb.pixels_per_scanline} * fb.height * 4;
  if (fb.width == 0 || fb.height == 0 || fb.pixels_per_scanline < fb.width || needed > fb.size) {
    log("warning: framebuffer {}x{} stride {} does not fit its {} bytes, none passed on",
        fb.width, fb.height, fb.pixels_per_scanline, fb.size);
    return;
  }
  info.framebuffer = fb;
  log("framebuffer {}x{} stride {} format {} at {:#x}", fb.width, fb.height,
      fb.pixels_per_scanline, fb.format, fb.physical_base);
}

}  // namespace loader
