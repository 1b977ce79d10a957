// The event loop's scheduling options: --busy-poll-us (poll without sleeping
// while busy), --coalesce-us (sleep briefly between busy passes) and
// --yield-after-flush. They change only when the loop sleeps, never what it
// answers; busy polling must end once traffic ends, and coalescing must leave
// light traffic alone.
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace ringproxy::testing {
namespace {

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the command name start at 3 (state); utime is 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// 16 clients, each `rounds` INCRs of its own counter one by one plus
// pipelined GETs: a busy loop with many small messages. Returns problems found.
std::vector<std::string> run_load(uint16_t port, int rounds = 200) {
  constexpr int kClients = 16;
  std::mutex mu;
  std::vector<std::string> problems;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto problem = [&](std::string s) {
        std::lock_guard<std::mutex> lock(mu);
        if (problems.size() < 20) problems.push_back(std::move(s));
      };
      try {
        Client c(port, Duration(20000));
        const std::string counter = "loop:" + std::to_string(t);
        Reply start = c.command({"GET", counter});
        const int base = start.is_nil() ? 0 : std::stoi(start.str);
        for (int i = base + 1; i <= base + rounds; ++i) {
          Reply r = c.command({"INCR", counter});
          if (r != Reply::make_integer(i)) problem("INCR " + counter + " -> " + r.to_string());
          if (i % 50 == 0) {
            std::vector<Reply> rs = c.pipeline({{"GET", counter}, {"PING"}, {"GET", counter}});
            if (rs[0] != Reply::make_string(std::to_string(i)) ||
                rs[1] != Reply::make_status("PONG") || rs[2] != rs[0])
              problem("pipeline at " + std::to_string(i) + " -> " + rs[0].to_string());
          }
        }
      } catch (const std::exception& e) {
        problem("client " + std::to_string(t) + ": " + e.what());
      }
    });
  }
  for (auto& th : threads) th.join();
  return problems;
}

class BusyPoll : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override { return {"--busy-poll-us", "200"}; }
};

TEST_F(BusyPoll, AnswersLikeAlwaysAndStopsPollingWhenTrafficStops) {
  std::vector<std::string> problems = run_load(proxy().port());
  EXPECT_TRUE(problems.empty()) << problems.front();
  // Traffic is over: within the 200 us window polling must have stopped, so
  // the proxy sleeps again. A loop still polling would burn close to a whole
  // CPU second per second (it yields, but nothing else wants this CPU long).
  const pid_t pid = proxy().pid();
  double before = cpu_seconds(pid);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // measuring idleness needs a window
  double used = cpu_seconds(pid) - before;
  EXPECT_LT(used, 0.3) << "the proxy used " << used << " s of CPU in 1 s without traffic";
}

// INFO's count of loop passes the coalescer followed with a sleep.
uint64_t coalesced_passes(uint16_t port) {
  Client c(port);
  std::string info = c.command({"INFO", "stats"}).str;
  std::string n = info_field(info, "coalesced_passes");
  EXPECT_FALSE(n.empty()) << info;
  return n.empty() ? 0 : std::stoull(n);
}

// The defaults (probing 20 us sleeps while 32 clients are active).
class CoalesceDefaults : public ClusterTest {};

TEST_F(CoalesceDefaults, OneClientAtATimeNeverWaits) {
  // A lone client's request is the only event of its pass: answering it must
  // not wait for company that is not coming.
  Client c(proxy().port());
  for (int i = 1; i <= 300; ++i) {
    ASSERT_EQ(c.command({"INCR", "solo"}), Reply::make_integer(i));
  }
  EXPECT_EQ(coalesced_passes(proxy().port()), 0u);
}

class Coalesce : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--coalesce-us", "200", "--coalesce-min-clients", "4"};
  }
};

TEST_F(Coalesce, AnswersLikeAlwaysAndProbesUnderLoad) {
  // 16 clients at once, more than 4 active in most milliseconds: the
  // coalescer probes, and half of a probe sleeps. A probe's first phase is
  // awake for 25 ms, so load comes until a sleep was seen (at most 20 times).
  for (int i = 0; i < 20 && coalesced_passes(proxy().port()) == 0; ++i) {
    std::vector<std::string> problems = run_load(proxy().port(), 1000);
    ASSERT_TRUE(problems.empty()) << problems.front();
  }
  EXPECT_GT(coalesced_passes(proxy().port()), 0u);
}

class CoalesceOff : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--coalesce-us", "0", "--coalesce-min-clients", "0"};
  }
};

TEST_F(CoalesceOff, NeverSleeps) {
  std::vector<std::string> problems = run_load(proxy().port());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(coalesced_passes(proxy().port()), 0u);
}

class NoYield : public ClusterTest {
 protected:
  std::vector<std::string> proxy_args() const override {
    return {"--yield-after-flush", "off", "--busy-poll-us", "0"};
  }
};

TEST_F(NoYield, AnswersLikeAlways) {
  std::vector<std::string> problems = run_load(proxy().port());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace ringproxy::testing
