// The loop-driven etcd client against a real etcd: unary calls, endpoint
// failover, timeouts, leases, authentication with token renewal, and TLS.
// etcdctl is the independent oracle for what etcd holds.
#include <gtest/gtest.h>

#include <cstdio>

#include "etcd_fixture.hpp"
#include "ringproxy/cluster/etcd_json.hpp"

namespace ringproxy::testing {
namespace {

std::string hex(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

class EtcdClientTest : public EtcdFixture {};

TEST_F(EtcdClientTest, PutRangeDelete) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  auto p1 = put("/t/backends/a", "127.0.0.1:7001:1");
  ASSERT_TRUE(p1.ok()) << p1.error->message;
  auto p2 = put("/t/backends/b", std::string("bin\0\xff", 5));
  ASSERT_TRUE(p2.ok());
  ASSERT_TRUE(put("/tx", "outside the prefix").ok());
  EXPECT_GT(p2.value.revision, p1.value.revision);

  auto r = get_prefix("/t/backends/");
  ASSERT_TRUE(r.ok()) << r.error->message;
  ASSERT_EQ(r.value.kvs.size(), 2u);
  EXPECT_EQ(r.value.kvs[0].key, "/t/backends/a");
  EXPECT_EQ(r.value.kvs[0].value, "127.0.0.1:7001:1");
  EXPECT_EQ(r.value.kvs[1].value, std::string("bin\0\xff", 5));
  EXPECT_EQ(r.value.kvs[1].mod_revision, p2.value.revision);
  EXPECT_GE(r.value.revision, p2.value.revision + 1);
  EXPECT_EQ(etcdctl_prefix("/t/backends/a")["/t/backends/a"], "127.0.0.1:7001:1");

  auto one = await<RangeResult>([&](auto cb) { client_->range("/t/backends/a", "", cb); });
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value.kvs.size(), 1u);

  auto d = await<DeleteResult>(
      [&](auto cb) { client_->delete_range("/t/", prefix_range_end("/t/"), cb); });
  ASSERT_TRUE(d.ok()) << d.error->message;
  EXPECT_EQ(d.value.deleted, 2);
  EXPECT_TRUE(get_prefix("/t/").value.kvs.empty());
  EXPECT_EQ(etcdctl_prefix("/t").size(), 1u);  // only /tx is left

  const EtcdClientState& s = client_->state();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.endpoint, etcd_->url());
  EXPECT_GE(s.last_revision, d.value.revision);
  EXPECT_EQ(s.retries, 0u);
  EXPECT_GT(s.last_contact_ms, 0u);
}

TEST_F(EtcdClientTest, FailsOverToAnEndpointThatAnswersAndReportsWhenNoneDoes) {
  etcd_ = std::make_unique<EtcdServer>();
  EtcdOptions o = options();
  std::string dead = "http://127.0.0.1:" + std::to_string(free_port());  // nothing listens
  o.endpoints = {dead, etcd_->url()};
  make_client(o);
  EXPECT_EQ(client_->state().endpoint, dead);
  auto p = put("/f/k", "v");
  ASSERT_TRUE(p.ok()) << p.error->message;
  EXPECT_EQ(client_->state().endpoint, etcd_->url());
  EXPECT_TRUE(client_->state().connected);
  EXPECT_GE(client_->state().retries, 1u);
  EXPECT_FALSE(client_->state().last_error.empty());

  etcd_->kill9();
  auto lost = put("/f/k", "v2");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error->kind, EtcdError::Kind::kUnavailable);
  EXPECT_NE(lost.error->message.find("no etcd endpoint answered"), std::string::npos)
      << lost.error->message;
  EXPECT_FALSE(client_->state().connected);
  auto fields = client_->info_fields();
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[0], (std::pair<std::string, std::string>("etcd_connected", "0")));
  EXPECT_EQ(fields[4].first, "etcd_last_error");
  EXPECT_FALSE(fields[4].second.empty());
  EXPECT_NE(fields[5].second, "-1");

  etcd_->start();
  auto back = put("/f/k", "v3");
  ASSERT_TRUE(back.ok()) << back.error->message;
  EXPECT_TRUE(client_->state().connected);
}

TEST_F(EtcdClientTest, UnaryCallsTimeOut) {
  etcd_ = std::make_unique<EtcdServer>();
  EtcdOptions o = options();
  o.request_timeout_ms = 300;
  make_client(o);
  ASSERT_TRUE(put("/to/k", "v").ok());
  etcd_->sigstop();  // accepts connections, answers nothing
  auto r = put("/to/k", "v2");
  etcd_->sigcont();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, EtcdError::Kind::kUnavailable);
  EXPECT_NE(r.error->message.find("timed out"), std::string::npos) << r.error->message;
  auto again = put("/to/k", "v3");
  EXPECT_TRUE(again.ok()) << again.error->message;
}

TEST_F(EtcdClientTest, LeasesGrantKeepAliveRevoke) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  auto g = await<LeaseGrantResult>([&](auto cb) { client_->lease_grant(5, cb); });
  ASSERT_TRUE(g.ok()) << g.error->message;
  EXPECT_NE(g.value.id, 0);
  EXPECT_EQ(g.value.ttl, 5);
  ASSERT_TRUE(put("/l/k", "v", g.value.id).ok());
  auto r = get_prefix("/l/");
  ASSERT_EQ(r.value.kvs.size(), 1u);
  EXPECT_EQ(r.value.kvs[0].lease, g.value.id);
  EXPECT_NE(etcd_->etcdctl_ok({"lease", "list"}).find(hex(g.value.id)), std::string::npos);

  auto k = await<LeaseKeepAliveResult>([&](auto cb) { client_->lease_keepalive(g.value.id, cb); });
  ASSERT_TRUE(k.ok()) << k.error->message;
  EXPECT_GT(k.value.ttl, 0);

  auto v = await<LeaseRevokeResult>([&](auto cb) { client_->lease_revoke(g.value.id, cb); });
  ASSERT_TRUE(v.ok()) << v.error->message;
  EXPECT_TRUE(get_prefix("/l/").value.kvs.empty());  // the key went with its lease
  auto gone =
      await<LeaseKeepAliveResult>([&](auto cb) { client_->lease_keepalive(g.value.id, cb); });
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone.value.ttl, 0);
  auto twice = await<LeaseRevokeResult>([&](auto cb) { client_->lease_revoke(g.value.id, cb); });
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error->code, etcd_json::kCodeNotFound);
}

TEST_F(EtcdClientTest, LeasedKeyIsRenewedThenExpiresWhenItsHolderStops) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  std::vector<std::string> states;
  leased_ = std::make_unique<LeasedKey>(
      *client_, "/lk/a", "127.0.0.1:7001:1", 2, [&](bool held, std::string_view why) {
        states.push_back((held ? "held " : "lost ") + std::string(why));
      });
  leased_->hold();
  ASSERT_TRUE(run_until([&] { return leased_->held(); }));
  int64_t lease = leased_->lease_id();
  // Renewed every ttl/3: past several TTLs the key is still there, same lease.
  ASSERT_TRUE(run_until([&] { return leased_->renewals() >= 7; }));
  auto r = get_prefix("/lk/");
  ASSERT_EQ(r.value.kvs.size(), 1u);
  EXPECT_EQ(r.value.kvs[0].lease, lease);
  EXPECT_EQ(states, std::vector<std::string>{"held registered"});

  // The holder goes away without revoking: etcd removes the key at expiry.
  leased_.reset();
  EXPECT_EQ(etcdctl_prefix("/lk/").size(), 1u) << "the key must outlive its holder until expiry";
  EXPECT_TRUE(wait_until([&] { return etcdctl_prefix("/lk/").empty(); }, Duration(15000)));
}

TEST_F(EtcdClientTest, LeasedKeyComesBackAfterItsLeaseWasRevokedElsewhereAndGoesOnRelease) {
  etcd_ = std::make_unique<EtcdServer>();
  make_client(options());
  int lost = 0;
  leased_ = std::make_unique<LeasedKey>(*client_, "/lk/b", "127.0.0.1:7002:1", 2,
                                        [&](bool held, std::string_view) { lost += held ? 0 : 1; });
  leased_->hold();
  ASSERT_TRUE(run_until([&] { return leased_->held(); }));
  int64_t first = leased_->lease_id();
  etcd_->etcdctl_ok({"lease", "revoke", hex(first)});
  EXPECT_TRUE(etcdctl_prefix("/lk/").empty());
  // The next renewal hears TTL 0 and puts the key again under a new lease.
  ASSERT_TRUE(run_until([&] { return leased_->held() && leased_->lease_id() != first; }));
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(etcdctl_prefix("/lk/")["/lk/b"], "127.0.0.1:7002:1");

  bool released = false;
  leased_->release([&] { released = true; });
  ASSERT_TRUE(run_until([&] { return released; }));
  EXPECT_TRUE(etcdctl_prefix("/lk/").empty());  // revoked: gone at once
}

void enable_auth(EtcdServer& etcd) {
  etcd.etcdctl_ok({"user", "add", "root:rootpw", "--interactive=false"});
  etcd.etcdctl_ok({"user", "add", "agent:agentpw", "--interactive=false"});
  etcd.etcdctl_ok({"role", "add", "ringproxy"});
  etcd.etcdctl_ok({"role", "grant-permission", "--prefix=true", "ringproxy", "readwrite", "/a/"});
  etcd.etcdctl_ok({"user", "grant-role", "agent", "ringproxy"});
  etcd.etcdctl_ok({"user", "grant-role", "root", "root"});
  etcd.etcdctl_ok({"auth", "enable"});
  etcd.use_etcdctl_user("root:rootpw");
}

TEST_F(EtcdClientTest, AuthenticatesAndRenewsARefusedToken) {
  etcd_ = std::make_unique<EtcdServer>();
  enable_auth(*etcd_);
  EtcdOptions o = options();
  o.user = "agent";
  o.password = "agentpw";
  make_client(o);
  auto p = put("/a/k", "v1");
  ASSERT_TRUE(p.ok()) << p.error->message;
  EXPECT_EQ(etcdctl_prefix("/a/")["/a/k"], "v1");
  auto denied = put("/elsewhere", "v");  // outside the role's prefix
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error->kind, EtcdError::Kind::kRejected);
  EXPECT_NE(denied.error->message.find("permission denied"), std::string::npos)
      << denied.error->message;

  // A restarted etcd has forgotten every simple token: the next call is
  // refused ("invalid auth token"), authenticates again and succeeds.
  etcd_->start();
  auto after = put("/a/k", "v2");
  ASSERT_TRUE(after.ok()) << after.error->message;
  EXPECT_EQ(etcdctl_prefix("/a/")["/a/k"], "v2");
}

TEST_F(EtcdClientTest, WrongPasswordOrNoUserIsAnAuthError) {
  etcd_ = std::make_unique<EtcdServer>();
  enable_auth(*etcd_);
  EtcdOptions o = options();
  o.user = "agent";
  o.password = "wrong";
  make_client(o);
  auto r = put("/a/k", "v");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, EtcdError::Kind::kAuth);
  EXPECT_NE(r.error->message.find("authentication as 'agent' failed"), std::string::npos)
      << r.error->message;

  make_client(options());  // no user at all
  auto anon = put("/a/k", "v");
  ASSERT_FALSE(anon.ok());
  EXPECT_NE(anon.error->message.find("user name is empty"), std::string::npos)
      << anon.error->message;
}

TEST_F(EtcdClientTest, TlsWithClientCertificates) {
  TempDir certs("ringproxy-certs");
  EtcdTlsFiles tls = make_test_certificates(certs.path());
  etcd_ = std::make_unique<EtcdServer>(EtcdServerOptions{{}, &tls});
  EtcdOptions o = options();
  ASSERT_EQ(o.endpoints[0].rfind("https://", 0), 0u);
  o.tls = EtcdTlsOptions{tls.ca_cert.string(), tls.client_cert.string(), tls.client_key.string()};
  make_client(o);
  ASSERT_TRUE(put("/tls/k", "v").ok());
  EventLog events;
  watch_ = client_->watch("/tls/", prefix_range_end("/tls/"),
                          get_prefix("/tls/").value.revision + 1, events.handler());
  ASSERT_TRUE(run_until([&] { return watch_->up(); }));
  etcd_->etcdctl_ok({"put", "/tls/k", "w"});
  ASSERT_TRUE(run_until([&] { return !events.lines.empty(); }));
  EXPECT_EQ(events.lines, std::vector<std::string>{"PUT /tls/k=w"});
  watch_.reset();

  EtcdOptions no_cert = o;
  no_cert.tls.cert_file.clear();
  no_cert.tls.key_file.clear();
  make_client(no_cert);
  auto refused = put("/tls/k", "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->kind, EtcdError::Kind::kUnavailable);

  EtcdOptions no_ca = o;
  no_ca.tls.ca_file.clear();  // the system CAs do not know the test CA
  make_client(no_ca);
  auto untrusted = put("/tls/k", "x");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.error->message.find("certificate"), std::string::npos)
      << untrusted.error->message;
}

TEST_F(EtcdClientTest, BadOptionsAreRefused) {
  EtcdOptions o;
  EXPECT_THROW(EtcdClient(&loop_, o), std::invalid_argument);
  o.endpoints = {"ftp://127.0.0.1:1"};
  EXPECT_THROW(EtcdClient(&loop_, o), std::invalid_argument);
  o.endpoints = {"127.0.0.1:2379"};
  o.request_timeout_ms = 0;
  EXPECT_THROW(EtcdClient(&loop_, o), std::invalid_argument);
  EXPECT_EQ(parse_etcd_endpoints(" a:1 , https://b:2/ "),
            (std::vector<std::string>{"http://a:1", "https://b:2"}));
  EXPECT_THROW(parse_etcd_endpoints("a:1,,b:2"), std::invalid_argument);
  EXPECT_THROW(parse_etcd_endpoints("http://"), std::invalid_argument);
  EXPECT_THROW(parse_etcd_endpoints("http://a:1/v3"), std::invalid_argument);
}

}  // namespace
}  // namespace ringproxy::testing
