// The config file's syntax: `name = value` lines. Parsed here rather than by
// Boost.Program_options so that every error names the file and the line.
// Which names exist and what values they take is the option table's business
// (option_parser.cpp); this file only splits lines.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ringproxy/options/option_parser.hpp"

namespace ringproxy {

namespace {

constexpr std::string_view kSpace = " \t";

std::string_view trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void line_error(std::string_view path, size_t line, const std::string& why) {
  throw ConfigError(std::string(path) + ":" + std::to_string(line) + ": " + why);
}

const std::string kYamlHint =
    "this looks like a twemproxy (nutcracker) YAML file; ringproxy reads those with "
    "--twemproxy-config FILE (-c/--config takes `name = value` lines)";

// A line such as "alpha:", "  listen: 127.0.0.1:22121" or "- 127.0.0.1:6379:1".
bool looks_like_yaml(std::string_view line) {
  if (line.starts_with("- ") || line == "---") return true;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view key = line.substr(0, colon);
  const bool plain_key = std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  return plain_key && (colon + 1 == line.size() || line[colon + 1] == ' ');
}

// The value after '=': quoted, or up to an inline comment.
std::string value_of(std::string_view raw, std::string_view path, size_t line) {
  raw = trim(raw);
  if (raw.empty() || raw.front() != '"') {
    for (size_t i = 1; i < raw.size(); ++i) {
      if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
        return std::string(trim(raw.substr(0, i)));
      }
    }
    return std::string(raw);
  }
  std::string out;
  size_t i = 1;
  for (; i < raw.size() && raw[i] != '"'; ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    out.push_back(raw[i]);
  }
  if (i == raw.size()) line_error(path, line, "unterminated quoted value");
  const std::string_view rest = trim(raw.substr(i + 1));
  if (!rest.empty() && rest.front() != '#') {
    line_error(path, line, "unexpected text after the quoted value: '" + printable(rest) + "'");
  }
  return out;
}

}  // namespace

std::vector<ConfigLine> parse_config_text(std::string_view text, std::string_view path) {
  std::vector<ConfigLine> out;
  size_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      line_error(path, number, "sections ('" + printable(line) + "') are not supported");
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      if (looks_like_yaml(line)) line_error(path, number, kYamlHint);
      line_error(path, number, "expected `name = value`, got '" + printable(line) + "'");
    }
    const std::string_view name = trim(line.substr(0, eq));
    if (name.empty()) line_error(path, number, "no option name before '='");
    if (name.find_first_of(kSpace) != std::string_view::npos) {
      if (looks_like_yaml(line)) line_error(path, number, kYamlHint);
      line_error(path, number, "expected `name = value`, got '" + printable(line) + "'");
    }
    out.push_back({std::string(name), value_of(line.substr(eq + 1), path, number), number});
  }
  return out;
}

std::vector<ConfigLine> read_config_file(const std::string& path) {
  if (ends_with(path, ".yml") || ends_with(path, ".yaml")) {
    throw ConfigError("invalid value '" + printable(path) +
                      "' for option '--config': " + kYamlHint);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError("invalid value '" + printable(path) +
                      "' for option '--config': a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("invalid value '" + printable(path) +
                      "' for option '--config': cannot open file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError("invalid value '" + printable(path) +
                      "' for option '--config': cannot read file");
  }
  return parse_config_text(text.str(), path);
}

}  // namespace ringproxy
