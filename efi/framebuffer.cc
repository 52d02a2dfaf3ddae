// Step 5: the GOP framebuffer, in the mode the firmware already set. The GOP on the console-out
// handle comes first (the screen the firmware itself prints on), then every other GOP in handle
// order; a GOP in a PixelBltOnly mode has no linear framebuffer and is skipped, as is one whose
// pixels the kernel cannot draw (console::pixel_layout says why).
#include "efi/console.h"
#include "efi/loader.h"
#include "kernel/boot/pixel_layout.h"

namespace loader {
namespace {

enum class Verdict { kUsable, kBltOnly, kUnusable };

// Checks one GOP's current mode and describes it in `out`. Prints why a mode is unusable.
Verdict examine(EFI_GRAPHICS_OUTPUT_PROTOCOL* gop, const char* where, boot::Framebuffer& out) {
  if (gop == nullptr || gop->Mode == nullptr || gop->Mode->Info == nullptr ||
      gop->Mode->SizeOfInfo < sizeof(EFI_GRAPHICS_OUTPUT_MODE_INFORMATION)) {
    log("framebuffer: GOP on {} has no mode information, skipped", where);
    return Verdict::kUnusable;
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
    case PixelBltOnly:
      return Verdict::kBltOnly;
    default:
      log("framebuffer: GOP on {}: unknown pixel format {}, skipped", where,
          static_cast<unsigned>(mode.PixelFormat));
      return Verdict::kUnusable;
  }
  auto layout = console::pixel_layout(fb.format, fb.red_mask, fb.green_mask, fb.blue_mask,
                                      fb.reserved_mask);
  if (!layout.ok()) {
    log("framebuffer: GOP on {}: masks r {:#x} g {:#x} b {:#x} x {:#x}: {}, skipped", where,
        fb.red_mask, fb.green_mask, fb.blue_mask, fb.reserved_mask, layout.error());
    return Verdict::kUnusable;
  }
  fb.bits_per_pixel = layout.value().bytes_per_pixel * 8;
  fb.physical_base = gop->Mode->FrameBufferBase;
  fb.size = gop->Mode->FrameBufferSize;
  fb.width = mode.HorizontalResolution;
  fb.height = mode.VerticalResolution;
  fb.pixels_per_scanline = mode.PixelsPerScanLine;
  // The kernel draws up to stride * height pixels; the buffer must hold them. 64-bit products
  // of 32-bit fields cannot overflow.
  const std::uint64_t needed =
      std::uint64_t{fb.pixels_per_scanline} * fb.height * layout.value().bytes_per_pixel;
  if (fb.physical_base == 0 || fb.width == 0 || fb.height == 0 ||
      fb.pixels_per_scanline < fb.width || needed > fb.size) {
    log("framebuffer: GOP on {}: {}x{} stride {} at {:#x} does not fit its {} bytes, skipped",
        where, fb.width, fb.height, fb.pixels_per_scanline, fb.physical_base, fb.size);
    return Verdict::kUnusable;
  }
  out = fb;
  return Verdict::kUsable;
}

EFI_GRAPHICS_OUTPUT_PROTOCOL* gop_of(EFI_HANDLE handle) {
  void* gop = nullptr;
  if (handle == nullptr ||
      EFI_ERROR(BS->HandleProtocol(handle, &GraphicsOutputProtocol, &gop))) {
    return nullptr;
  }
  return static_cast<EFI_GRAPHICS_OUTPUT_PROTOCOL*>(gop);
}

}  // namespace

void find_framebuffer(boot::BootInfo& info) {
  info.framebuffer = boot::Framebuffer{};
  info.framebuffer.format = boot::PixelFormat::kNone;
  boot::Framebuffer fb{};
  unsigned seen = 0, blt_only = 0;
  const char* chosen = nullptr;

  EFI_GRAPHICS_OUTPUT_PROTOCOL* console_gop = gop_of(ST->ConsoleOutHandle);
  if (console_gop != nullptr) {
    ++seen;
    const Verdict v = examine(console_gop, "the console-out handle", fb);
    if (v == Verdict::kUsable) chosen = "the console-out handle";
    if (v == Verdict::kBltOnly) ++blt_only;
  }
  if (chosen == nullptr) {
    UINTN count = 0;
    EFI_HANDLE* handles = nullptr;
    if (!EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &GraphicsOutputProtocol, nullptr, &count,
                                          &handles))) {
      for (UINTN i = 0; i < count && chosen == nullptr; ++i) {
        EFI_GRAPHICS_OUTPUT_PROTOCOL* gop = gop_of(handles[i]);
        if (gop == nullptr || gop == console_gop) continue;  // already examined
        ++seen;
        const Verdict v = examine(gop, "a display handle", fb);
        if (v == Verdict::kUsable) chosen = "a display handle";
        if (v == Verdict::kBltOnly) ++blt_only;
      }
      BS->FreePool(handles);
    }
  }
  if (chosen == nullptr) {
    if (seen == 0) {
      log("no framebuffer (no GOP): serial only");
    } else if (blt_only == seen) {
      log("no linear framebuffer (every GOP is PixelBltOnly): serial only");
    } else {
      log("no usable linear framebuffer among {} GOPs ({} PixelBltOnly): serial only", seen,
          blt_only);
    }
    return;
  }
  info.framebuffer = fb;
  log("framebuffer {}x{} stride {} format {} ({} bpp) at {:#x}, GOP on {}", fb.width, fb.height,
      fb.pixels_per_scanline, fb.format, fb.bits_per_pixel, fb.physical_base, chosen);
}

}  // namespace loader
