// See signal_watcher.hpp.
#include "ringproxy/net/signal_watcher.hpp"

#include <cstring>
#include <stdexcept>

#include "ringproxy/net/uv_handle.hpp"

namespace ringproxy {

SignalWatcher::SignalWatcher(uv_loop_t* loop, std::initializer_list<int> signums,
                             Callback on_signal)
    : on_signal_(std::move(on_signal)) {
  for (int signum : signums) {
    auto h = std::make_unique<uv_signal_t>();
    uv_signal_init(loop, h.get());
    h->data = this;
    const int rc = uv_signal_start(
        h.get(), [](uv_signal_t* s, int n) { static_cast<SignalWatcher*>(s->data)->on_signal_(n); },
        signum);
    handles_.push_back(std::move(h));
    if (rc < 0) {
      for (auto& handle : handles_) close_handle(handle);
      throw std::runtime_error("cannot watch " + signal_name(signum) + ": " + uv_strerror(rc));
    }
  }
}

SignalWatcher::~SignalWatcher() {
  for (auto& h : handles_) close_handle(h);
}

std::string signal_name(int signum) {
  const char* abbrev = sigabbrev_np(signum);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signum);
}

}  // namespace ringproxy
