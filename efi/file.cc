// Step 2 (firmware side): reading a file from the directory the loader was started from.
#include "efi/console.h"
#include "efi/loader.h"

namespace loader {
namespace {

constexpr std::size_t kMaxPath = 512;            // CHAR16s, including the terminator
constexpr std::size_t kMaxDevicePathNodes = 64;  // a real path has a handful
constexpr std::uint64_t kMaxFileSize = 256ull << 20;  // no kernel or cmdline file is this big

// The directory part of the loader's FilePath ("\EFI\BOOT\"), joined from its file-path nodes.
Status<std::size_t> loader_directory(EFI_LOADED_IMAGE* image, CHAR16* out) {
  std::size_t length = 0;
  auto* node = reinterpret_cast<const std::uint8_t*>(image->FilePath);
  for (std::size_t n = 0; node != nullptr && n < kMaxDevicePathNodes; ++n) {
    const std::uint8_t type = node[0];
    const std::uint8_t sub_type = node[1];
    const std::uint16_t node_length = static_cast<std::uint16_t>(node[2] | (node[3] << 8));
    if (type == END_DEVICE_PATH_TYPE) break;
    if (node_length < 4) {
      log("loader device path: node {} has length {}", n, node_length);
      return klib::make_error(EFI_LOAD_ERROR);
    }
    if (type == MEDIA_DEVICE_PATH && sub_type == MEDIA_FILEPATH_DP) {
      const std::size_t chars = (node_length - 4) / sizeof(CHAR16);
      for (std::size_t i = 0; i < chars; ++i) {
        CHAR16 c;
        __builtin_memcpy(&c, node + 4 + i * sizeof(CHAR16), sizeof(c));
        if (c == 0) break;
        if (length + 1 >= kMaxPath) {
          log("loader path longer than {} characters", kMaxPath);
          return klib::make_error(EFI_LOAD_ERROR);
        }
        // Consecutive nodes are joined by the separator they lack.
        if (length > 0 && i == 0 && out[length - 1] != u'\\' && c != u'\\') out[length++] = u'\\';
        out[length++] = c;
      }
    }
    node += node_length;
  }
  // Keep everything up to and including the last separator.
  while (length > 0 && out[length - 1] != u'\\') --length;
  if (length == 0) out[length++] = u'\\';
  out[length] = 0;
  return length;
}

}  // namespace

Status<FileData> read_file_beside_loader(EFI_HANDLE image_handle, const char16_t* name) {
  EFI_LOADED_IMAGE* image = nullptr;
  EFI_STATUS status = BS->HandleProtocol(image_handle, &LoadedImageProtocol,
                                         reinterpret_cast<void**>(&image));
  if (EFI_ERROR(status)) {
    log("no LoadedImage protocol (status {:#x})", status);
    return klib::make_error(status);
  }
  CHAR16 path[kMaxPath];
  std::size_t length = TRY(loader_directory(image, path));
  for (std::size_t i = 0; name[i] != 0; ++i) {
    if (length + 1 >= kMaxPath) return klib::make_error(EFI_LOAD_ERROR);
    path[length++] = name[i];
  }
  path[length] = 0;

  EFI_FILE_IO_INTERFACE* volume = nullptr;
  status = BS->HandleProtocol(image->DeviceHandle, &FileSystemProtocol,
                              reinterpret_cast<void**>(&volume));
  if (EFI_ERROR(status)) {
    log("the loader's device has no file system (status {:#x})", status);
    return klib::make_error(status);
  }
  EFI_FILE_HANDLE root = nullptr;
  status = volume->OpenVolume(volume, &root);
  if (EFI_ERROR(status)) {
    log("cannot open the loader's volume (status {:#x})", status);
    return klib::make_error(status);
  }
  EFI_FILE_HANDLE file = nullptr;
  status = root->Open(root, &file, path, EFI_FILE_MODE_READ, 0);
  root->Close(root);
  if (EFI_ERROR(status)) return klib::make_error(status);  // the caller decides if that is fatal

  EFI_FILE_INFO* file_info = LibFileInfo(file);
  if (file_info == nullptr) {
    file->Close(file);
    return klib::make_error(EFI_LOAD_ERROR);
  }
  const std::uint64_t size = file_info->FileSize;
  FreePool(file_info);
  if (size > kMaxFileSize) {
    file->Close(file);
    log("file of {} bytes is larger than the {} byte limit", size, kMaxFileSize);
    return klib::make_error(EFI_LOAD_ERROR);
  }
  void* buffer = nullptr;
  // One spare byte so an empty file still gets a valid buffer.
  status = BS->AllocatePool(EfiLoaderData, size + 1, &buffer);
  if (EFI_ERROR(status)) {
    file->Close(file);
    log("no memory for a {} byte file (status {:#x})", size, status);
    return klib::make_error(status);
  }
  auto* bytes = static_cast<std::uint8_t*>(buffer);
  std::uint64_t done = 0;
  // Each successful Read makes progress, so this ends after at most `size` rounds.
  while (done < size) {
    UINTN chunk = size - done;
    status = file->Read(file, &chunk, bytes + done);
    if (EFI_ERROR(status) || chunk == 0 || chunk > size - done) {
      file->Close(file);
      BS->FreePool(buffer);
      log("read failed after {} of {} bytes (status {:#x})", done, size, status);
      return klib::make_error(EFI_ERROR(status) ? status : EFI_LOAD_ERROR);
    }
    done += chunk;
  }
  file->Close(file);
  return FileData{bytes, static_cast<std::size_t>(size)};
}

void free_file(FileData file) {
  if (file.data != nullptr) BS->FreePool(file.data);
}

}  // namespace loader
