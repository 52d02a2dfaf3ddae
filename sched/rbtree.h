// An intrusive, augmented red-black tree (no allocation: the node lives in the element).
//
//   struct Item { RbNode node; ...; };           // node first: the element is found by cast
//   struct Traits {
//     static bool less(const RbNode& a, const RbNode& b);  // strict weak order of elements
//     // Recompute n's augmented value from n and its children; return whether it changed.
//     static bool update(RbNode& n);
//     // Optional: give `to` the augmented value of `from` (erase moves a node into the place
//     // of the erased one; with copy() the walk up from there can stop early too).
//     static void copy(const RbNode& from, RbNode& to);
//   };
//   RbTree<Traits> tree;
//
// Equal keys keep insertion order (a new element goes right of its equals). Traits::update is
// called for every node whose subtree changed, lower ones first: the path from an inserted or
// removed position towards the root, and both nodes of every rotation. The walks up stop at the
// first node whose value did not change (its ancestors' values cannot change either); on erase
// without copy(), the walk from a node moved into the erased one's place goes to the root. With
// an update() that returns false this is a plain red-black tree. The leftmost and rightmost
// nodes are cached: first() and last() are O(1), and an insert at either end (a key not less
// than the last, or less than the first) links the node there without a descent; it then costs
// the rebalancing (amortised O(1)) and the augmented walk up (which stops at the first unchanged
// node). Other inserts descend, O(log n). Erase never searches (the node is given); its
// rebalancing is amortised O(1), its augmented walks O(log n) at worst. The classic algorithm
// (CLRS ch. 13) with null leaves.
#pragma once

#include <cstddef>

namespace sched {

struct RbNode {
  RbNode* parent = nullptr;
  RbNode* left = nullptr;
  RbNode* right = nullptr;
  bool red = false;
};

template <typename Traits>
class RbTree {
 public:
  constexpr RbTree() = default;
  RbTree(const RbTree&) = delete;
  RbTree& operator=(const RbTree&) = delete;

  RbNode* root() const { return root_; }
  bool empty() const { return root_ == nullptr; }
  std::size_t size() const { return size_; }

  // Needs: `n` not in any tree. Takes ownership of its links.
  void insert(RbNode& n) {
    n.left = n.right = nullptr;
    n.red = true;
    RbNode* parent = nullptr;
    bool go_left = false;
    if (rightmost_ && !Traits::less(n, *rightmost_)) {
      // Not less than the last node: the descent would go right at every step (each node on
      // the right spine is <= the last), so n becomes the last node's right child. This is
      // the scheduler's common cycle: the entity just charged gets the latest deadline.
      parent = rightmost_;
      rightmost_ = &n;
    } else if (leftmost_ && Traits::less(n, *leftmost_)) {
      // Less than the first node, hence than every node: its left child.
      parent = leftmost_;
      go_left = true;
      leftmost_ = &n;
    } else {
      // Strictly inside the key range (or the tree is empty): n is neither first nor last.
      for (RbNode* x = root_; x != nullptr;) {
        parent = x;
        go_left = Traits::less(n, *x);
        x = go_left ? x->left : x->right;
      }
    }
    n.parent = parent;
    if (parent == nullptr) {
      root_ = leftmost_ = rightmost_ = &n;
    } else if (go_left) {
      parent->left = &n;
    } else {
      parent->right = &n;
    }
    ++size_;
    // Only n's ancestors gained an element; once one's value is unchanged, so are theirs.
    Traits::update(n);
    for (RbNode* p = n.parent; p && Traits::update(*p);) p = p->parent;
    insert_fixup(&n);
  }

  // Needs: `z` in this tree.
  void erase(RbNode& z) {
    // The first node has no left child and the last no right child: each neighbour is a
    // red leaf child or the parent, O(1).
    if (&z == leftmost_) leftmost_ = next(&z);
    if (&z == rightmost_) rightmost_ = prev(&z);
    RbNode* y = &z;
    bool removed_black = !y->red;
    RbNode* x = nullptr;         // the node moving into y's old place (may be null)
    RbNode* x_parent = nullptr;  // its parent after the move
    if (z.left == nullptr) {
      x = z.right;
      x_parent = z.parent;
      transplant(&z, z.right);
    } else if (z.right == nullptr) {
      x = z.left;
      x_parent = z.parent;
      transplant(&z, z.left);
    } else {
      y = minimum(z.right);
      removed_black = !y->red;
      x = y->right;
      if (y->parent == &z) {
        x_parent = y;
      } else {
        x_parent = y->parent;
        transplant(y, y->right);
        y->right = z.right;
        y->right->parent = y;
      }
      transplant(&z, y);
      y->left = z.left;
      y->left->parent = y;
      y->red = z.red;
    }
    z.parent = z.left = z.right = nullptr;
    --size_;
    // Every subtree that lost z (or gained y) lies on the path from x_parent to the root.
    if (y == &z) {
      propagate(x_parent, nullptr);  // z's parent lost z; above the first unchanged node, nothing
    } else if constexpr (requires(RbNode& a) { Traits::copy(a, a); }) {
      // y now stands where z stood, so it takes z's old value; then the subtrees between y's
      // old place and y lost y, and y's own subtree lost z: both walks can stop early.
      Traits::copy(z, *y);
      propagate(x_parent, y);
      propagate(y, nullptr);
    } else {
      // y's stored value describes its old place: compare nothing, recompute to the root.
      for (RbNode* p = x_parent; p; p = p->parent) Traits::update(*p);
    }
    if (removed_black) erase_fixup(x, x_parent);
  }

  RbNode* first() const { return leftmost_; }
  RbNode* last() const { return rightmost_; }
  // In-order successor / predecessor, nullptr at the end.
  static RbNode* next(const RbNode* n) {
    if (n->right) return minimum(n->right);
    const RbNode* p = n->parent;
    while (p && n == p->right) {
      n = p;
      p = p->parent;
    }
    return const_cast<RbNode*>(p);
  }
  static RbNode* prev(const RbNode* n) {
    if (n->left) {
      RbNode* m = n->left;
      while (m->right) m = m->right;
      return m;
    }
    const RbNode* p = n->parent;
    while (p && n == p->left) {
      n = p;
      p = p->parent;
    }
    return const_cast<RbNode*>(p);
  }

 private:
  static RbNode* minimum(RbNode* n) {
    while (n->left) n = n->left;
    return n;
  }
  static bool is_red(const RbNode* n) { return n && n->red; }

  // Updates n and its ancestors below `stop` until one's value is unchanged.
  static void propagate(RbNode* n, const RbNode* stop) {
    for (; n != stop && Traits::update(*n); n = n->parent) {
    }
  }

  void transplant(RbNode* u, RbNode* v) {
    if (u->parent == nullptr) {
      root_ = v;
    } else if (u == u->parent->left) {
      u->parent->left = v;
    } else {
      u->parent->right = v;
    }
    if (v) v->parent = u->parent;
  }

  // The subtree rooted at x keeps its element set, so only x and its new parent change.
  void rotate_left(RbNode* x) {
    RbNode* y = x->right;
    x->right = y->left;
    if (y->left) y->left->parent = x;
    transplant(x, y);
    y->left = x;
    x->parent = y;
    Traits::update(*x);
    Traits::update(*y);
  }
  void rotate_right(RbNode* x) {
    RbNode* y = x->left;
    x->left = y->right;
    if (y->right) y->right->parent = x;
    transplant(x, y);
    y->right = x;
    x->parent = y;
    Traits::update(*x);
    Traits::update(*y);
  }

  void insert_fixup(RbNode* z) {
    while (is_red(z->parent)) {
      RbNode* p = z->parent;
      RbNode* g = p->parent;  // exists: a red node is never the root
      if (p == g->left) {
        RbNode* uncle = g->right;
        if (is_red(uncle)) {
          p->red = false;
          uncle->red = false;
          g->red = true;
          z = g;
          continue;
        }
        if (z == p->right) {
          z = p;
          rotate_left(z);
          p = z->parent;
        }
        p->red = false;
        g->red = true;
        rotate_right(g);
      } else {
        RbNode* uncle = g->left;
        if (is_red(uncle)) {
          p->red = false;
          uncle->red = false;
          g->red = true;
          z = g;
          continue;
        }
        if (z == p->left) {
          z = p;
          rotate_right(z);
          p = z->parent;
        }
        p->red = false;
        g->red = true;
        rotate_left(g);
      }
    }
    root_->red = false;
  }

  // x carries an extra black; x may be null (a leaf), hence x_parent.
  void erase_fixup(RbNode* x, RbNode* x_parent) {
    while (x != root_ && !is_red(x)) {
      if (x == x_parent->left) {
        RbNode* w = x_parent->right;  // non-null: x's side is one black short
        if (is_red(w)) {
          w->red = false;
          x_parent->red = true;
          rotate_left(x_parent);
          w = x_parent->right;
        }
        if (!is_red(w->left) && !is_red(w->right)) {
          w->red = true;
          x = x_parent;
          x_parent = x->parent;
        } else {
          if (!is_red(w->right)) {
            w->left->red = false;
            w->red = true;
            rotate_right(w);
            w = x_parent->right;
          }
          w->red = x_parent->red;
          x_parent->red = false;
          w->right->red = false;
          rotate_left(x_parent);
          x = root_;
          x_parent = nullptr;
        }
      } else {
        RbNode* w = x_parent->left;
        if (is_red(w)) {
          w->red = false;
          x_parent->red = true;
          rotate_right(x_parent);
          w = x_parent->left;
        }
        if (!is_red(w->right) && !is_red(w->left)) {
          w->red = true;
          x = x_parent;
          x_parent = x->parent;
        } else {
          if (!is_red(w->left)) {
            w->right->red = false;
            w->red = true;
            rotate_left(w);
            w = x_parent->left;
          }
          w->red = x_parent->red;
          x_parent->red = false;
          w->left->red = false;
          rotate_right(x_parent);
          x = root_;
          x_parent = nullptr;
        }
      }
    }
    if (x) x->red = false;
  }

  RbNode* root_ = nullptr;
  RbNode* leftmost_ = nullptr;   // first(): maintained by insert and erase
  RbNode* rightmost_ = nullptr;  // last(): likewise
  std::size_t size_ = 0;
};

}  // namespace sched
