// Every replaceable form of operator new/delete, on the kernel heap. The throwing forms cannot
// throw (no exceptions): running out of memory there is a panic. The nothrow forms return null.
// Deletes pass the size/alignment they know to the heap, which checks them.
#include <cstddef>
#include <new>

#include "kernel/core/panic.h"
#include "kernel/mm/kernel_heap.h"

// <new> declares the nothrow tag; libsupc++ would define it, but the kernel links no runtime.
namespace std {
const nothrow_t nothrow{};
}  // namespace std

namespace {

void* allocate(std::size_t size, std::size_t alignment) {
  mm::Heap* heap = mm::kernel_heap();
  return heap ? heap->allocate(size, alignment) : nullptr;
}

void* allocate_or_panic(std::size_t size, std::size_t alignment) {
  if (!mm::kernel_heap()) panic("heap: operator new({}) before mm::init", size);
  void* p = allocate(size, alignment);
  if (!p) panic("heap: out of memory allocating {} bytes (alignment {})", size, alignment);
  return p;
}

void release(void* p, std::size_t size, std::size_t alignment) {
  if (!p) return;
  mm::Heap* heap = mm::kernel_heap();
  if (!heap) panic("heap: operator delete({:p}) before mm::init", p);
  heap->free(p, size, alignment);
}

}  // namespace

namespace {

constexpr std::size_t kDefault = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
std::size_t align(std::align_val_t a) { return static_cast<std::size_t>(a); }

}  // namespace

void* operator new(std::size_t size) { return allocate_or_panic(size, kDefault); }
void* operator new[](std::size_t size) { return allocate_or_panic(size, kDefault); }
void* operator new(std::size_t size, std::align_val_t a) { return allocate_or_panic(size, align(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return allocate_or_panic(size, align(a)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size, kDefault); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size, kDefault); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(size, align(a));
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(size, align(a));
}

void operator delete(void* p) noexcept { release(p, 0, 0); }
void operator delete[](void* p) noexcept { release(p, 0, 0); }
void operator delete(void* p, std::size_t size) noexcept { release(p, size, 0); }
void operator delete[](void* p, std::size_t size) noexcept { release(p, size, 0); }
void operator delete(void* p, std::align_val_t a) noexcept { release(p, 0, align(a)); }
void operator delete[](void* p, std::align_val_t a) noexcept { release(p, 0, align(a)); }
void operator delete(void* p, std::size_t size, std::align_val_t a) noexcept {
  release(p, size, align(a));
}
void operator delete[](void* p, std::size_t size, std::align_val_t a) noexcept {
  release(p, size, align(a));
}
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p, 0, 0); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p, 0, 0); }
void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  release(p, 0, align(a));
}
void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  release(p, 0, align(a));
}
