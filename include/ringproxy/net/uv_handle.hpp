// Closing a heap-allocated libuv handle: the memory must outlive uv_close, so
// ownership passes to the close callback, which frees it.
#pragma once

#include <uv.h>

#include <memory>

namespace ringproxy {

template <typename T>
void close_handle(std::unique_ptr<T>& h) {
  if (!h) return;
  uv_close(reinterpret_cast<uv_handle_t*>(h.release()),
           [](uv_handle_t* x) { std::unique_ptr<T> own(reinterpret_cast<T*>(x)); });
}

}  // namespace ringproxy
