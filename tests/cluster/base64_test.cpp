// base64 as etcd's gateway writes protobuf bytes: RFC 4648 standard alphabet
// with padding; anything else is refused rather than half-decoded.
#include "ringproxy/cluster/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ringproxy {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(Base64, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= bytes.size(); len += 17) {
    std::string part = bytes.substr(bytes.size() - len);
    auto back = base64_decode(base64_encode(part));
    ASSERT_TRUE(back.has_value()) << len;
    EXPECT_EQ(*back, part);
  }
  EXPECT_EQ(base64_encode("\xff\xfe"), "//4=");
  EXPECT_EQ(base64_encode(std::string("\0\0\0", 3)), "AAAA");
  EXPECT_EQ(base64_decode("AAAA"), std::optional<std::string>(std::string("\0\0\0", 3)));
}

TEST(Base64, RefusesWhatIsNotPaddedStandardBase64) {
  for (const char* bad : {"Zg", "Zg=", "Zm9", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Z===", "=Zm9",
                          "Zg=a", "Zm-_", "Zm9v!A==", "A==="}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace ringproxy
