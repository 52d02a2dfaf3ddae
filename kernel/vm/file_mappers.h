// Which address spaces map which files, so that a file that shrinks can take its pages past the
// new end out of every mapping (Linux's unmap_mapping_range; docs/user-space.md, "File
// mappings").
//
// One record per (file node, address space) pair counts the regions of that space mapping that
// file; address spaces add and remove their counts under their own mutex as file regions come
// and go (mmap, split, fork, munmap, the end of a space). A shrink walks the records of its node
// and has each space drop the pages past the end under that space's mutex.
//
// Why no mapping is missed: the file withholds the pages it cuts from mappings first (under its
// node lock, Node::truncate), so a fault from then on gets none of them; a page mapped before
// is in a space the walk visits after.
// fork notes its child while it holds the parent's mutex and the child's, and a new record
// goes at the tail of its bucket: a walk that has not yet visited the parent reaches the child
// after it (and waits for the child's mutex until the copy is complete); a walk that visited
// the parent first left nothing past the end for the child to copy.
//
// Lock: `file-mappers`, one spinlock (rank 54) over the hash table of records, taken inside an
// address-space mutex or with nothing held; nothing is taken inside it, nothing allocated or
// freed under it. A walk pins the record it stands on, so the record survives while the lock is
// dropped to visit the space, and holds a reference to that space (a space already past its
// last reference is skipped: its end drops every page anyway).
#pragma once

#include <cstdint>

namespace ramfs {
class Node;
}

namespace kvm {

// What the registry needs of a space that maps files: AddressSpace in the kernel, a fake in the
// host tests (tests/host/vm), which is what keeps this file a pure library (kernel_vm).
class FileMapper {
 public:
  // A reference unless the last one is already gone (the space is ending): false then.
  virtual bool try_get() = 0;
  // Drops a reference taken by try_get (the last one ends the space).
  virtual void put() = 0;
  // The file behind `node` shrank to `size`: the space drops its pages of it wholly past the
  // end, under its own lock. Called with no lock of this registry held.
  virtual void drop_file_pages(const ramfs::Node* node, std::uint64_t size) = 0;

 protected:
  ~FileMapper() = default;
};

// One more region of `space` maps `node`. Under `space`'s mutex (fork: the parent's and the
// child's). False when memory ran out (nothing changed). Takes the file-mappers lock.
[[nodiscard]] bool note_file_mapping(const ramfs::Node* node, FileMapper* space);

// One region fewer. Under `space`'s mutex, or once `space` is past its last reference (its
// end); the pair must have been noted. Takes the file-mappers lock.
void forget_file_mapping(const ramfs::Node* node, FileMapper* space);

// `node` shrank to `size`: every space mapping it drops its pages wholly past the end
// (FileMapper::drop_file_pages), one at a time. Thread context, no spinlock or address-space
// mutex held. Takes the file-mappers lock between the visits, never across one.
void unmap_file_tail(const ramfs::Node& node, std::uint64_t size);

// Records alive (leak checks: 0 once every process is gone).
std::uint64_t file_mapping_records();

}  // namespace kvm
