// IntrusiveList: O(1) membership that ends by itself when an element goes.
#include "ringproxy/common/intrusive_list.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace ringproxy {
namespace {

struct TagA {};
struct TagB {};

struct Item : ListHook<TagA>, ListHook<TagB> {
  explicit Item(int v) : value(v) {}
  int value;
};

using ListA = IntrusiveList<Item, TagA>;
using ListB = IntrusiveList<Item, TagB>;

std::vector<int> drain(ListA& list) {
  std::vector<int> out;
  while (Item* i = list.pop_front()) out.push_back(i->value);
  return out;
}

TEST(IntrusiveList, KeepsOrder) {
  Item a(1), b(2), c(3);
  ListA list;
  EXPECT_TRUE(list.empty());
  list.push_back(a);
  list.push_back(b);
  list.push_back(c);
  EXPECT_EQ(drain(list), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(static_cast<ListHook<TagA>&>(a).linked());
}

TEST(IntrusiveList, AnElementLeavesWhenDestroyedOrUnlinked) {
  ListA list;
  Item a(1), c(3);
  list.push_back(a);
  {
    Item b(2);
    list.push_back(b);
    list.push_back(c);
  }
  static_cast<ListHook<TagA>&>(c).unlink();
  static_cast<ListHook<TagA>&>(c).unlink();  // twice is fine
  EXPECT_EQ(drain(list), (std::vector<int>{1}));
}

TEST(IntrusiveList, OneElementInTwoListsByTag) {
  Item a(1), b(2);
  ListA la;
  ListB lb;
  la.push_back(a);
  lb.push_back(a);
  lb.push_back(b);
  static_cast<ListHook<TagB>&>(a).unlink();
  EXPECT_EQ(lb.pop_front(), &b);
  EXPECT_EQ(la.pop_front(), &a);
}

TEST(IntrusiveList, SpliceMovesEverythingInOrder) {
  Item a(1), b(2), c(3);
  ListA first, second;
  first.push_back(a);
  second.push_back(b);
  second.push_back(c);
  first.splice_back(second);
  EXPECT_TRUE(second.empty());
  // Elements spliced over still leave by themselves.
  static_cast<ListHook<TagA>&>(b).unlink();
  EXPECT_EQ(drain(first), (std::vector<int>{1, 3}));
}

TEST(IntrusiveList, ElementsOutliveTheirList) {
  auto a = std::make_unique<Item>(1);
  {
    ListA list;
    list.push_back(*a);
  }
  EXPECT_FALSE(static_cast<ListHook<TagA>&>(*a).linked());
  a.reset();  // its hook no longer points at the list
}

}  // namespace
}  // namespace ringproxy
