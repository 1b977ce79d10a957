// Helpers shared by the process harness's source files (harness.cpp, process.cpp,
// resp_client.cpp, servers.cpp); not for tests.
#pragma once

#include <sys/time.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing::internal {

using Clock = std::chrono::steady_clock;

// Writes to a peer that has gone away must fail with EPIPE, not kill the test
// binary. Children get the default disposition back before exec.
void ignore_sigpipe();
std::string errno_text(int err);
[[noreturn]] void throw_errno(const std::string& what, int err = errno);
int remaining_ms(Clock::time_point deadline);
timeval to_timeval(Duration d);
// Printable form of protocol bytes for failure messages.
std::string escape(std::string_view bytes, size_t limit = 400);
// A command line for messages, arguments with spaces quoted.
std::string join(const std::vector<std::string>& parts);
ExitStatus decode_wait_status(int status);

// argv/envp prepared before fork(): the child may only call async-signal-safe
// functions, so no allocation happens after the fork.
struct ExecSpec {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::vector<char*> argv_ptrs;
  std::vector<char*> env_ptrs;

  ExecSpec(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
           const std::filesystem::path& dir);
};

// fork() and exec the spec with the given stdin/stdout/stderr, in a process
// group of its own that dies with the test binary.
pid_t fork_exec(const ExecSpec& spec, int in, int out, int err);
void set_nonblocking(int fd);
// /proc/<pid>/stat state letter ('R', 'S', 'T' ...), 0 when unreadable.
char process_state(pid_t pid);
// Whether the environment variable is "1".
bool env_flag(const char* name);
// One PING on a fresh connection: the reply, or nothing if none came.
std::optional<Reply> ping_once(uint16_t port, Duration timeout);

}  // namespace ringproxy::testing::internal
