// A host and port resolved to one socket address: the first one getaddrinfo
// returns, as both the listener and the backends use.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringproxy {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// `passive`: an address to bind to (AI_PASSIVE). Throws std::runtime_error
// "cannot resolve <what> '<host>': <reason>".
// "ip:port" ("[ip6]:port") of a connected socket's peer (or, with
// peer = false, its own end), as Redis's CLIENT LIST addr and laddr show
// them; "" when the socket has none.
std::string socket_endpoint_text(int fd, bool peer);

SocketAddress resolve_address(const std::string& host, uint16_t port, bool passive,
                              std::string_view what);

}  // namespace ringproxy
