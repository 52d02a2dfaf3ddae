// The input ring (kernel/tty/input_ring.h): order, overflow, and host threads standing in for
// interrupt handlers on two CPUs and the worker draining them (run under ThreadSanitizer too).
#include "kernel/tty/input_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

TEST(InputRing, KeepsOrderAndCountsWhatDidNotFit) {
  ktty::InputRing ring;
  EXPECT_FALSE(ring.has_data());
  std::vector<std::uint8_t> in(ktty::InputRing::kCapacity + 5);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(ring.push(in.data(), in.size()), ktty::InputRing::kCapacity);
  EXPECT_EQ(ring.dropped(), 5u);
  EXPECT_TRUE(ring.has_data());
  std::vector<std::uint8_t> out(in.size());
  EXPECT_EQ(ring.pop(out.data(), 10), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(out[i], in[i]);
  EXPECT_EQ(ring.pop(out.data(), out.size()), ktty::InputRing::kCapacity - 10);
  EXPECT_EQ(out[0], in[10]);
  EXPECT_FALSE(ring.has_data());
}

TEST(InputRing, PushFromReadsOnlyWhatFits) {
  ktty::InputRing ring;
  std::size_t offered = 0;
  for (int i = 0; i < 100; ++i) {
    ring.push_from([&](std::uint8_t* out, std::size_t room) {
      offered += room;
      for (std::size_t j = 0; j < room; ++j) out[j] = 'x';
      return room;
    });
  }
  EXPECT_EQ(offered, ktty::InputRing::kCapacity);  // a full ring offers no room
  EXPECT_EQ(ring.dropped(), 0u);
}

// Two producers push numbered bytes; one consumer drains. Every byte arrives exactly once and
// each producer's bytes in its order.
TEST(InputRing, ProducersAndConsumerOnHostThreads) {
  ktty::InputRing ring;
  constexpr int kPerProducer = 20000;
  std::atomic<int> done{0};
  auto producer = [&](std::uint8_t tag) {
    int sent = 0;
    while (sent < kPerProducer) {
      // Low bit: the producer; the rest: a sequence number modulo 128.
      const auto b = static_cast<std::uint8_t>(((sent % 128) << 1) | tag);
      if (ring.push(&b, 1) == 1) {
        ++sent;
      } else {
        std::this_thread::yield();
      }
    }
    done.fetch_add(1);
  };
  // The ring drops what does not fit; the producers above retry, so dropped() counts retries.
  std::thread a(producer, 0), b(producer, 1);
  int received[2] = {0, 0};
  bool in_order = true;
  std::uint8_t chunk[64];
  while (done.load() < 2 || ring.has_data()) {
    const std::size_t n = ring.pop(chunk, sizeof(chunk));
    for (std::size_t i = 0; i < n; ++i) {
      const int tag = chunk[i] & 1;
      if ((chunk[i] >> 1) != received[tag] % 128) in_order = false;
      ++received[tag];
    }
    if (n == 0) std::this_thread::yield();
  }
  a.join();
  b.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received[0], kPerProducer);
  EXPECT_EQ(received[1], kPerProducer);
}

}  // namespace
