// Signals delivered on the loop: a set of libuv signal handles, one per
// signal number, all reporting to one callback. Closing (or destroying) the
// watcher gives the signals back their previous disposition.
#pragma once

#include <uv.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace ringproxy {

class SignalWatcher {
 public:
  using Callback = std::function<void(int signum)>;
  // Throws std::runtime_error if a signal cannot be watched.
  SignalWatcher(uv_loop_t* loop, std::initializer_list<int> signums, Callback on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::vector<std::unique_ptr<uv_signal_t>> handles_;
  Callback on_signal_;
};

// "SIGHUP" for SIGHUP, "signal 64" for a number without a name.
std::string signal_name(int signum);

}  // namespace ringproxy
