// See line_splitter.hpp. Whole lines inside one chunk are handed out straight
// from the chunk; only a line cut by a chunk boundary is copied.
#include "ringproxy/cluster/line_splitter.hpp"

namespace ringproxy {
namespace {

bool deliver(std::string_view line, const std::function<bool(std::string_view)>& on_line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
  return on_line(line);
}

}  // namespace

bool LineSplitter::feed(std::string_view bytes,
                        const std::function<bool(std::string_view)>& on_line) {
  if (too_long_) return false;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + bytes.size() > max_line_) {
        too_long_ = true;
        return false;
      }
      partial_.append(bytes);
      return true;
    }
    std::string_view piece = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    if (partial_.size() + piece.size() > max_line_) {
      too_long_ = true;
      return false;
    }
    bool go_on;
    if (partial_.empty()) {
      go_on = deliver(piece, on_line);
    } else {
      partial_.append(piece);
      std::string line = std::move(partial_);
      partial_.clear();
      go_on = deliver(line, on_line);
    }
    if (!go_on) return false;
  }
  return true;
}

}  // namespace ringproxy
