#include "sched/rbtree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <type_traits>
#include <vector>

namespace {

using sched::RbNode;
using sched::RbTree;

struct Item {
  RbNode node;
  int key = 0;
  int value = 0;       // augmented: minimum value in the subtree
  int min_value = 0;
  int subtree_size = 1;  // augmented: a second value to catch missed updates
  static Item& of(RbNode& n) { return *reinterpret_cast<Item*>(&n); }
  static const Item& of(const RbNode& n) { return *reinterpret_cast<const Item*>(&n); }
};

struct Traits {
  static bool less(const RbNode& a, const RbNode& b) { return Item::of(a).key < Item::of(b).key; }
  static bool update(RbNode& n) {
    Item& i = Item::of(n);
    int old_min = i.min_value, old_size = i.subtree_size;
    i.min_value = i.value;
    i.subtree_size = 1;
    for (RbNode* c : {n.left, n.right}) {
      if (!c) continue;
      i.min_value = std::min(i.min_value, Item::of(*c).min_value);
      i.subtree_size += Item::of(*c).subtree_size;
    }
    return i.min_value != old_min || i.subtree_size != old_size;
  }
};

// Checks red-black and augmentation invariants; returns the black height.
int check(const RbNode* n, const RbNode* parent, int& count) {
  if (!n) return 1;
  EXPECT_EQ(n->parent, parent);
  if (n->red) {
    EXPECT_FALSE(n->left && n->left->red) << "red node with red child";
    EXPECT_FALSE(n->right && n->right->red) << "red node with red child";
  }
  int lh = check(n->left, n, count);
  int rh = check(n->right, n, count);
  EXPECT_EQ(lh, rh) << "black heights differ";
  const Item& i = Item::of(*n);
  int m = i.value, size = 1;
  if (n->left) {
    EXPECT_LE(Item::of(*n->left).key, i.key);
    m = std::min(m, Item::of(*n->left).min_value);
    size += Item::of(*n->left).subtree_size;
  }
  if (n->right) {
    EXPECT_GE(Item::of(*n->right).key, i.key);
    m = std::min(m, Item::of(*n->right).min_value);
    size += Item::of(*n->right).subtree_size;
  }
  EXPECT_EQ(i.min_value, m) << "stale augmented minimum";
  EXPECT_EQ(i.subtree_size, size) << "stale augmented size";
  ++count;
  return lh + (n->red ? 0 : 1);
}

// The leftmost node by descending from the root: what the cached first() must be.
const RbNode* leftmost_by_walk(const RbNode* n) {
  while (n && n->left) n = n->left;
  return n;
}
// Likewise the rightmost: what the cached last() must be.
const RbNode* rightmost_by_walk(const RbNode* n) {
  while (n && n->right) n = n->right;
  return n;
}

TEST(RbTree, RandomInsertEraseKeepsInvariantsOrderAndAugmentation) {
  std::mt19937 rng(1234);
  std::vector<Item> items(600);
  RbTree<Traits> tree;
  std::multiset<std::pair<int, int>> model;  // (key, index)
  std::vector<bool> in(items.size(), false);
  for (int step = 0; step < 6000; ++step) {
    std::size_t idx = rng() % items.size();
    if (!in[idx]) {
      items[idx].key = static_cast<int>(rng() % 200);  // many duplicates
      items[idx].value = static_cast<int>(rng() % 100000);
      tree.insert(items[idx].node);
      model.insert({items[idx].key, static_cast<int>(idx)});
      in[idx] = true;
    } else {
      tree.erase(items[idx].node);
      model.erase(model.find({items[idx].key, static_cast<int>(idx)}));
      in[idx] = false;
    }
    if (step % 50 == 0 || step > 5900) {
      int count = 0;
      if (tree.root()) {
        EXPECT_FALSE(tree.root()->red);
      }
      check(tree.root(), nullptr, count);
      ASSERT_EQ(static_cast<std::size_t>(count), model.size());
      ASSERT_EQ(tree.size(), model.size());
      ASSERT_EQ(tree.first(), leftmost_by_walk(tree.root()));
      ASSERT_EQ(tree.last(), rightmost_by_walk(tree.root()));
      // In-order walk is sorted by key and matches the model's keys.
      std::vector<int> keys;
      for (RbNode* n = tree.first(); n; n = RbTree<Traits>::next(n)) keys.push_back(Item::of(*n).key);
      std::vector<int> expect;
      for (auto& [k, i] : model) expect.push_back(k);
      ASSERT_EQ(keys, expect);
      if (tree.root()) {
        int m = 1 << 30;
        for (auto& [k, i] : model) m = std::min(m, items[i].value);
        EXPECT_EQ(Item::of(*tree.root()).min_value, m);
      }
    }
  }
}

// Minimum only, with copy(): insert's and erase's upward walks stop at the first unchanged node
// (erase also when it moves the successor into the erased node's place); every node must still
// be right. (Traits above has no copy(): erase recomputes from the moved node to the root.)
struct MinOnlyTraits {
  static bool less(const RbNode& a, const RbNode& b) { return Traits::less(a, b); }
  static void copy(const RbNode& from, RbNode& to) {
    Item::of(to).min_value = Item::of(from).min_value;
  }
  static bool update(RbNode& n) {
    Item& i = Item::of(n);
    int m = i.value;
    for (RbNode* c : {n.left, n.right}) {
      if (c) m = std::min(m, Item::of(*c).min_value);
    }
    bool changed = m != i.min_value;
    i.min_value = m;
    return changed;
  }
};

int check_min(const RbNode* n) {
  if (!n) return 1 << 30;
  int m = std::min({Item::of(*n).value, check_min(n->left), check_min(n->right)});
  EXPECT_EQ(Item::of(*n).min_value, m);
  return m;
}

TEST(RbTree, MinAugmentationWithEarlyStopStaysExact) {
  std::mt19937 rng(77);
  std::vector<Item> items(300);
  std::vector<bool> in(items.size(), false);
  RbTree<MinOnlyTraits> tree;
  for (int step = 0; step < 20000; ++step) {
    std::size_t idx = rng() % items.size();
    if (!in[idx]) {
      items[idx].key = static_cast<int>(rng() % 100);
      items[idx].value = static_cast<int>(rng() % 1000);
      tree.insert(items[idx].node);
    } else {
      tree.erase(items[idx].node);
    }
    in[idx] = !in[idx];
    ASSERT_EQ(tree.first(), leftmost_by_walk(tree.root()));
    ASSERT_EQ(tree.last(), rightmost_by_walk(tree.root()));
    if (step % 100 == 0) check_min(tree.root());
  }
  check_min(tree.root());
}

TEST(RbTree, EqualKeysKeepInsertionOrderAndReverseWalkMatches) {
  std::vector<Item> items(10);
  RbTree<Traits> tree;
  for (int i = 0; i < 10; ++i) {
    items[i].key = 7;
    items[i].value = i;
    tree.insert(items[i].node);
  }
  int expect = 0;
  for (RbNode* n = tree.first(); n; n = RbTree<Traits>::next(n)) EXPECT_EQ(Item::of(*n).value, expect++);
  EXPECT_EQ(expect, 10);
  for (RbNode* n = tree.last(); n; n = RbTree<Traits>::prev(n)) EXPECT_EQ(Item::of(*n).value, --expect);
  EXPECT_EQ(expect, 0);
}

// Insert's end fast paths: a key not less than the last node's is linked right of it, a key
// less than the first node's left of it, both without a descent. Drives the scheduler's cycle
// (take the first out, put it back beyond the last) mixed with inserts at both ends, equal to
// either end, in the middle, and erases anywhere; checks every invariant, both caches and the
// order of equal keys (insertion order) against a model after every operation.
template <typename T>
void run_end_heavy_sequence(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Item> items(400);
  std::vector<bool> in(items.size(), false);
  RbTree<T> tree;
  std::multiset<std::pair<int, int>> model;  // (key, insertion sequence)
  std::vector<int> seq_of(items.size());
  int seq = 0;
  auto insert = [&](std::size_t idx, int key) {
    items[idx].key = key;
    items[idx].value = static_cast<int>(rng() % 100000);
    tree.insert(items[idx].node);
    seq_of[idx] = seq;
    model.insert({key, seq++});
    in[idx] = true;
  };
  auto erase = [&](std::size_t idx) {
    tree.erase(items[idx].node);
    model.erase({items[idx].key, seq_of[idx]});
    in[idx] = false;
  };
  for (int step = 0; step < 8000; ++step) {
    const int lo = tree.first() ? Item::of(*tree.first()).key : 0;
    const int hi = tree.last() ? Item::of(*tree.last()).key : 0;
    std::size_t idx = rng() % items.size();
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2: {  // the scheduler's cycle: first out, back in at or beyond the last
        if (RbNode* f = tree.first()) {
          std::size_t i = static_cast<std::size_t>(&Item::of(*f) - items.data());
          erase(i);
          insert(i, hi + static_cast<int>(rng() % 3));  // sometimes equal to the last
        }
        break;
      }
      case 3:  // a fresh element at or beyond the last
        if (!in[idx]) insert(idx, hi + static_cast<int>(rng() % 3));
        break;
      case 4:  // before or equal to the first
        if (!in[idx]) insert(idx, lo - static_cast<int>(rng() % 3));
        break;
      case 5:  // anywhere in the range, equal keys likely
        if (!in[idx]) insert(idx, lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)));
        break;
      case 6:  // the last out
        if (RbNode* l = tree.last()) erase(static_cast<std::size_t>(&Item::of(*l) - items.data()));
        break;
      default:
        if (in[idx]) erase(idx);
        break;
    }
    ASSERT_EQ(tree.first(), leftmost_by_walk(tree.root())) << "step " << step;
    ASSERT_EQ(tree.last(), rightmost_by_walk(tree.root())) << "step " << step;
    ASSERT_EQ(tree.size(), model.size());
    if (tree.root()) {
      ASSERT_FALSE(tree.root()->red);
    }
    int count = 0;
    if constexpr (std::is_same_v<T, Traits>) {
      check(tree.root(), nullptr, count);
    } else {
      check_min(tree.root());
    }
    // In-order (key, insertion sequence) equals the model's: ties keep insertion order.
    std::vector<std::pair<int, int>> got;
    for (RbNode* n = tree.first(); n; n = RbTree<T>::next(n)) {
      got.push_back({Item::of(*n).key, seq_of[static_cast<std::size_t>(&Item::of(*n) - items.data())]});
    }
    const std::vector<std::pair<int, int>> want(model.begin(), model.end());
    ASSERT_EQ(got, want) << "step " << step;
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(RbTree, EndInsertsKeepInvariantsCachesAndTieOrder) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    run_end_heavy_sequence<Traits>(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(RbTree, EndInsertsKeepMinAugmentationWithEarlyStop) {
  for (std::uint32_t seed : {4u, 5u, 6u}) {
    run_end_heavy_sequence<MinOnlyTraits>(seed);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
