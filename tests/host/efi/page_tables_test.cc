// The page-table core against a fake frame source: entry bits, page-size choice, splits,
// table reclamation and every error kind.
#include "kernel/arch/x86_64/mmu/page_tables.h"

#include <gtest/gtest.h>

#include "tests/host/efi/fake_frame_source.h"

namespace {

using paging::ErrorKind;
using paging::PageSize;
using paging::PageTables;
using paging_test::FakeFrameSource;
namespace pte = paging::pte;

constexpr std::uint64_t kKernel = 0xffffffff80000000;
constexpr std::uint64_t kDirect = 0xffff800000000000;
// A user-half address: there unmap frees every table that becomes empty.
constexpr std::uint64_t kUser = 0x0000000000400000;
constexpr std::uint64_t k4K = paging::kPageSize4K;
constexpr std::uint64_t k2M = paging::kPageSize2M;
constexpr std::uint64_t k1G = paging::kPageSize1G;

class PageTablesTest : public ::testing::Test {
 protected:
  PageTablesTest() : frames_(64), tables_(make()) {}

  PageTables make() {
    auto created = PageTables::create(frames_);
    EXPECT_TRUE(created.ok());
    return created.value();
  }
  void TearDown() override {
    EXPECT_FALSE(frames_.bad_access());
    EXPECT_FALSE(frames_.double_free());
  }
  std::uint64_t entry(std::uint64_t virt, int level) {
    return frames_.entry(tables_.pml4_phys(), virt, level);
  }

  FakeFrameSource frames_;
  PageTables tables_;
};

TEST_F(PageTablesTest, CreateGivesEmptyPml4) {
  EXPECT_EQ(frames_.in_use(), 1u);
  EXPECT_EQ(tables_.pml4_phys(), FakeFrameSource::kBase);
  auto t = tables_.translate(kKernel);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::kNotMapped);
}

TEST_F(PageTablesTest, CreateFailsWithoutFrames) {
  FakeFrameSource none(0);
  auto created = PageTables::create(none);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::kOutOfFrames);
}

TEST_F(PageTablesTest, DataPageIsWritableAndNoExecute) {
  ASSERT_TRUE(tables_.map(kKernel, 0x200000 + 0x3000, k4K, paging::kKernelData, PageSize::k1G).ok());
  const std::uint64_t e = entry(kKernel, 1);
  EXPECT_EQ(e & pte::kAddress4K, 0x203000u);
  EXPECT_TRUE(e & pte::kPresent);
  EXPECT_TRUE(e & pte::kWritable);
  EXPECT_TRUE(e & pte::kNoExecute);
  EXPECT_FALSE(e & pte::kUser);
  // Four levels: PML4 + PDPT + PD + PT.
  EXPECT_EQ(frames_.in_use(), 4u);
  // Intermediate levels never restrict: no NX, RW set, so the leaf alone decides.
  const std::uint64_t pde = entry(kKernel, 2);
  EXPECT_TRUE(pde & pte::kWritable);
  EXPECT_FALSE(pde & pte::kNoExecute);
  EXPECT_FALSE(pde & pte::kLargePage);
}

TEST_F(PageTablesTest, CodePageIsReadOnlyAndExecutable) {
  ASSERT_TRUE(tables_.map(kKernel, 0x5000, k4K, paging::kKernelCode, PageSize::k4K).ok());
  const std::uint64_t e = entry(kKernel, 1);
  EXPECT_FALSE(e & pte::kWritable);
  EXPECT_FALSE(e & pte::kNoExecute);
  auto t = tables_.translate(kKernel + 0x123);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().phys, 0x5123u);
  EXPECT_TRUE(t.value().flags.executable);
  EXPECT_FALSE(t.value().flags.writable);
  EXPECT_EQ(t.value().page_size, PageSize::k4K);
}

TEST_F(PageTablesTest, FlagsReachTheEntry) {
  paging::PageFlags flags{.writable = true, .executable = false, .user = true, .global = true,
                          .cache_disable = true, .write_through = true};
  ASSERT_TRUE(tables_.map(0x400000, 0x400000, k4K, flags, PageSize::k4K).ok());
  const std::uint64_t e = entry(0x400000, 1);
  EXPECT_TRUE(e & pte::kUser);
  EXPECT_TRUE(e & pte::kGlobal);
  EXPECT_TRUE(e & pte::kCacheDisable);
  EXPECT_TRUE(e & pte::kWriteThrough);
  EXPECT_TRUE(entry(0x400000, 4) & pte::kUser);  // user pages need U at every level
  auto t = tables_.translate(0x400000);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().flags, flags);
}

TEST_F(PageTablesTest, PatBitSitsWhereThePageSizeWantsIt) {
  paging::PageFlags wc = paging::kKernelData;
  wc.pat = wc.cache_disable = wc.write_through = true;  // PAT entry 7
  ASSERT_TRUE(tables_.map(0x400000, 0x400000, k4K, wc, PageSize::k4K).ok());
  EXPECT_TRUE(entry(0x400000, 1) & pte::kPat4K);
  ASSERT_TRUE(tables_.map(kDirect, 0x200000, k2M, wc, PageSize::k2M).ok());
  const std::uint64_t pde = entry(kDirect, 2);
  EXPECT_TRUE(pde & pte::kLargePage);
  EXPECT_TRUE(pde & pte::kPatLarge);
  ASSERT_TRUE(tables_.translate(kDirect + 0x1000).ok());
  EXPECT_TRUE(tables_.translate(kDirect + 0x1000).value().flags.pat);
  // A split moves bit 12 to bit 7; protect without pat clears it again.
  ASSERT_TRUE(tables_.protect(kDirect, k4K, paging::kKernelData).ok());
  EXPECT_FALSE(entry(kDirect, 1) & pte::kPat4K);
  EXPECT_TRUE(entry(kDirect + k4K, 1) & pte::kPat4K);
  EXPECT_FALSE(tables_.translate(kDirect).value().flags.pat);
  EXPECT_TRUE(tables_.translate(kDirect + k4K).value().flags.pat);
}

TEST_F(PageTablesTest, Uses2MPagesWhenAligned) {
  ASSERT_TRUE(tables_.map(kDirect, 0, 4 * k2M, paging::kKernelData, PageSize::k2M).ok());
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t pde = entry(kDirect + i * k2M, 2);
    EXPECT_TRUE(pde & pte::kLargePage);
    EXPECT_EQ(pde & pte::kAddress2M, i * k2M);
    EXPECT_TRUE(pde & pte::kNoExecute);
  }
  EXPECT_EQ(frames_.in_use(), 3u);  // PML4, PDPT, PD: no page tables
  auto t = tables_.translate(kDirect + 3 * k2M + 0x1234);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().phys, 3 * k2M + 0x1234);
  EXPECT_EQ(t.value().page_size, PageSize::k2M);
}

TEST_F(PageTablesTest, Uses1GPagesOnlyWhenAllowed) {
  ASSERT_TRUE(tables_.map(kDirect, 0, 2 * k1G, paging::kKernelData, PageSize::k1G).ok());
  const std::uint64_t pdpte = entry(kDirect + k1G, 3);
  EXPECT_TRUE(pdpte & pte::kLargePage);
  EXPECT_EQ(pdpte & pte::kAddress1G, k1G);
  EXPECT_EQ(frames_.in_use(), 2u);

  ASSERT_TRUE(tables_.map(kDirect + 4 * k1G, 0, k1G, paging::kKernelData, PageSize::k2M).ok());
  EXPECT_FALSE(entry(kDirect + 4 * k1G, 3) & pte::kLargePage);
  EXPECT_TRUE(entry(kDirect + 4 * k1G, 2) & pte::kLargePage);
}

TEST_F(PageTablesTest, MixesPageSizesAroundAlignment) {
  // 4 KiB up to the 2 MiB boundary, then 2 MiB pages, then 4 KiB for the tail.
  const std::uint64_t virt = kKernel + k2M - 2 * k4K;
  const std::uint64_t phys = 0x10000000 + k2M - 2 * k4K;
  ASSERT_TRUE(tables_.map(virt, phys, 2 * k4K + 2 * k2M + k4K, paging::kKernelData,
                          PageSize::k1G).ok());
  EXPECT_FALSE(entry(virt, 2) & pte::kLargePage);
  EXPECT_TRUE(entry(kKernel + k2M, 2) & pte::kLargePage);
  EXPECT_TRUE(entry(kKernel + 2 * k2M, 2) & pte::kLargePage);
  EXPECT_FALSE(entry(kKernel + 3 * k2M, 2) & pte::kLargePage);
  for (std::uint64_t off = 0; off < 2 * k4K + 2 * k2M + k4K; off += k4K) {
    auto t = tables_.translate(virt + off);
    ASSERT_TRUE(t.ok()) << off;
    EXPECT_EQ(t.value().phys, phys + off);
  }
  EXPECT_FALSE(tables_.translate(virt + 2 * k4K + 2 * k2M + k4K).ok());
}

TEST_F(PageTablesTest, PhysicalMisalignmentForces4KPages) {
  ASSERT_TRUE(tables_.map(kDirect, k4K, k2M, paging::kKernelData, PageSize::k1G).ok());
  EXPECT_FALSE(entry(kDirect, 2) & pte::kLargePage);
  EXPECT_EQ(entry(kDirect + k2M - k4K, 1) & pte::kAddress4K, k2M);
}

TEST_F(PageTablesTest, PartialUnmapSplits2MPage) {
  ASSERT_TRUE(tables_.map(kDirect, 0, k2M, paging::kKernelData, PageSize::k2M).ok());
  ASSERT_TRUE(tables_.unmap(kDirect + 5 * k4K, k4K).ok());
  EXPECT_FALSE(entry(kDirect, 2) & pte::kLargePage);
  EXPECT_FALSE(tables_.translate(kDirect + 5 * k4K).ok());
  for (std::uint64_t page : {0u, 4u, 6u, 511u}) {
    auto t = tables_.translate(kDirect + page * k4K);
    ASSERT_TRUE(t.ok()) << page;
    EXPECT_EQ(t.value().phys, page * k4K);
    EXPECT_EQ(t.value().page_size, PageSize::k4K);
    EXPECT_TRUE(t.value().flags.writable);
    EXPECT_FALSE(t.value().flags.executable);
  }
  EXPECT_TRUE(entry(kDirect + 6 * k4K, 1) & pte::kNoExecute);
}

TEST_F(PageTablesTest, PartialUnmapSplits1GPageInto2M) {
  ASSERT_TRUE(tables_.map(kDirect, 0, k1G, paging::kKernelData, PageSize::k1G).ok());
  ASSERT_TRUE(tables_.unmap(kDirect + k2M, k2M).ok());
  EXPECT_FALSE(entry(kDirect, 3) & pte::kLargePage);
  EXPECT_TRUE(entry(kDirect, 2) & pte::kLargePage);
  EXPECT_EQ(entry(kDirect + 2 * k2M, 2) & pte::kAddress2M, 2 * k2M);
  EXPECT_EQ(entry(kDirect + k2M, 2), 0u);
  EXPECT_EQ(frames_.in_use(), 3u);  // PML4, PDPT, the new PD
}

TEST_F(PageTablesTest, UnmapFreesEmptyTables) {
  ASSERT_TRUE(tables_.map(kUser, 0x100000, 3 * k4K, paging::kKernelData, PageSize::k4K).ok());
  EXPECT_EQ(frames_.in_use(), 4u);
  ASSERT_TRUE(tables_.unmap(kUser, k4K).ok());
  EXPECT_EQ(frames_.in_use(), 4u);  // PT still holds two pages
  ASSERT_TRUE(tables_.unmap(kUser + k4K, 2 * k4K).ok());
  EXPECT_EQ(frames_.in_use(), 1u);
  EXPECT_EQ(entry(kUser, 4), 0u);
}

// The PML4's children in the kernel half stay: every address space shares them by copying
// the kernel PML4's upper entries (mm::copy_kernel_half), so they must never be freed.
TEST_F(PageTablesTest, UnmapKeepsTheKernelHalfPdpts) {
  ASSERT_TRUE(tables_.map(kKernel, 0x100000, 3 * k4K, paging::kKernelData, PageSize::k4K).ok());
  EXPECT_EQ(frames_.in_use(), 4u);
  ASSERT_TRUE(tables_.unmap(kKernel, 3 * k4K).ok());
  EXPECT_EQ(frames_.in_use(), 2u);  // PML4 and the PDPT
  EXPECT_NE(entry(kKernel, 4) & pte::kPresent, 0u);
}

TEST_F(PageTablesTest, UnmapSkipsHoles) {
  ASSERT_TRUE(tables_.map(kUser + k2M, 0x100000, k4K, paging::kKernelData, PageSize::k4K).ok());
  ASSERT_TRUE(tables_.unmap(kUser, 4 * k2M).ok());
  EXPECT_FALSE(tables_.translate(kUser + k2M).ok());
  EXPECT_EQ(frames_.in_use(), 1u);
}

TEST_F(PageTablesTest, NextMappedSkipsHolesOfEveryLevel) {
  constexpr std::uint64_t kUser = 0x10000000;
  constexpr std::uint64_t kTop = 0x800000000000;  // the end of the lower half
  EXPECT_EQ(tables_.next_mapped(0, kTop), kTop);  // nothing mapped: the end, at once
  ASSERT_TRUE(tables_.map(kUser + 3 * k4K, 0x100000, k4K, paging::kKernelData, PageSize::k4K).ok());
  ASSERT_TRUE(tables_.map(kUser + 512 * k1G, 0x200000, k2M, paging::kKernelData,
                          PageSize::k2M).ok());
  EXPECT_EQ(tables_.next_mapped(0, kTop), kUser + 3 * k4K);
  EXPECT_EQ(tables_.next_mapped(kUser + 3 * k4K, kTop), kUser + 3 * k4K);
  EXPECT_EQ(tables_.next_mapped(kUser + 4 * k4K, kTop), kUser + 512 * k1G);
  // Inside a large page: the address itself.
  EXPECT_EQ(tables_.next_mapped(kUser + 512 * k1G + 5 * k4K, kTop), kUser + 512 * k1G + 5 * k4K);
  EXPECT_EQ(tables_.next_mapped(kUser + 512 * k1G + k2M, kTop), kTop);
  // A mapping at or past `end` is not found.
  EXPECT_EQ(tables_.next_mapped(0, kUser + 3 * k4K), kUser + 3 * k4K);
  EXPECT_EQ(tables_.next_mapped(kUser + 4 * k4K, kUser + k1G), kUser + k1G);
  // The range stops at the non-canonical hole; the kernel half is another range.
  EXPECT_EQ(tables_.next_mapped(kTop - k4K, ~0ull), ~0ull);
  ASSERT_TRUE(tables_.map(kKernel, 0x100000, k4K, paging::kKernelData, PageSize::k4K).ok());
  EXPECT_EQ(tables_.next_mapped(kDirect, ~0ull), kKernel);
  EXPECT_EQ(tables_.next_mapped(kKernel + k4K, ~0ull), ~0ull);  // wraps at the top: the end
}

TEST_F(PageTablesTest, ProtectChangesRightsAndSplits) {
  ASSERT_TRUE(tables_.map(kKernel, 0x200000, k2M, paging::kKernelData, PageSize::k2M).ok());
  ASSERT_TRUE(tables_.protect(kKernel, k4K, paging::kKernelCode).ok());
  const std::uint64_t first = entry(kKernel, 1);
  EXPECT_FALSE(first & pte::kNoExecute);
  EXPECT_FALSE(first & pte::kWritable);
  EXPECT_EQ(first & pte::kAddress4K, 0x200000u);
  const std::uint64_t second = entry(kKernel + k4K, 1);
  EXPECT_TRUE(second & pte::kNoExecute);
  EXPECT_TRUE(second & pte::kWritable);
  // Whole large page: changed in place, stays large.
  ASSERT_TRUE(tables_.map(kKernel + k2M, 0x400000, k2M, paging::kKernelData, PageSize::k2M).ok());
  ASSERT_TRUE(tables_.protect(kKernel + k2M, k2M, paging::kKernelRodata).ok());
  const std::uint64_t pde = entry(kKernel + k2M, 2);
  EXPECT_TRUE(pde & pte::kLargePage);
  EXPECT_FALSE(pde & pte::kWritable);
  EXPECT_TRUE(pde & pte::kNoExecute);
}

TEST_F(PageTablesTest, ProtectOverHoleChangesNothing) {
  ASSERT_TRUE(tables_.map(kKernel, 0x200000, k4K, paging::kKernelData, PageSize::k4K).ok());
  auto r = tables_.protect(kKernel, 2 * k4K, paging::kKernelCode);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotMapped);
  EXPECT_EQ(r.error().address, kKernel + k4K);
  EXPECT_TRUE(entry(kKernel, 1) & pte::kNoExecute);
}

TEST_F(PageTablesTest, AlreadyMappedNamesAddressAndRollsBack) {
  ASSERT_TRUE(tables_.map(kKernel + 3 * k4K, 0x900000, k4K, paging::kKernelData,
                          PageSize::k4K).ok());
  const std::size_t before = frames_.in_use();
  auto r = tables_.map(kKernel, 0x100000, 8 * k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kAlreadyMapped);
  EXPECT_EQ(r.error().address, kKernel + 3 * k4K);
  EXPECT_FALSE(tables_.translate(kKernel).ok());  // rolled back
  EXPECT_EQ(tables_.translate(kKernel + 3 * k4K).value().phys, 0x900000u);  // untouched
  EXPECT_EQ(frames_.in_use(), before);
}

TEST_F(PageTablesTest, LargePageOverExistingLargePageIsAlreadyMapped) {
  ASSERT_TRUE(tables_.map(kDirect, 0, k1G, paging::kKernelData, PageSize::k1G).ok());
  auto r = tables_.map(kDirect + k2M, 0, k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kAlreadyMapped);
  EXPECT_EQ(r.error().address, kDirect + k2M);
}

TEST_F(PageTablesTest, OutOfFramesIsAnErrorAndLeaksNothing) {
  frames_.set_limit(3);  // PML4 + PDPT + PD: no room for a page table
  auto r = tables_.map(kKernel, 0x100000, k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kOutOfFrames);
  EXPECT_EQ(r.error().address, kKernel);
  EXPECT_EQ(frames_.in_use(), 1u);  // the PDPT and PD it added were freed again
  EXPECT_EQ(entry(kKernel, 4), 0u);
}

TEST_F(PageTablesTest, OutOfFramesMidRangeRollsBack) {
  frames_.set_limit(4);  // enough for the first page table, not the second
  auto r = tables_.map(kUser + k2M - k4K, 0x100000, 2 * k4K, paging::kKernelData,
                       PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kOutOfFrames);
  EXPECT_EQ(r.error().address, kUser + k2M);
  EXPECT_FALSE(tables_.translate(kUser + k2M - k4K).ok());
  EXPECT_EQ(frames_.in_use(), 1u);
}

TEST_F(PageTablesTest, SplitWithoutFramesFails) {
  ASSERT_TRUE(tables_.map(kDirect, 0, k2M, paging::kKernelData, PageSize::k2M).ok());
  frames_.set_limit(frames_.in_use());
  auto r = tables_.unmap(kDirect + k4K, k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kOutOfFrames);
  EXPECT_TRUE(tables_.translate(kDirect + k4K).ok());  // nothing changed
}

TEST_F(PageTablesTest, RejectsNonCanonicalAddresses) {
  auto r = tables_.map(0x0000800000000000, 0, k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNonCanonical);
  EXPECT_EQ(r.error().address, 0x0000800000000000u);
  // A range running from the lower half into the hole.
  r = tables_.map(0x00007ffffffff000, 0, 2 * k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNonCanonical);
  // A range wrapping past 2^64.
  r = tables_.map(0xfffffffffffff000, 0, 2 * k4K, paging::kKernelData, PageSize::k4K);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNonCanonical);
  EXPECT_EQ(tables_.translate(0x0000900000000000).error().kind, ErrorKind::kNonCanonical);
  EXPECT_EQ(frames_.in_use(), 1u);
}

TEST_F(PageTablesTest, MapsTheVeryLastPage) {
  ASSERT_TRUE(tables_.map(0xfffffffffffff000, 0x7000, k4K, paging::kKernelData,
                          PageSize::k4K).ok());
  EXPECT_EQ(tables_.translate(0xffffffffffffffff).value().phys, 0x7fffu);
}

TEST_F(PageTablesTest, RejectsMisalignmentAndBadPhysical) {
  auto r = tables_.map(kKernel + 1, 0, k4K, paging::kKernelData, PageSize::k4K);
  EXPECT_EQ(r.error().kind, ErrorKind::kMisaligned);
  EXPECT_EQ(r.error().address, kKernel + 1);
  r = tables_.map(kKernel, 0x10, k4K, paging::kKernelData, PageSize::k4K);
  EXPECT_EQ(r.error().kind, ErrorKind::kMisaligned);
  EXPECT_EQ(r.error().address, 0x10u);
  r = tables_.map(kKernel, 0, 100, paging::kKernelData, PageSize::k4K);
  EXPECT_EQ(r.error().kind, ErrorKind::kMisaligned);
  r = tables_.map(kKernel, 0, 0, paging::kKernelData, PageSize::k4K);
  EXPECT_EQ(r.error().kind, ErrorKind::kMisaligned);
  r = tables_.map(kKernel, paging::kMaxPhysicalAddress - k4K, 2 * k4K, paging::kKernelData,
                  PageSize::k4K);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadPhysical);
  EXPECT_EQ(frames_.in_use(), 1u);
}

TEST_F(PageTablesTest, AdoptedTablesSeeExistingMappings) {
  ASSERT_TRUE(tables_.map(kKernel, 0x300000, k4K, paging::kKernelCode, PageSize::k4K).ok());
  PageTables adopted(frames_, tables_.pml4_phys());
  auto t = adopted.translate(kKernel + 8);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().phys, 0x300008u);
  ASSERT_TRUE(adopted.unmap(kKernel, k4K).ok());
  EXPECT_FALSE(tables_.translate(kKernel).ok());
}

TEST_F(PageTablesTest, TranslateCombinesLevels) {
  // An entry written by someone else with NX on an intermediate level: nothing below executes.
  ASSERT_TRUE(tables_.map(kKernel, 0x300000, k4K, paging::kKernelCode, PageSize::k4K).ok());
  auto* pml4 = static_cast<std::uint64_t*>(frames_.table_pointer(tables_.pml4_phys()));
  pml4[511] |= pte::kNoExecute;
  EXPECT_FALSE(tables_.translate(kKernel).value().flags.executable);
}

TEST(PagingDescribe, NamesEveryKind) {
  for (auto kind : {ErrorKind::kOutOfFrames, ErrorKind::kNonCanonical, ErrorKind::kMisaligned,
                    ErrorKind::kBadPhysical, ErrorKind::kAlreadyMapped, ErrorKind::kNotMapped}) {
    EXPECT_STRNE(paging::describe(kind), "unknown paging error");
  }
}

}  // namespace
