// Issue 15, defect 7: a misbehaving backend could send replies to the wrong
// client.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core_test_util.hpp"
#include "reliability_test_util.hpp"

namespace ringproxy::testing {
namespace {

using Clock = std::chrono::steady_clock;
using core::contains;

// Defect 7: a backend that answers twice, or skips an answer, shifts every
// later reply on its connection to the wrong request. The proxy cannot always
// tell, but a reply with no request outstanding, or of a type the command
// cannot produce, shows the connection is out of step: it is closed and its
// requests fail instead of receiving other requests' replies.

class OutOfStep : public FakeBackendTest {
 protected:
  // Errors, not misses, for the requests of a closed connection: a miss (nil)
  // would not tell a stopped reply from a shifted one.
  std::vector<std::string> proxy_args() const override {
    return {"--health-interval-ms", "100", "--timeout-ms", "3000", "--on-unavailable", "error"};
  }
};

TEST_F(OutOfStep, ExtraReplyOfTheWrongTypeIsNotDelivered) {
  FakeBackend* self = nullptr;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    std::string r = self->basic_reply(argv);
    s.send(r);
    if (argv[0] == "GET") s.send(r);  // answers GET twice
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  Client c = proxy_client();
  ASSERT_EQ(c.command({"SET", "a", "value-of-a"}), Reply::make_status("OK"));
  // Both requests leave in one write, so both are in flight when the replies come.
  RawConnection raw = proxy_raw();
  raw.send(get_cmd("a") + encode_command({"INCR", "n"}));
  EXPECT_EQ(raw.read_reply(), Reply::make_string("value-of-a"));
  Reply incr = raw.read_reply();
  EXPECT_TRUE(incr.is_error()) << "INCR got " << incr;  // not GET's second answer
  EXPECT_GE(info_number(c, "backend_out_of_step"), 1u);
  EXPECT_TRUE(contains(proxy().log(), "out of step")) << proxy().log_tail();
}

TEST_F(OutOfStep, SkippedReplyIsNotShiftedOntoTheNextRequest) {
  FakeBackend* self = nullptr;
  std::atomic<bool> skip{false};
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    if (skip && argv[0] == "GET") return;  // never answers GET
    s.send(self->basic_reply(argv));
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  skip = true;
  RawConnection raw = proxy_raw();
  raw.send(get_cmd("a") + encode_command({"SET", "b", "x"}));
  Reply get = raw.read_reply();
  EXPECT_TRUE(get.is_error()) << "GET got " << get;  // not SET's +OK
  EXPECT_TRUE(raw.read_reply().is_error());
  Client c = proxy_client();
  EXPECT_GE(info_number(c, "backend_out_of_step"), 1u);
}

TEST_F(OutOfStep, ReplyWithNoRequestOutstandingClosesTheConnection) {
  FakeBackend* self = nullptr;
  FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
    std::string r = self->basic_reply(argv);
    s.send(r);
    if (argv[0] == "STRLEN") s.send(r);
  });
  self = &fake;
  fakes_ = {&fake};
  start_proxy();
  Client c = proxy_client();
  EXPECT_EQ(c.command({"STRLEN", "a"}), Reply::make_integer(0));
  ASSERT_TRUE(
      wait_until([&] { return info_number(c, "backend_out_of_step") >= 1; }, Duration(5000)));
  // A fresh connection serves the next request.
  EXPECT_TRUE(wait_until([&] { return c.command({"SET", "a", "1"}).is_status(); }, Duration(5000)));
}

// Many clients through one backend connection to a backend that answers
// twice (or skips every 10th reply): counts the replies that still reach the
// wrong request (same type as the right answer: undetectable by type) and
// those stopped. Every reply delivered must at least have a type its command
// can produce.
struct Tally {
  std::atomic<uint64_t> right{0}, wrong{0}, errors{0}, wrong_type{0}, connect_failures{0};
};

void mixed_clients(uint16_t port, Tally& tally) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Client c(port, Duration(10000));
      // Commands in random order, so a shifted reply often lands on a request
      // of the same kind (GET after GET, STRLEN after EXISTS, SET after SET).
      std::mt19937 rng(static_cast<uint32_t>(t));
      for (int round = 0; round < 50; ++round) {
        std::vector<std::vector<std::string>> cmds;
        std::vector<Reply> want;
        for (int i = 0; i < 8; ++i) {
          std::string k = "c" + std::to_string(t) + ":" + std::to_string((round * 8 + i) % 5);
          switch (rng() % 4) {
            case 0:
              cmds.push_back({"GET", k});
              want.push_back(Reply::make_string("v:" + k));
              break;
            case 1:
              cmds.push_back({"STRLEN", k});
              want.push_back(Reply::make_integer(static_cast<long long>(k.size()) + 2));
              break;
            case 2:
              cmds.push_back({"SET", k, "v:" + k});
              want.push_back(Reply::make_status("OK"));
              break;
            default:
              cmds.push_back({"EXISTS", k});
              want.push_back(Reply::make_integer(1));
          }
        }
        std::vector<Reply> got;
        try {
          got = c.pipeline(cmds);
        } catch (const IoError&) {
          try {
            c.reconnect();
          } catch (const IoError& e) {
            tally.connect_failures++;
            return;
          }
          continue;
        }
        for (size_t i = 0; i < got.size(); ++i) {
          if (got[i] == want[i]) {
            tally.right++;
          } else if (got[i].is_error()) {
            tally.errors++;
          } else {
            tally.wrong++;
            if (got[i].type != want[i].type) tally.wrong_type++;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
}

TEST_F(OutOfStep, MisroutedRepliesThatRemainHaveTheRightType) {
  for (int mode = 0; mode < 2; ++mode) {
    std::atomic<uint64_t> count{0};
    std::atomic<bool> misbehave{false};
    FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
      // Every key's value is "v:<key>", so every request has one right answer.
      std::string reply;
      if (argv[0] == "GET") {
        reply = "$" + std::to_string(argv[1].size() + 2) + "\r\nv:" + argv[1] + "\r\n";
      } else if (argv[0] == "STRLEN") {
        reply = ":" + std::to_string(argv[1].size() + 2) + "\r\n";
      } else if (argv[0] == "EXISTS") {
        reply = ":1\r\n";
      } else if (argv[0] == "SET") {
        reply = "+OK\r\n";
      } else {
        reply = argv[0] == "PING" ? "+PONG\r\n" : "+OK\r\n";
      }
      bool data = argv[0] != "PING";
      if (misbehave && data && mode == 1 && ++count % 10 == 0) return;  // skips a reply
      s.send(reply);
      if (misbehave && data && mode == 0 && ++count % 50 == 0) s.send(reply);  // answers twice
    });
    fakes_ = {&fake};
    start_proxy();
    misbehave = true;
    Tally tally;
    mixed_clients(proxy().port(), tally);
    ASSERT_EQ(tally.connect_failures, 0u) << "the proxy stopped accepting: " << proxy().log_tail();
    Client c = proxy_client();
    uint64_t detected = info_number(c, "backend_out_of_step");
    std::cout << (mode == 0 ? "answers twice (every 50th)" : "skips every 10th reply")
              << ": right=" << tally.right << " errors=" << tally.errors
              << " misrouted=" << tally.wrong << " out_of_step_closes=" << detected << "\n";
    EXPECT_EQ(tally.wrong_type, 0u);
    EXPECT_GE(detected, 1u);
    stop_proxy();
    fakes_.clear();
  }
}

// The health probes share the hazard: hiredis aborts the process on a reply
// nobody asked for, so a backend answering a probe twice killed the proxy.
// Both arrivals are covered: in the same read as the expected reply, and
// later, when no probe is waiting.
TEST_F(OutOfStep, ProbeAnsweredTwiceLeavesTheProxyRunning) {
  for (bool late : {false, true}) {
    FakeBackend* self = nullptr;
    std::mutex mu;
    std::map<size_t, std::string> held;  // per connection: the INFO reply sent with the PONGs
    FakeBackend fake([&](FakeBackend::Session& s, const std::vector<std::string>& argv) {
      std::string r = self->basic_reply(argv);
      if (argv[0] == "INFO") {
        // A new probe connection asks INFO before its first PING: its answer
        // goes out with the PING's, so both PONGs leave in one write.
        std::lock_guard<std::mutex> lock(mu);
        held[s.id()] = r;
        return;
      }
      std::string before;
      {
        std::lock_guard<std::mutex> lock(mu);
        before = std::exchange(held[s.id()], std::string());
      }
      if (argv[0] != "PING") {
        s.send(before + r);
      } else if (late) {
        s.send(before + r);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        s.send(r);
      } else {
        s.send(before + r + r);
      }
    });
    self = &fake;
    fakes_ = {&fake};
    start_proxy();
    // Ten probes, each answered twice.
    EXPECT_TRUE(wait_until([&] { return fake.requests_named("PING") >= 10; }, Duration(10000)));
    ASSERT_TRUE(proxy().running()) << proxy().log_tail();
    if (!late) {
      // Answered twice at once: the backend is out of step with its probes.
      EXPECT_TRUE(contains(proxy().log(), "probe connection out of step")) << proxy().log_tail();
    }
    Client c = proxy_client();
    EXPECT_TRUE(c.command({"PING"}).is_status());
    stop_proxy();
    fakes_.clear();
  }
}

}  // namespace
}  // namespace ringproxy::testing
