// Client names (issue 15, defect 8): HELLO's SETNAME checks the name as
// CLIENT SETNAME does, with Redis's error text; a newline in a name would
// forge lines of CLIENT LIST.
#include "core_test_util.hpp"

namespace ringproxy::testing::core {
namespace {

class ClientName : public CoreClusterTest {};

TEST_F(ClientName, HelloSetnameChecksTheNameLikeClientSetname) {
  RedisServer plain;
  Client p = plain.client();
  Client c = proxy_client();
  const std::string forged = "x y\nid=1 name=admin";
  compare_steps(c, p,
                exact({{"HELLO", "2", "SETNAME", forged},
                       {"CLIENT", "GETNAME"},
                       {"HELLO", "2", "SETNAME", "bad name"},
                       {"CLIENT", "GETNAME"},
                       {"CLIENT", "SETNAME", "good"},
                       {"HELLO", "2", "SETNAME", "x\ny"},
                       {"CLIENT", "GETNAME"}}));
  Reply list = c.command({"CLIENT", "LIST"});
  ASSERT_TRUE(list.is_string()) << list;
  EXPECT_FALSE(contains(list.str, "name=admin")) << list.str;
  EXPECT_FALSE(contains(list.str, "x y")) << list.str;
}

}  // namespace
}  // namespace ringproxy::testing::core
