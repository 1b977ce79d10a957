#!/usr/bin/env node
// ioredis, used unchanged, against ringproxy.
//
// Usage: node ioredis_check.js MODULE PORT
//   MODULE is "ioredis" (5.x) or "ioredis6" (npm alias of ioredis@6.0.0).
//
// Run by tests/integration/clients_test.cpp against a proxy over 3 backends
// with --hash-tag {}. Prints "ok <check>" per passing check, then
// "<module>: all checks passed"; on the first mismatch prints
// "FAIL <check>: ..." to stderr and exits 1. No reconnects, every command has
// a timeout, and a watchdog ends the process if anything still hangs.
"use strict";

const assert = require("node:assert/strict");

const [moduleName, portArg] = process.argv.slice(2);
if (!moduleName || !portArg) {
  console.error("usage: node ioredis_check.js ioredis|ioredis6 PORT");
  process.exit(2);
}
const port = Number(portArg);
const Redis = require(moduleName);
const version = require(`${moduleName}/package.json`).version;
const major = Number(version.split(".")[0]);

const watchdog = setTimeout(() => {
  console.error(`FAIL ${moduleName}: still running after 60 s (hung?)`);
  process.exit(3);
}, 60000);
watchdog.unref();

let current = "setup";
async function check(name, fn) {
  current = name;
  await fn();
  console.log(`ok ${name}`);
}

// Records what the client sends during its handshake, and what it gets back,
// by wrapping its own command methods (the client still sends them itself).
function spy(redis) {
  const seen = { hello: [], setinfo: [], readyInfo: null };
  const record = (list, args, promise) => {
    const entry = { args, reply: undefined, error: undefined };
    list.push(entry);
    promise.then(
      (v) => (entry.reply = v),
      (e) => (entry.error = e.message),
    );
    return promise;
  };
  const origHello = redis.hello;
  redis.hello = function (...args) {
    return record(seen.hello, args, origHello.apply(this, args));
  };
  const origClient = redis.client;
  redis.client = function (...args) {
    const p = origClient.apply(this, args);
    if (String(args[0]).toUpperCase() === "SETINFO") record(seen.setinfo, args, p);
    return p;
  };
  const origReadyCheck = redis._readyCheck;
  redis._readyCheck = function (callback) {
    return origReadyCheck.call(this, (err, info) => {
      seen.readyInfo = err ? `error: ${err.message}` : info;
      callback(err, info);
    });
  };
  return seen;
}

async function main() {
  console.log(`${moduleName} ${version}`);
  const errors = [];
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 5000,
    commandTimeout: 10000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // a dropped connection fails the run, not a silent reconnect
  });
  redis.on("error", (e) => errors.push(e.message));
  let closes = 0;
  redis.on("close", () => closes++);
  const seen = spy(redis);

  await check("connect", async () => {
    await redis.connect(); // resolves on "ready": handshake and INFO ready check passed
    assert.equal(redis.status, "ready");
    assert.equal(closes, 0, "connection closed during the handshake");
    // CLIENT SETINFO LIB-NAME / LIB-VER: sent on connect, answered +OK.
    const names = seen.setinfo.map((e) => String(e.args[1]).toUpperCase()).sort();
    assert.ok(names.includes("LIB-NAME") && names.includes("LIB-VER"),
      `CLIENT SETINFO not sent: ${JSON.stringify(seen.setinfo)}`);
    for (const e of seen.setinfo) {
      assert.equal(e.reply, "OK", `CLIENT SETINFO ${e.args[1]}: ${e.error}`);
    }
    // The ready check's INFO reply, as parsed by ioredis.
    assert.equal(typeof seen.readyInfo, "object", `ready check: ${seen.readyInfo}`);
    assert.equal(seen.readyInfo.loading, "0");
    assert.ok(seen.readyInfo.redis_version, "INFO has no redis_version");
  });

  if (major >= 6) {
    await check("hello3-fallback", async () => {
      // ioredis 6 defaults to protocol 3: HELLO 3 first, then, on NOPROTO (or
      // "unknown command 'hello'"), the whole handshake again in RESP2.
      assert.equal(redis.options.protocol, 3, "ioredis 6 no longer defaults to RESP3?");
      assert.ok(seen.hello.length >= 1, "HELLO was not sent");
      assert.deepEqual(seen.hello[0].args[0], [3]);
      assert.match(seen.hello[0].error ?? "", /NOPROTO/i,
        `HELLO 3 reply: ${JSON.stringify(seen.hello[0])}`);
      assert.equal(redis.condition.protocol, 2, "did not downgrade to RESP2");
      console.log(`hello-3-reply ${seen.hello[0].error}`);
    });
  }

  await check("get-set", async () => {
    await redis.del("io:n", "{io:cart}:items"); // so that a rerun on the same backends passes
    assert.equal(await redis.set("io:k", "v1"), "OK");
    assert.equal(await redis.get("io:k"), "v1");
    assert.equal(await redis.get("io:missing"), null);
    assert.equal(await redis.incr("io:n"), 1);
    assert.equal(await redis.ping(), "PONG");
  });

  await check("pipeline", async () => {
    const n = 300;
    const p = redis.pipeline();
    for (let i = 0; i < n; i++) p.set(`io:pipe:${i}`, String(i));
    for (let i = 0; i < n; i++) p.get(`io:pipe:${i}`);
    p.mget("io:pipe:1", "io:pipe:2", "io:pipe:absent");
    const res = await p.exec();
    assert.equal(res.length, 2 * n + 1);
    for (let i = 0; i < 2 * n + 1; i++) assert.equal(res[i][0], null, `pipeline[${i}]: ${res[i][0]}`);
    for (let i = 0; i < n; i++) assert.equal(res[i][1], "OK");
    for (let i = 0; i < n; i++) assert.equal(res[n + i][1], String(i));
    assert.deepEqual(res[2 * n][1], ["1", "2", null]);
  });

  await check("multi", async () => {
    const res = await redis
      .multi()
      .set("{io:cart}:owner", "ann")
      .incr("{io:cart}:items")
      .incrby("{io:cart}:items", 4)
      .get("{io:cart}:owner")
      .exec();
    assert.deepEqual(res, [[null, "OK"], [null, 1], [null, 5], [null, "ann"]]);
  });

  await check("quit", async () => {
    const ended = new Promise((resolve) => redis.once("end", resolve));
    assert.equal(await redis.quit(), "OK");
    await ended;
    assert.equal(redis.status, "end");
  });

  assert.deepEqual(errors, [], "error events");
  console.log(`${moduleName}: all checks passed`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAIL ${current}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
