// Runs a hiredis async context on a libuv loop, for the health probes.
//
// Not hiredis's own libuv adapter: in hiredis 0.14 (Debian 12) it ignores
// poll errors, and libuv reports POLLERR (a refused connect, a reset) as
// status UV_EBADF with the watcher stopped, so a refused probe would hang
// until its deadline and be logged as "probe timed out". This one hands such
// errors to hiredis, which then reads the socket error at once. It also drops
// a connection on which bytes arrive with no reply expected: hiredis aborts
// the process on a reply nobody asked for (outside pub/sub).
#pragma once

#include <uv.h>

struct redisAsyncContext;

namespace ringproxy {

// Attaches `ac` (fresh from redisAsyncConnect) to `loop`; the glue is freed
// with the context. False when it cannot be (already attached, poll init
// failed): the caller frees the context.
bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace ringproxy
