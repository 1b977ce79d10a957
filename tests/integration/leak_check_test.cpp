// The proxy under valgrind's memcheck: a workload that walks every path that
// allocates (single-key, split, fan-out, SCAN, MULTI, local commands, protocol
// errors, clients vanishing with requests in flight, a backend dying and
// coming back through the health checker), then SIGTERM. Any leaked or invalid
// access makes valgrind exit with a marker status.
//
// The sanitizer pass checks leaks with LeakSanitizer too; this test covers
// the normal (optimised) build and memcheck's invalid-access checks. It is
// skipped in sanitizer builds (valgrind cannot run them) and when valgrind is
// missing.
#include <string>
#include <vector>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

constexpr int kValgrindError = 97;

class LeakCheck : public ClusterTest {
 protected:
  bool start_proxy_in_setup() const override { return false; }
};

TEST_F(LeakCheck, ProxyFreesEverythingItAllocates) {
#ifdef RINGPROXY_SANITIZE_BUILD
  GTEST_SKIP() << "valgrind cannot run a sanitizer build";
#endif
  std::string valgrind = find_executable("valgrind");
  if (valgrind.empty()) GTEST_SKIP() << "valgrind is not installed";
  TempDir dir("ringproxy-leak");
  std::string vlog = (dir.path() / "valgrind.log").string();

  ProxyOptions options;
  options.backends = backend_addresses();
  options.binary = valgrind;
  options.extra_args = {"--leak-check=full",
                        "--show-leak-kinds=definite,indirect",
                        "--errors-for-leak-kinds=definite,indirect",
                        "--error-exitcode=" + std::to_string(kValgrindError),
                        "--log-file=" + vlog,
                        proxy_binary(),
                        "--hash-tag",
                        "{}",
                        "--health-interval-ms",
                        "100",
                        "--health-timeout-ms",
                        "500",
                        "--timeout-ms",
                        "2000"};
  options.ready_timeout = Duration(60000);
  ProxyProcess proxy(options);

  Client c = proxy.client(Duration(30000));
  for (int i = 0; i < 200; ++i) {
    std::string k = "key:" + std::to_string(i);
    ASSERT_EQ(c.command({"SET", k, std::string(100 + i, 'v')}), Reply::make_status("OK"));
  }
  std::vector<std::vector<std::string>> batch = {
      {"MGET", "key:1", "key:2", "key:3", "key:4", "nokey"},
      {"MSET", "a", "1", "b", "2", "c", "3", "d", "4"},
      {"DEL", "a", "b", "c", "d"},
      {"EXISTS", "key:1", "key:2", "key:3"},
      {"DBSIZE"},
      {"KEYS", "key:1*"},
      {"SCAN", "0", "COUNT", "50"},
      {"RANDOMKEY"},
      {"INFO"},
      {"PROXY", "NODES"},
      {"COMMAND", "INFO", "get"},
      {"CLIENT", "SETNAME", "leaky"},
      {"HELLO", "2"},
      {"MULTI"},
      {"INCR", "{t}x"},
      {"INCR", "{t}y"},
      {"EXEC"},
      {"MULTI"},
      {"INCR", "{t}x"},
      {"DISCARD"},
      {"RENAME", "key:1", "key:2"},
      {"SUBSCRIBE", "ch"},
      {"NOSUCHCOMMAND", "x"},
      {"GET"},
      {"EVAL", "return 1", "0"},
  };
  std::vector<Reply> replies = c.pipeline(batch);
  ASSERT_EQ(replies.size(), batch.size());

  // A client that leaves with requests in flight, and one with a partial request.
  {
    RawConnection raw = proxy.raw(Duration(30000));
    std::string many;
    for (int i = 0; i < 500; ++i) many += encode_command({"GET", "key:" + std::to_string(i % 200)});
    raw.send(many);
  }
  {
    RawConnection raw = proxy.raw(Duration(30000));
    raw.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly-part");
  }
  // A protocol error closes the connection.
  {
    RawConnection raw = proxy.raw(Duration(30000));
    raw.send("*1\r\n$x\r\n");
    EXPECT_TRUE(raw.wait_closed(Duration(30000)));
  }

  // A backend dies and comes back: health probes, ejection, failover writes,
  // rejoin with flush and cleanup.
  backend(0).kill9();
  ASSERT_TRUE(wait_until(
      [&] {
        Reply r = c.command({"PROXY", "NODES"});
        return r.to_string().find("state=down") != std::string::npos;
      },
      Duration(30000), Duration(100)));
  for (int i = 0; i < 50; ++i) c.command({"SET", "f:" + std::to_string(i), "x"});
  backend(0).restart();
  ASSERT_TRUE(wait_until(
      [&] {
        Reply r = c.command({"PROXY", "NODES"});
        return r.to_string().find("state=down") == std::string::npos &&
               r.to_string().find("state=probing") == std::string::npos;
      },
      Duration(30000), Duration(100)));

  ExitStatus st = proxy.stop(Duration(60000));
  std::string report = read_file(vlog);
  ASSERT_NE(report.find("ERROR SUMMARY"), std::string::npos) << "valgrind did not run: " << report;
  EXPECT_FALSE(st.exited && st.code == kValgrindError) << tail_lines(report, 80);
  EXPECT_EQ(report.find("definitely lost: "), report.find("definitely lost: 0 bytes"))
      << tail_lines(report, 80);
  EXPECT_EQ(report.find("Invalid read"), std::string::npos) << tail_lines(report, 80);
  EXPECT_EQ(report.find("Invalid write"), std::string::npos) << tail_lines(report, 80);
}

}  // namespace
}  // namespace ringproxy::testing
