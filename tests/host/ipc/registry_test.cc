// The registry of queue names (kernel/ipc/registry.h) and the limits (limits.h): Linux's
// errno values for names, flags and attributes, the byte accounting against RLIMIT_MSGQUEUE,
// queues_max for an unprivileged creator, and a queue that outlives its name.
#include <gtest/gtest.h>

#include "kernel/abi/errno.h"
#include "kernel/ipc/registry.h"

namespace {

using kipc::Attributes;
using kipc::Creator;
using kipc::OpenRequest;
using kipc::Registry;

OpenRequest create(const char* name, const Attributes* a = nullptr, bool exclusive = true) {
  OpenRequest r;
  r.name = name;
  r.create = true;
  r.exclusive = exclusive;
  r.attributes = a;
  r.creator.privileged = true;
  return r;
}

TEST(IpcLimits, AttributesAsLinuxChecksThem) {
  const Creator user{false, kipc::kDefaultBytesLimit}, root{true, kipc::kDefaultBytesLimit};
  EXPECT_EQ(kipc::check_attributes({10, 8192}, user), 0);
  EXPECT_EQ(kipc::check_attributes({11, 8192}, user), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({10, 8193}, user), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({11, 8193}, root), 0);
  EXPECT_EQ(kipc::check_attributes({65536, 16 * 1024 * 1024}, root), 0);
  EXPECT_EQ(kipc::check_attributes({65537, 1}, root), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({1, 16 * 1024 * 1024 + 1}, root), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({0, 1}, root), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({1, 0}, root), kabi::kEINVAL);
  EXPECT_EQ(kipc::check_attributes({-1, 1}, root), kabi::kEINVAL);
}

TEST(IpcLimits, BytesCountedAsLinux) {
  // 10 x (8192 + 48) + 10 x 48: nine default queues fit in the default RLIMIT_MSGQUEUE.
  EXPECT_EQ(kipc::queue_bytes({10, 8192}), 82880u);
  EXPECT_EQ(kipc::queue_bytes({1, 1}), 97u);
  // Tree nodes stop at MQ_PRIO_MAX.
  EXPECT_EQ(kipc::queue_bytes({65536, 1}), 65536u * 49 + 32768u * 48);
}

TEST(IpcRegistry, NamesAsLinuxLooksThemUp) {
  EXPECT_EQ(kipc::check_name(""), kabi::kENOENT);
  EXPECT_EQ(kipc::check_name("."), kabi::kEACCES);
  EXPECT_EQ(kipc::check_name(".."), kabi::kEACCES);
  EXPECT_EQ(kipc::check_name("a/b"), kabi::kEACCES);
  EXPECT_EQ(kipc::check_name("..."), 0);
  char longest[257];
  for (char& c : longest) c = 'q';
  EXPECT_EQ(kipc::check_name(fmt::StringView{longest, 255}), 0);
  EXPECT_EQ(kipc::check_name(fmt::StringView{longest, 256}), kabi::kENAMETOOLONG);
}

TEST(IpcRegistry, CreateOpenExclusiveMissing) {
  Registry r;
  {
    OpenRequest missing;
    missing.name = "q";
    auto m = r.open(missing);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error(), kabi::kENOENT);
    auto a = r.open(create("q"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a.value()->attributes().max_messages, 10);
    EXPECT_EQ(a.value()->attributes().message_size, 8192);
    auto again = r.open(create("q"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), kabi::kEEXIST);
    // O_CREAT without O_EXCL on an existing queue: the attributes are not looked at.
    const Attributes bad{0, 0};
    auto same = r.open(create("q", &bad, false));
    ASSERT_TRUE(same);
    EXPECT_EQ(same.value().get(), a.value().get());
    EXPECT_EQ(r.queues(), 1u);
    EXPECT_EQ(r.bytes(), 82880u);
    auto invalid = r.open(create("other", &bad));
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error(), kabi::kEINVAL);
    EXPECT_EQ(r.unlink("q"), 0);
    EXPECT_EQ(r.unlink("q"), kabi::kENOENT);
    // Unlinked but open: still counted, its name free for a new queue.
    EXPECT_EQ(r.queues(), 1u);
    auto fresh = r.open(create("q"));
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh.value().get(), a.value().get());
    EXPECT_EQ(r.queues(), 2u);
    EXPECT_EQ(r.unlink("q"), 0);
  }
  // Every reference gone: nothing counted, nothing left.
  EXPECT_EQ(r.queues(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(IpcRegistry, ByteLimitIsEmfile) {
  Registry r;
  const Attributes one{1, 100};  // 196 bytes
  OpenRequest first = create("a", &one);
  first.creator.bytes_limit = 2 * 196;
  auto a = r.open(first);
  ASSERT_TRUE(a);
  first.name = "b";
  auto b = r.open(first);
  ASSERT_TRUE(b);
  first.name = "c";
  auto c = r.open(first);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), kabi::kEMFILE);
  // Freed with the last reference: then there is room again.
  EXPECT_EQ(r.unlink("a"), 0);
  a.value().reset();
  auto c2 = r.open(first);
  EXPECT_TRUE(c2);
  EXPECT_EQ(r.unlink("b"), 0);
  EXPECT_EQ(r.unlink("c"), 0);
}

TEST(IpcRegistry, QueuesMaxIsEnospcForTheUnprivilegedOnly) {
  Registry r;
  const Attributes tiny{1, 1};
  char name[16];
  for (std::uint32_t i = 0; i < kipc::kUnprivilegedQueues; ++i) {
    snprintf(name, sizeof(name), "n%u", i);
    OpenRequest req = create(name, &tiny);
    req.creator.privileged = false;
    auto q = r.open(req);
    ASSERT_TRUE(q) << i;
  }
  OpenRequest over = create("over", &tiny);
  over.creator.privileged = false;
  auto q = r.open(over);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error(), kabi::kENOSPC);
  over.creator.privileged = true;
  EXPECT_TRUE(r.open(over));
  EXPECT_EQ(r.queues(), kipc::kUnprivilegedQueues + 1);
  for (std::uint32_t i = 0; i < kipc::kUnprivilegedQueues; ++i) {
    snprintf(name, sizeof(name), "n%u", i);
    EXPECT_EQ(r.unlink(name), 0);
  }
  EXPECT_EQ(r.unlink("over"), 0);
  EXPECT_EQ(r.queues(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

}  // namespace
