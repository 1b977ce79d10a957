// Request bodies and answers of etcd 3.4's JSON gateway. The answer texts are
// what etcd 3.4.23 sent to curl.
#include "ringproxy/cluster/etcd_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ringproxy/cluster/base64.hpp"

namespace ringproxy {
namespace {

using json = nlohmann::json;
using Kind = etcd_json::WatchMessage::Kind;

constexpr const char* kHeader =
    R"("header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"4","raft_term":"2"})";

std::string with_header(const std::string& rest) {
  return std::string("{") + kHeader + (rest.empty() ? "" : "," + rest) + "}";
}

TEST(EtcdJson, PrefixRangeEnd) {
  EXPECT_EQ(prefix_range_end("/ringproxy/p/backends/"), "/ringproxy/p/backends0");
  EXPECT_EQ(prefix_range_end("foo"), "fop");
  EXPECT_EQ(prefix_range_end("a\xff"), "b");
  EXPECT_EQ(prefix_range_end("a\xff\xff"), "b");
  EXPECT_EQ(prefix_range_end("\xff\xff"), std::string(1, '\0'));
  EXPECT_EQ(prefix_range_end(""), std::string(1, '\0'));
}

TEST(EtcdJson, RequestBodies) {
  json range = json::parse(etcd_json::range_request("foo", "fop"));
  EXPECT_EQ(range, json({{"key", "Zm9v"}, {"range_end", "Zm9w"}}));
  EXPECT_EQ(json::parse(etcd_json::range_request("foo", "")), json({{"key", "Zm9v"}}));
  EXPECT_EQ(json::parse(etcd_json::put_request("foo", "bar", 0)),
            json({{"key", "Zm9v"}, {"value", "YmFy"}}));
  // int64 as decimal strings: lease IDs use all 63 bits, beyond a double.
  EXPECT_EQ(json::parse(etcd_json::put_request("k", "", 7587869230871452929)),
            json({{"key", "aw=="}, {"value", ""}, {"lease", "7587869230871452929"}}));
  EXPECT_EQ(json::parse(etcd_json::lease_grant_request(10)), json({{"TTL", "10"}}));
  EXPECT_EQ(json::parse(etcd_json::lease_id_request(42)), json({{"ID", "42"}}));
  EXPECT_EQ(json::parse(etcd_json::authenticate_request("root", "p\"w")),
            json({{"name", "root"}, {"password", "p\"w"}}));
  EXPECT_EQ(json::parse(etcd_json::watch_create_request("/p/", "/p0", 17, true)),
            json({{"create_request",
                   {{"key", "L3Av"},
                    {"range_end", "L3Aw"},
                    {"start_revision", "17"},
                    {"progress_notify", true}}}}));
  // Binary keys survive.
  json bin = json::parse(etcd_json::range_request(std::string("\0\xff", 2), ""));
  EXPECT_EQ(base64_decode(bin["key"].get<std::string>()), std::string("\0\xff", 2));
}

TEST(EtcdJson, DecodesARange) {
  auto r = etcd_json::decode_range(with_header(
      R"("kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"3","version":"2","value":"YmFy","lease":"99"},{"key":"Zm9vMQ==","create_revision":"3","mod_revision":"3","version":"1"}],"count":"2")"));
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.value.revision, 4);
  ASSERT_EQ(r.value.kvs.size(), 2u);
  EXPECT_EQ(r.value.kvs[0].key, "foo");
  EXPECT_EQ(r.value.kvs[0].value, "bar");
  EXPECT_EQ(r.value.kvs[0].create_revision, 2);
  EXPECT_EQ(r.value.kvs[0].mod_revision, 3);
  EXPECT_EQ(r.value.kvs[0].version, 2);
  EXPECT_EQ(r.value.kvs[0].lease, 99);
  EXPECT_EQ(r.value.kvs[1].key, "foo1");
  EXPECT_EQ(r.value.kvs[1].value, "");  // empty values are left out
  // No keys: no "kvs" at all.
  auto empty = etcd_json::decode_range(with_header(""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value.kvs.empty());
  EXPECT_EQ(empty.value.revision, 4);
}

TEST(EtcdJson, DecodesTheOtherAnswers) {
  auto put = etcd_json::decode_put(with_header(""));
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put.value.revision, 4);
  auto del = etcd_json::decode_delete(with_header(R"("deleted":"3")"));
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del.value.deleted, 3);
  auto grant =
      etcd_json::decode_lease_grant(with_header(R"("ID":"2324035862135099913","TTL":"5")"));
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant.value.id, 2324035862135099913);
  EXPECT_EQ(grant.value.ttl, 5);
  auto alive = etcd_json::decode_lease_keepalive(std::string(R"({"result":{)") + kHeader +
                                                 R"(,"ID":"7","TTL":"9"}})");
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive.value.ttl, 9);
  // A lease that is gone: the keepalive answer has no TTL.
  auto gone =
      etcd_json::decode_lease_keepalive(std::string(R"({"result":{)") + kHeader + R"(,"ID":"1"}})");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone.value.ttl, 0);
  auto auth = etcd_json::decode_authenticate(with_header(R"("token":"dDOozpRVfwvukAfN.18")"));
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth.value.token, "dDOozpRVfwvukAfN.18");
  EXPECT_FALSE(etcd_json::decode_authenticate(with_header("")).ok());
  EXPECT_FALSE(etcd_json::decode_lease_grant(with_header(R"("TTL":"5")")).ok());
}

TEST(EtcdJson, ErrorDocuments) {
  auto e = etcd_json::decode_range(
      R"({"error":"etcdserver: invalid auth token","message":"etcdserver: invalid auth token","code":16})");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error->kind, EtcdError::Kind::kRejected);
  EXPECT_EQ(e.error->code, 16);
  EXPECT_EQ(e.error->message, "etcdserver: invalid auth token");
  EXPECT_TRUE(etcd_json::is_invalid_token(e.error->code, e.error->message));
  EXPECT_FALSE(etcd_json::is_invalid_token(3, "etcdserver: user name is empty"));

  auto revoke = etcd_json::decode_lease_revoke(
      R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})");
  ASSERT_FALSE(revoke.ok());
  EXPECT_EQ(revoke.error->code, etcd_json::kCodeNotFound);
  // The grpc-gateway's stream error shape, and its v2 shape without "error".
  auto stream = etcd_json::decode_lease_keepalive(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})");
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.error->code, 14);
  EXPECT_EQ(stream.error->message, "etcdserver: no leader");
  auto v2 = etcd_json::decode_put(R"({"code":14,"message":"unavailable"})");
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error->code, 14);
}

TEST(EtcdJson, MalformedAnswersAreBadResponsesNotCrashes) {
  for (const std::string& body :
       {std::string(""), std::string("404 page not found"), std::string("[1,2]"), std::string("{"),
        with_header(R"("kvs":"nope")"), with_header(R"("kvs":[{"key":"not base64!"}])"),
        with_header(R"("kvs":[{"key":"Zm9v","mod_revision":"12x"}])"),
        with_header(R"("kvs":[{"key":"Zm9v","mod_revision":true}])"), with_header(R"("kvs":[7])"),
        std::string(R"({"header":{"revision":[]}})")}) {
    auto r = etcd_json::decode_range(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error->kind, EtcdError::Kind::kBadResponse) << body;
  }
  // Plain JSON numbers are accepted for int64 fields too.
  auto n = etcd_json::decode_range(
      R"({"header":{"revision":12},"kvs":[{"key":"YQ==","mod_revision":11}]})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value.revision, 12);
  EXPECT_EQ(n.value.kvs[0].mod_revision, 11);
  EXPECT_FALSE(etcd_json::decode_lease_keepalive(with_header("")).ok());  // not wrapped
}

TEST(EtcdJson, WatchMessages) {
  auto created = etcd_json::decode_watch_message(std::string(R"({"result":{)") + kHeader +
                                                 R"(,"created":true}})");
  EXPECT_EQ(created.kind, Kind::kCreated);
  EXPECT_EQ(created.header_revision, 4);

  auto events = etcd_json::decode_watch_message(
      R"({"result":{"header":{"revision":"5"},"events":[{"kv":{"key":"Zm9vMQ==","create_revision":"3","mod_revision":"3","version":"1","value":"YmFy"}},{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"4"}}]}})");
  ASSERT_EQ(events.kind, Kind::kEvents) << events.reason;
  ASSERT_EQ(events.events.size(), 2u);
  EXPECT_EQ(events.events[0].type, WatchEvent::Type::kPut);  // PUT is the default, left out
  EXPECT_EQ(events.events[0].kv.key, "foo1");
  EXPECT_EQ(events.events[0].kv.value, "bar");
  EXPECT_EQ(events.events[0].kv.mod_revision, 3);
  EXPECT_EQ(events.events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events.events[1].kv.key, "foo");
  EXPECT_EQ(events.events[1].kv.mod_revision, 4);

  auto progress = etcd_json::decode_watch_message(R"({"result":{"header":{"revision":"9"}}})");
  EXPECT_EQ(progress.kind, Kind::kProgress);
  EXPECT_EQ(progress.header_revision, 9);

  auto compacted = etcd_json::decode_watch_message(
      R"({"result":{"header":{"cluster_id":"3","raft_term":"2"},"canceled":true,"compact_revision":"4"}})");
  EXPECT_EQ(compacted.kind, Kind::kCanceled);
  EXPECT_EQ(compacted.compact_revision, 4);

  auto auth = etcd_json::decode_watch_message(
      R"({"result":{"header":{"revision":"4"},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"rpc error: code = Unauthenticated desc = etcdserver: invalid auth token"}})");
  EXPECT_EQ(auth.kind, Kind::kCanceled);
  EXPECT_EQ(auth.compact_revision, 0);
  EXPECT_NE(auth.reason.find("invalid auth token"), std::string::npos);

  auto error = etcd_json::decode_watch_message(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing","http_status":"Service Unavailable"}})");
  EXPECT_EQ(error.kind, Kind::kError);
  EXPECT_EQ(error.code, 14);
  EXPECT_EQ(error.reason, "transport is closing");

  for (const char* bad :
       {"", "nope", "[]", R"({"result":7})", R"({"other":{}})",
        R"({"result":{"events":[{"type":"PUT"}]}})",
        R"({"result":{"events":[{"type":"MOVE","kv":{"key":"YQ=="}}]}})",
        R"({"result":{"events":{"kv":1}}})", R"({"result":{"events":[{"kv":{"key":"%%%%"}}]}})"}) {
    auto m = etcd_json::decode_watch_message(bad);
    EXPECT_EQ(m.kind, Kind::kError) << bad;
    EXPECT_FALSE(m.reason.empty()) << bad;
    EXPECT_TRUE(m.events.empty()) << bad;
  }
}

}  // namespace
}  // namespace ringproxy
