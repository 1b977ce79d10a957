// Key extraction for the commands whose keys depend on their arguments, not
// only on positions. See key_parsers.hpp.
#include "ringproxy/commands/key_parsers.hpp"

namespace ringproxy::key_parsers {

namespace {

constexpr std::string_view kErrSyntax = "ERR syntax error";

// `lower` is lower case already.
bool equals_nocase(std::string_view arg, std::string_view lower) {
  if (arg.size() != lower.size()) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    const auto c = static_cast<unsigned char>(arg[i]);
    const bool upper = static_cast<unsigned char>(c - 'A') < 26u;
    const unsigned char folded = upper ? static_cast<unsigned char>(c | 0x20) : c;
    if (folded != static_cast<unsigned char>(lower[i])) return false;
  }
  return true;
}

}  // namespace

// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]:
// only the last STORE counts, as in Redis. BY/GET patterns may name other
// keys; those are not routed (the backend resolves them locally).
void sort(Argv argv, Keys& keys) {
  keys.push_back(1);
  size_t store = 0;
  for (size_t i = 2; i < argv.size();) {
    size_t skip = 0;
    if (equals_nocase(argv[i], "limit")) {
      skip = 2;
    } else if (equals_nocase(argv[i], "by") || equals_nocase(argv[i], "get")) {
      skip = 1;
    } else if (equals_nocase(argv[i], "store")) {
      skip = 1;
      if (i + 1 < argv.size()) store = i + 1;
    }
    if (i + skip >= argv.size()) break;  // truncated option: the backend reports it
    i += skip + 1;
  }
  if (store != 0) keys.push_back(static_cast<uint32_t>(store));
}

// GEORADIUS* ... [STORE dst] [STOREDIST dst]: every destination is a key
// (Redis itself uses the last one, but all must co-locate to be safe).
void georadius(Argv argv, size_t options_from, Keys& keys) {
  keys.push_back(1);
  for (size_t i = options_from; i < argv.size(); ++i) {
    if (i + 1 >= argv.size()) break;
    if (equals_nocase(argv[i], "store") || equals_nocase(argv[i], "storedist")) {
      keys.push_back(static_cast<uint32_t>(++i));
    } else if (equals_nocase(argv[i], "count")) {
      ++i;  // its value is not an option name
    }
  }
}

// XREAD [COUNT n] [BLOCK ms] STREAMS k... id...
// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS k... id...
bool xread(Argv argv, bool group, Keys& keys, std::string_view& error) {
  size_t i = 1;
  while (i < argv.size() && !equals_nocase(argv[i], "streams")) {
    if (equals_nocase(argv[i], "count") || equals_nocase(argv[i], "block")) {
      i += 2;
    } else if (group && equals_nocase(argv[i], "group")) {
      i += 3;
    } else if (group && equals_nocase(argv[i], "noack")) {
      i += 1;
    } else {
      break;
    }
  }
  if (i >= argv.size() || !equals_nocase(argv[i], "streams")) {
    error = kErrSyntax;
    return false;
  }
  const size_t rest = argv.size() - i - 1;
  if (rest == 0 || rest % 2 != 0) {
    error = group ? "ERR Unbalanced XREADGROUP list of streams: for each stream key an ID or "
                    "'$' must be specified."
                  : "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' "
                    "must be specified.";
    return false;
  }
  for (size_t k = i + 1; k <= i + rest / 2; ++k) keys.push_back(static_cast<uint32_t>(k));
  return true;
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
//         [AUTH2 user pw] [KEYS k...]
void migrate(Argv argv, Keys& keys) {
  if (argv.size() <= 3) return;
  if (!argv[3].empty()) {
    keys.push_back(3);
    return;
  }
  for (size_t i = 6; i < argv.size(); ++i) {
    if (equals_nocase(argv[i], "auth")) {
      i += 1;
    } else if (equals_nocase(argv[i], "auth2")) {
      i += 2;
    } else if (equals_nocase(argv[i], "keys")) {
      for (size_t k = i + 1; k < argv.size(); ++k) keys.push_back(static_cast<uint32_t>(k));
      return;
    }
  }
}

// OBJECT/MEMORY/XINFO/XGROUP: only these subcommands take a key (at argv[2]);
// HELP, MEMORY STATS/DOCTOR/... have none.
void subcommand(const CommandInfo& cmd, Argv argv, Keys& keys) {
  if (argv.size() <= 2) return;
  const std::string_view sub = argv[1];
  bool has_key = false;
  switch (cmd.name[0]) {
    case 'o':  // object
      has_key = equals_nocase(sub, "encoding") || equals_nocase(sub, "freq") ||
                equals_nocase(sub, "idletime") || equals_nocase(sub, "refcount");
      break;
    case 'm':  // memory
      has_key = equals_nocase(sub, "usage");
      break;
    case 'x':
      if (cmd.name == "xinfo") {
        has_key = equals_nocase(sub, "stream") || equals_nocase(sub, "groups") ||
                  equals_nocase(sub, "consumers");
      } else {  // xgroup
        has_key = equals_nocase(sub, "create") || equals_nocase(sub, "createconsumer") ||
                  equals_nocase(sub, "delconsumer") || equals_nocase(sub, "destroy") ||
                  equals_nocase(sub, "setid");
      }
      break;
    default:
      break;
  }
  if (has_key) keys.push_back(2);
}

}  // namespace ringproxy::key_parsers
