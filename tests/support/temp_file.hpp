// A file with the given text in the temp directory, removed when the object
// goes away: config and YAML inputs for the parsers' tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ringproxy {

class TempFile {
 public:
  // `suffix` is the file name's ending (".conf", ".yml"): some loaders choose
  // the format by it.
  TempFile(const std::string& text, std::string_view suffix) {
    path_ = std::filesystem::temp_directory_path() /
            ("ringproxy-unit-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) +
             std::string(suffix));
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace ringproxy
