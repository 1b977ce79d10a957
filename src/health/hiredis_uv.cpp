// The hiredis <-> libuv glue of the health probes; see hiredis_uv.hpp.
#include "ringproxy/health/hiredis_uv.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/socket.h>

namespace ringproxy {

namespace {

// The poll handle of one context; hiredis calls these through ac->ev.
struct UvEvents {
  uv_poll_t handle;
  redisAsyncContext* context = nullptr;
  int events = 0;

  static void on_poll(uv_poll_t* handle, int status, int events) {
    auto* e = static_cast<UvEvents*>(handle->data);
    if (status < 0) {
      // POLLERR: libuv stopped the watcher. Let hiredis find the socket error
      // through whatever it was waiting for (connect completion, a read).
      events = e->events != 0 ? e->events : UV_READABLE;
    }
    if (e->context != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(e->context);
    if (e->context != nullptr && (events & UV_READABLE)) {
      if (unsolicited_data(e->context)) {
        // hiredis aborts the process on a reply nobody asked for (outside
        // pub/sub), and a backend out of step with its probes is not one to
        // trust anyway: drop the connection, the next probe opens a new one.
        redisAsyncDisconnect(e->context);
        return;
      }
      redisAsyncHandleRead(e->context);
    }
  }
  // Bytes waiting on a connected context with no reply expected.
  static bool unsolicited_data(redisAsyncContext* ac) {
    if (!(ac->c.flags & REDIS_CONNECTED) || ac->replies.head != nullptr) return false;
    char byte;
    return recv(ac->c.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
  void update(int add, int remove) {
    events = (events | add) & ~remove;
    if (events != 0) {
      uv_poll_start(&handle, events, &UvEvents::on_poll);
    } else {
      uv_poll_stop(&handle);
    }
  }
  static void add_read(void* p) { static_cast<UvEvents*>(p)->update(UV_READABLE, 0); }
  static void del_read(void* p) { static_cast<UvEvents*>(p)->update(0, UV_READABLE); }
  static void add_write(void* p) { static_cast<UvEvents*>(p)->update(UV_WRITABLE, 0); }
  static void del_write(void* p) { static_cast<UvEvents*>(p)->update(0, UV_WRITABLE); }
  static void cleanup(void* p) {
    auto* e = static_cast<UvEvents*>(p);
    e->context = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&e->handle),
             [](uv_handle_t* h) { delete static_cast<UvEvents*>(h->data); });
  }

  static bool attach(redisAsyncContext* ac, uv_loop_t* loop) {
    if (ac->ev.data != nullptr) return false;
    auto* e = new UvEvents;
    if (uv_poll_init(loop, &e->handle, ac->c.fd) != 0) {
      delete e;
      return false;
    }
    e->handle.data = e;
    e->context = ac;
    ac->ev.addRead = &UvEvents::add_read;
    ac->ev.delRead = &UvEvents::del_read;
    ac->ev.addWrite = &UvEvents::add_write;
    ac->ev.delWrite = &UvEvents::del_write;
    ac->ev.cleanup = &UvEvents::cleanup;
    ac->ev.data = e;
    return true;
  }
};

}  // namespace

bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop) {
  return UvEvents::attach(ac, loop);
}

}  // namespace ringproxy
