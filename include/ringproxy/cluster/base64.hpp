// Standard base64 (RFC 4648, with '=' padding): etcd's JSON gateway carries
// keys and values as protobuf `bytes`, which its JSON mapping writes in this
// form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ringproxy {

std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is padded standard base64 (a length that is a multiple
// of 4, only A-Z a-z 0-9 + / and trailing '='). Empty text decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ringproxy
