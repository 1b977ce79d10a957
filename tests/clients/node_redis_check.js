#!/usr/bin/env node
// node-redis ("redis" 4.x on npm), used unchanged, against ringproxy.
//
// Usage: node node_redis_check.js PORT
//
// Run by tests/integration/clients_test.cpp against a proxy over 3 backends
// with --hash-tag {}. Prints "ok <check>" per passing check, then
// "node-redis: all checks passed"; on the first mismatch prints
// "FAIL <check>: ..." to stderr and exits 1. No reconnects, and a watchdog
// ends the process if anything hangs (node-redis 4 commands have no timeout).
"use strict";

const assert = require("node:assert/strict");
const { createClient } = require("redis");

const port = Number(process.argv[2]);
if (!port) {
  console.error("usage: node node_redis_check.js PORT");
  process.exit(2);
}
const version = require("redis/package.json").version;
const clientVersion = require("@redis/client/package.json").version;

const watchdog = setTimeout(() => {
  console.error(`FAIL ${current}: node-redis still running after 60 s (hung?)`);
  process.exit(3);
}, 60000);
watchdog.unref();

let current = "setup";
async function check(name, fn) {
  current = name;
  await fn();
  console.log(`ok ${name}`);
}

async function main() {
  console.log(`node-redis ${version} (@redis/client ${clientVersion})`);
  const errors = [];
  const client = createClient({
    socket: { host: "127.0.0.1", port, connectTimeout: 5000, reconnectStrategy: false },
  });
  client.on("error", (e) => errors.push(e.message));
  let reconnects = 0;
  client.on("reconnecting", () => reconnects++);

  await check("connect", async () => {
    // Sends CLIENT SETINFO LIB-NAME / LIB-VER first; a closed connection
    // would make connect() never resolve (and the watchdog fire).
    await client.connect();
    assert.equal(client.isReady, true);
    assert.equal(await client.ping(), "PONG");
    assert.equal(reconnects, 0, "reconnected during connect");
  });

  await check("get-set", async () => {
    assert.equal(await client.set("nr:k", "v1"), "OK");
    assert.equal(await client.get("nr:k"), "v1");
    assert.equal(await client.get("nr:missing"), null);
    await client.del("nr:n");
    assert.equal(await client.incr("nr:n"), 1);
    assert.deepEqual(await client.mGet(["nr:k", "nr:n", "nr:missing"]), ["v1", "1", null]);
  });

  await check("multi", async () => {
    await client.del("{nr:acct}:balance");
    const res = await client
      .multi()
      .set("{nr:acct}:owner", "bob")
      .incrBy("{nr:acct}:balance", 10)
      .decrBy("{nr:acct}:balance", 3)
      .get("{nr:acct}:owner")
      .exec();
    assert.deepEqual(res, ["OK", 10, 7, "bob"]);
  });

  await check("pipeline", async () => {
    // execAsPipeline(): plain pipelined commands, keys on every shard.
    const n = 200;
    let m = client.multi();
    for (let i = 0; i < n; i++) m = m.set(`nr:pipe:${i}`, String(i));
    for (let i = 0; i < n; i++) m = m.get(`nr:pipe:${i}`);
    const res = await m.execAsPipeline();
    assert.equal(res.length, 2 * n);
    for (let i = 0; i < n; i++) assert.equal(res[i], "OK");
    for (let i = 0; i < n; i++) assert.equal(res[n + i], String(i));
  });

  await check("quit", async () => {
    assert.equal(await client.quit(), "OK");
    assert.equal(client.isOpen, false);
  });

  assert.deepEqual(errors, [], "error events");
  console.log("node-redis: all checks passed");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAIL ${current}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
