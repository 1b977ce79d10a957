// Reply kinds: what a complete reply is, and whether it can answer a request.
#include "ringproxy/resp/reply_type.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace ringproxy::resp {
namespace {

ReplyTypes kind(std::string_view reply) {
  return reply_type_of(reply.data(), reply.size());
}

TEST(ReplyType, EachReplyHasOneKind) {
  EXPECT_EQ(kind("+OK\r\n"), kStatus);
  EXPECT_EQ(kind("-ERR x\r\n"), kError);
  EXPECT_EQ(kind(":-1\r\n"), kInteger);
  EXPECT_EQ(kind("$-1\r\n"), kNilBulk);
  EXPECT_EQ(kind("$0\r\n\r\n"), kBulk);
  EXPECT_EQ(kind("$2\r\n-1\r\n"), kBulk);  // a bulk holding "-1" is not nil
  EXPECT_EQ(kind("*-1\r\n"), kNilArray);
  EXPECT_EQ(kind("*0\r\n"), kArray);
  EXPECT_EQ(kind("*1\r\n$-1\r\n"), kArray);
  EXPECT_EQ(kind("%1\r\n"), 0);
}

TEST(ReplyType, AnErrorAnswersAnything) {
  EXPECT_TRUE(reply_type_allowed(kInteger, kError));
  EXPECT_TRUE(reply_type_allowed(kBulk | kNilBulk, kNilBulk));
  EXPECT_FALSE(reply_type_allowed(kBulk | kNilBulk, kInteger));
  EXPECT_FALSE(reply_type_allowed(kStatus, kNilBulk));
  EXPECT_FALSE(reply_type_allowed(kAnyReply, 0));
  EXPECT_TRUE(reply_type_allowed(kAnyReply, kNilArray));
}

TEST(ReplyType, NamesForLogLines) {
  EXPECT_EQ(reply_types_name(kBulk | kNilBulk), "bulk|nil");
  EXPECT_EQ(reply_types_name(0), "none");
}

}  // namespace
}  // namespace ringproxy::resp
