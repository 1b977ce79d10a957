// Micro benchmarks for the hot per-request work: parsing a client request
// (RequestParser) and framing a backend reply (ReplyScanner). One iteration is
// one request or one reply, so the reported time is ns per request / reply.
// Every input arrives whole, as it usually does; the split cases cost the same
// per byte by design and are covered by the unit tests.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ringproxy/resp/reply_scanner.hpp"
#include "ringproxy/resp/request_parser.hpp"

namespace ringproxy {
namespace {

std::string multibulk(const std::vector<std::string>& args) {
  std::string s = "*";
  s.append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args) {
    s.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return s;
}

std::string bulk(const std::string& payload) {
  std::string s = "$";
  s.append(std::to_string(payload.size())).append("\r\n").append(payload).append("\r\n");
  return s;
}

void run_parser(benchmark::State& state, const std::string& req) {
  RequestParser parser;
  for (auto _ : state) {
    if (parser.parse(req.data(), req.size()) != RequestParser::Status::kComplete) {
      state.SkipWithError("request did not parse");
      break;
    }
    benchmark::DoNotOptimize(parser.arg(parser.argc() - 1).data());
    parser.reset();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(req.size()));
}

void run_scanner(benchmark::State& state, const std::string& reply) {
  ReplyScanner scanner;
  for (auto _ : state) {
    if (scanner.scan(reply.data(), reply.size()) != ReplyScanner::Status::kComplete) {
      state.SkipWithError("reply did not scan");
      break;
    }
    benchmark::DoNotOptimize(scanner.length());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(reply.size()));
}

void BM_ParseRequestGet(benchmark::State& state) {
  run_parser(state, multibulk({"GET", "user:1000:name"}));
}

void BM_ParseRequestSet100(benchmark::State& state) {
  run_parser(state, multibulk({"SET", "user:1000:name", std::string(100, 'v')}));
}

void BM_ParseRequestMget10(benchmark::State& state) {
  std::vector<std::string> args = {"MGET"};
  for (int i = 0; i < 10; ++i) args.push_back("user:" + std::to_string(1000 + i) + ":name");
  run_parser(state, multibulk(args));
}

// Inline requests are rare (telnet, redis-cli --pipe); shown for comparison.
void BM_ParseRequestInlineGet(benchmark::State& state) {
  run_parser(state, "GET user:1000:name\r\n");
}

void BM_ScanReplyOk(benchmark::State& state) {
  run_scanner(state, "+OK\r\n");
}

void BM_ScanReplyBulk100(benchmark::State& state) {
  run_scanner(state, bulk(std::string(100, 'v')));
}

void BM_ScanReplyArray10Bulks(benchmark::State& state) {
  std::string reply = "*10\r\n";
  for (int i = 0; i < 10; ++i) reply += bulk("value-" + std::to_string(i));
  run_scanner(state, reply);
}

BENCHMARK(BM_ParseRequestGet);
BENCHMARK(BM_ParseRequestSet100);
BENCHMARK(BM_ParseRequestMget10);
BENCHMARK(BM_ParseRequestInlineGet);
BENCHMARK(BM_ScanReplyOk);
BENCHMARK(BM_ScanReplyBulk100);
BENCHMARK(BM_ScanReplyArray10Bulks);

}  // namespace
}  // namespace ringproxy
