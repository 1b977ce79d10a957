// Texts made from the option table: --help, README's option table
// (--help-options=markdown), conf/ringproxy.conf (--help-options=conf) and the
// resolved configuration (--check-config). README.md and conf/ringproxy.conf
// hold copies that unit tests compare with these; scripts/update-option-docs.sh
// rewrites them.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "ringproxy/options/option_parser.hpp"

namespace ringproxy {

namespace {

constexpr size_t kHelpWidth = 80;
constexpr size_t kHelpColumn = 30;
constexpr size_t kConfWidth = 78;

bool documented(const OptionSpec& spec) {
  return spec.removed.empty();
}
bool in_file(const OptionSpec& spec) {
  return documented(spec) && (spec.sources & kConfigFile);
}

std::string sentence(std::string_view text) {
  std::string s(text);
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (!s.empty() && s.back() != '.') s.push_back('.');
  return s;
}

// Where else the option's value may come from (`quote` marks code in markdown).
std::string env_note(const OptionSpec& spec, std::string_view quote) {
  if (spec.env.empty()) return "";
  std::string note = " Also read from the environment variable " + std::string(quote) +
                     std::string(spec.env) + std::string(quote);
  if (spec.secret) {
    note += "; give it there or in the config file, not on the command line, where `ps` shows it";
  }
  return note + ".";
}

// wrap() breaks at spaces; this stands for a space it must not break at.
constexpr char kGlue = '\x01';

std::string glued(std::string text) {
  std::replace(text.begin(), text.end(), ' ', kGlue);
  return text;
}

// help, then details: the whole description of an option.
std::string description(const OptionSpec& spec) {
  std::string d(spec.help);
  if (!spec.details.empty()) d.append(". ").append(spec.details);
  return d;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// A value as a config file line must write it to read it back unchanged.
std::string file_value(std::string_view v) {
  const bool quote =
      !v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t' ||
                     v.front() == '"' || v.find(" #") != std::string_view::npos ||
                     v.find("\t#") != std::string_view::npos);
  if (!quote) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string group_rule(std::string_view group) {
  std::string line = "# --- " + std::string(group) + " ";
  if (line.size() < kConfWidth + 2) line.append(kConfWidth + 2 - line.size(), '-');
  return line;
}

void comment(std::ostream& os, std::string_view text) {
  for (const std::string& line : wrap(text, kConfWidth)) os << "# " << line << "\n";
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out.push_back('\\');
    out.push_back(c == '\n' ? ' ' : c);
  }
  return out;
}

}  // namespace

std::string help_text(std::span<const OptionSpec> table) {
  std::ostringstream os;
  os << "Usage: ringproxy [options]\n"
        "A Redis-compatible sharding proxy: keys are placed on a ring of Redis backends.\n\n";
  for (const std::string& line :
       wrap("Options are read, later ones winning, from: built-in defaults, a twemproxy pool "
            "(--twemproxy-config), a config file (--config, `name = value` lines with the names "
            "below), environment variables (passwords), the command line. Sizes take b, k, kb, "
            "m, mb, g, gb (k = kb = 1024); times are in the unit the name ends with "
            "(-ms, -us).",
            kHelpWidth)) {
    os << line << "\n";
  }
  std::string_view group;
  for (const OptionSpec& spec : table) {
    if (!documented(spec)) continue;
    if (spec.group != group) {
      group = spec.group;
      os << "\n" << group << ":\n";
    }
    std::string left = "  ";
    left += spec.short_name ? std::string("-") + spec.short_name + ", " : std::string("    ");
    left += "--" + std::string(spec.name);
    if (spec.takes_value()) left += " " + spec.codec.value_name;
    std::string text(spec.help);
    if (!spec.default_text.empty()) {
      text += " " + glued("(default " + std::string(spec.default_text) + ")");
    }
    if (!spec.env.empty()) text += " " + glued("(or env " + std::string(spec.env) + ")");
    std::vector<std::string> lines = wrap(text, kHelpWidth - kHelpColumn);
    for (std::string& line : lines) std::replace(line.begin(), line.end(), kGlue, ' ');
    os << left;
    size_t column = left.size();
    if (column + 1 >= kHelpColumn) {
      os << "\n";
      column = 0;
    }
    for (const std::string& line : lines) {
      os << std::string(kHelpColumn - column, ' ') << line << "\n";
      column = 0;
    }
  }
  return os.str();
}

std::string markdown_table(std::span<const OptionSpec> table) {
  std::ostringstream os;
  os << "| Option | Default | Live | twemproxy | Meaning |\n"
        "| --- | --- | --- | --- | --- |\n";
  std::string_view group;
  for (const OptionSpec& spec : table) {
    if (!documented(spec)) continue;
    if (spec.group != group) {
      group = spec.group;
      os << "| **" << markdown_cell(group) << "** | | | | |\n";
    }
    std::string option = "`--" + std::string(spec.name);
    if (spec.takes_value()) option += " " + spec.codec.value_name;
    option += "`";
    if (spec.short_name) option += ", `-" + std::string(1, spec.short_name) + "`";
    std::string def;
    if (!spec.default_text.empty()) {
      def = "`" + std::string(spec.default_text) + "`";
    } else if (spec.required) {
      def = "(required)";
    } else if (spec.takes_value() && spec.codec.get) {
      def = "(none)";
    }
    std::string live;
    if (spec.codec.get) live = spec.runtime == Runtime::kLive ? "yes" : "restart";
    std::string twem;
    if (!spec.twemproxy.empty()) twem = "`" + std::string(spec.twemproxy) + "`";
    const std::string meaning = sentence(description(spec)) + env_note(spec, "`");
    os << "| " << markdown_cell(option) << " | " << markdown_cell(def) << " | " << live << " | "
       << twem << " | " << markdown_cell(meaning) << " |\n";
  }
  return os.str();
}

std::string sample_config(std::span<const OptionSpec> table) {
  std::ostringstream os;
  os << "# ringproxy configuration file: every option, with its default.\n"
        "#\n"
        "#   ringproxy --config conf/ringproxy.conf\n"
        "#\n";
  comment(os,
          "Each line is `name = value`, with the names of the command-line options (`ringproxy "
          "--help`); environment variables and the command line win over this file. Sizes take "
          "b, k, kb, m, mb, g or gb (k = kb = 1024); times are in the unit the name ends with "
          "(-ms, -us). Lines starting with # are comments; a value with leading or trailing "
          "spaces, or a # after a space, is written in double quotes.");
  os << "#\n";
  comment(os,
          "Generated from the option table by `ringproxy --help-options=conf` "
          "(scripts/update-option-docs.sh); a unit test keeps this file and the table in step.");
  std::string_view group;
  for (const OptionSpec& spec : table) {
    if (!in_file(spec)) continue;
    if (spec.group != group) {
      group = spec.group;
      os << "\n" << group_rule(group) << "\n";
    }
    os << "\n";
    comment(os, sentence(description(spec)) + env_note(spec, ""));
    if (!spec.default_text.empty()) {
      os << spec.name << " = " << spec.default_text << "\n";
    } else {
      for (std::string_view example : split_lines(spec.example)) {
        os << (spec.required ? "" : "# ") << spec.name << " =";
        if (!example.empty()) os << " " << example;
        os << "\n";
      }
    }
  }
  return os.str();
}

std::string resolved_config(const Config& config, std::span<const OptionSpec> table) {
  std::ostringstream os;
  os << "# ringproxy configuration as resolved from every source\n";
  for (const OptionSpec& spec : table) {
    if (!documented(spec) || in_file(spec) || !spec.codec.get) continue;
    const std::string value = spec.codec.get(config);
    if (!value.empty()) os << "# --" << spec.name << " " << value << "\n";
  }
  std::string_view group;
  for (const OptionSpec& spec : table) {
    if (!in_file(spec) || !spec.codec.get) continue;
    if (spec.group != group) {
      group = spec.group;
      os << "\n" << group_rule(group) << "\n";
    }
    const std::string value = spec.codec.get(config);
    if (spec.secret) {
      os << "# " << spec.name << (value.empty() ? ": not set" : ": set (hidden)") << "\n";
      continue;
    }
    if (spec.repeatable() && value.empty()) continue;
    for (std::string_view line : split_lines(value)) {
      os << spec.name << " =";
      if (!line.empty()) os << " " << file_value(line);
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace ringproxy
