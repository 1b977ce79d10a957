// Base64 through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock: libcurl's TLS stack
// already loads libcrypto into the process, so this is a well-kept
// implementation at no extra runtime cost. EVP_DecodeBlock is lenient in two
// ways this wrapper closes: it skips surrounding whitespace, and it counts the
// padding as decoded zero bytes.
#include "ringproxy/cluster/base64.hpp"

#include <openssl/evp.h>

#include <climits>

namespace ringproxy {

std::string base64_encode(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (bytes.size() > static_cast<size_t>(INT_MAX / 4 * 3)) return {};
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + the NUL it writes
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty()) return std::string();
  if (text.size() % 4 != 0 || text.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '+' || c == '/') {
      if (padding != 0) return std::nullopt;  // data after '='
    } else if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < padding) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace ringproxy
