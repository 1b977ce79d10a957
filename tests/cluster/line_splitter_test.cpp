// The watch stream's framing: one JSON document per line, in chunks cut
// anywhere.
#include "ringproxy/cluster/line_splitter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringproxy {
namespace {

std::vector<std::string> feed_all(LineSplitter& s, const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  for (const auto& c : chunks) {
    EXPECT_TRUE(s.feed(c, [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    }));
  }
  return lines;
}

TEST(LineSplitter, EveryCutGivesTheSameLines) {
  const std::string stream = "{\"a\":1}\n{\"b\":2}\r\n\n  \n{\"c\":3}\n{\"partial\":";
  const std::vector<std::string> expected = {"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"};
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    for (size_t cut2 = cut; cut2 <= stream.size(); cut2 += 3) {
      LineSplitter s(1024);
      auto lines =
          feed_all(s, {stream.substr(0, cut), stream.substr(cut, cut2 - cut), stream.substr(cut2)});
      EXPECT_EQ(lines, expected) << cut << "," << cut2;
      EXPECT_EQ(s.buffered(), std::string("{\"partial\":").size());
    }
  }
}

TEST(LineSplitter, ByteAtATime) {
  LineSplitter s(64);
  std::vector<std::string> chunks;
  for (char c : std::string("one\ntwo\nthree\n")) chunks.emplace_back(1, c);
  EXPECT_EQ(feed_all(s, chunks), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(s.buffered(), 0u);
}

TEST(LineSplitter, ALineOverTheLimitFailsTheStream) {
  LineSplitter s(8);
  int lines = 0;
  auto count = [&](std::string_view) {
    ++lines;
    return true;
  };
  EXPECT_TRUE(s.feed("12345678\n1234", count));  // exactly the limit is fine
  EXPECT_EQ(lines, 1);
  EXPECT_FALSE(s.feed("56789", count));  // 9 bytes without an end
  EXPECT_TRUE(s.too_long());
  EXPECT_FALSE(s.feed("\nok\n", count));  // stays failed
  EXPECT_EQ(lines, 1);
  s.reset();
  EXPECT_TRUE(s.feed("ok\n", count));
  EXPECT_EQ(lines, 2);

  LineSplitter whole(4);
  EXPECT_FALSE(whole.feed("12345\n", count));  // a complete line over the limit too
}

TEST(LineSplitter, StopsWhenTheConsumerSaysSo) {
  LineSplitter s(64);
  std::vector<std::string> seen;
  EXPECT_FALSE(s.feed("a\nb\nc\n", [&](std::string_view line) {
    seen.emplace_back(line);
    return line != "b";
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace ringproxy
