// Resolving a host and port; see socket_address.hpp.
#include "ringproxy/net/socket_address.hpp"

#include <netdb.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace ringproxy {

SocketAddress resolve_address(const std::string& host, uint16_t port, bool passive,
                              std::string_view what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    throw std::runtime_error("cannot resolve " + std::string(what) + " '" + host +
                             "': " + (rc != 0 ? gai_strerror(rc) : "no address"));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
  SocketAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  a.length = res->ai_addrlen;
  return a;
}

}  // namespace ringproxy
