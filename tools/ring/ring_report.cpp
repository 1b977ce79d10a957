// The simulator's reports (see ring_simulator.hpp): aligned tables, CSV, the
// list of moved keys, and the gnuplot chart.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ring_simulator.hpp"

extern char** environ;

namespace ringproxy::sim {

// ---------------------------------------------------------------------------
// Output

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double fraction) {
  return fixed(fraction * 100.0, 1);
}

// An aligned text table: text columns left-aligned, numeric ones right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void write(std::ostream& out) const {
    std::vector<size_t> width(header_.size(), 0);
    std::vector<bool> numeric(header_.size(), true);
    for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], row[c].size());
        if (!looks_numeric(row[c])) numeric[c] = false;
      }
    }
    write_row(out, header_, width, numeric);
    for (const auto& row : rows_) write_row(out, row, width, numeric);
  }

 private:
  static bool looks_numeric(const std::string& s) {
    if (s == "-" || s == "n/a") return true;
    return !s.empty() && s.find_first_not_of("0123456789.-%") == std::string::npos;
  }
  static void write_row(std::ostream& out, const std::vector<std::string>& row,
                        const std::vector<size_t>& width, const std::vector<bool>& numeric) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      if (c > 0) line += "  ";
      line += numeric[c] ? pad + cell : cell + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }

  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void csv_row(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
  out << '\n';
}

// A key as one token on a "key from -> to" line: quoted, with escapes, when it
// holds spaces, quotes, backslashes or control bytes.
std::string printable_key(std::string_view key) {
  bool plain = !key.empty();
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\') plain = false;
  }
  if (plain) return std::string(key);
  std::string out = "\"";
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string change_label(const Report& r, size_t change) {
  return describe(r.changes[change]);
}

bool weighted(const Pool& pool) {
  for (const BackendSpec& b : pool.backends) {
    if (b.weight != pool.backends.front().weight) return true;
  }
  return false;
}

constexpr size_t kInlineBackends = 8;  // per-backend columns in the text table up to this

}  // namespace

void write_table(const Report& r, std::ostream& out) {
  const Pool& pool = r.pool;
  out << "pool:  " << pool.backends.size() << " backend" << (pool.backends.size() == 1 ? "" : "s")
      << ", hash tag " << (pool.hash_tag.empty() ? "none" : "\"" + pool.hash_tag + "\"")
      << ", configured hash " << hash_name(pool.hash) << ", configured distribution "
      << distribution_name(pool.distribution) << "\n       ";
  for (size_t i = 0; i < pool.backends.size(); ++i) {
    if (i == 16 && pool.backends.size() > 20) {
      out << " ... (" << pool.backends.size() - 16 << " more)";
      break;
    }
    out << (i ? "  " : "") << r.labels[i];
    if (weighted(pool)) out << ":" << pool.backends[i].weight;
  }
  out << "\nkeys:  " << r.key_count << (r.key_source.empty() ? "" : ", " + r.key_source) << "\n\n";

  const bool inline_counts = pool.backends.size() <= kInlineBackends;
  out << "Load balance: keys per backend"
      << (weighted(pool) ? " (ratios relative to each backend's weight share)" : "")
      << "; max/mean 1.000 is perfectly even\n";
  std::vector<std::string> header = {"hash",     "distribution", "min", "max",
                                     "max/mean", "min/mean",     "CV",  "hottest"};
  if (inline_counts) header.insert(header.end(), r.labels.begin(), r.labels.end());
  TextTable balance(header);
  std::vector<std::string> notes;
  for (const Balance& b : r.balance) {
    std::vector<std::string> row = {std::string(hash_name(b.hash)),
                                    std::string(distribution_name(b.distribution))};
    if (!b.unavailable.empty()) {
      row.insert(row.end(), {"n/a", "n/a", "n/a", "n/a", "n/a", "-"});
      if (inline_counts) row.insert(row.end(), r.labels.size(), "-");
      notes.push_back(std::string(distribution_name(b.distribution)) + ": " + b.unavailable);
    } else {
      const auto [lo, hi] =
          std::minmax_element(b.keys_per_backend.begin(), b.keys_per_backend.end());
      row.insert(row.end(), {std::to_string(*lo), std::to_string(*hi), fixed(b.max_over_mean, 3),
                             fixed(b.min_over_mean, 3), fixed(b.cv, 3), r.labels[b.hottest]});
      if (inline_counts) {
        for (uint64_t n : b.keys_per_backend) row.push_back(std::to_string(n));
      }
    }
    balance.add(std::move(row));
  }
  balance.write(out);
  if (!inline_counts) {
    out << "(keys per backend for each of the " << pool.backends.size()
        << " backends: use --csv)\n";
  }
  std::sort(notes.begin(), notes.end());
  notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
  for (const std::string& n : notes) out << "n/a  " << n << "\n";

  if (r.movements.empty()) return;
  out << "\nMoves: share of all keys whose backend changes; ideal = the changed backend's weight "
         "share (reweight: how much that share changes)\n";
  TextTable moves({"change", "hash", "distribution", "moved", "moved%", "ideal%", "moved/ideal",
                   "extra%", "peers", "top peer%"});
  notes.clear();
  for (const Movement& m : r.movements) {
    std::vector<std::string> row = {change_label(r, m.change), std::string(hash_name(m.hash)),
                                    std::string(distribution_name(m.distribution))};
    if (!m.unavailable.empty()) {
      row.insert(row.end(), {"n/a", "n/a", percent(m.ideal), "-", "-", "-", "-"});
      notes.push_back(std::string(distribution_name(m.distribution)) + ": " + m.unavailable);
    } else {
      row.insert(row.end(), {std::to_string(m.moved), percent(m.moved_fraction()), percent(m.ideal),
                             m.ideal > 0 ? fixed(m.moved_fraction() / m.ideal, 2) : "-",
                             fixed(m.extra_fraction() * 100.0, 2), std::to_string(m.peers),
                             percent(m.top_peer)});
    }
    moves.add(std::move(row));
  }
  moves.write(out);
  out << "extra%: keys moved between backends the change does not touch (a perfect scheme moves "
         "none)\n"
         "peers: add: backends the new one takes keys from; remove/fail: backends that take over "
         "the lost one's keys; reweight: backends it trades keys with; top peer%: the largest "
         "one's share of them\n";
  std::sort(notes.begin(), notes.end());
  notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
  for (const std::string& n : notes) out << "n/a  " << n << "\n";
}

void write_csv(const Report& r, std::ostream& out) {
  std::vector<std::string> header = {"hash",          "distribution",  "keys", "min",     "max",
                                     "max_over_mean", "min_over_mean", "cv",   "hottest", "note"};
  header.insert(header.end(), r.labels.begin(), r.labels.end());
  csv_row(out, header);
  for (const Balance& b : r.balance) {
    std::vector<std::string> row = {std::string(hash_name(b.hash)),
                                    std::string(distribution_name(b.distribution)),
                                    std::to_string(r.key_count)};
    if (!b.unavailable.empty()) {
      row.insert(row.end(), {"", "", "", "", "", "", b.unavailable});
      row.insert(row.end(), r.labels.size(), "");
    } else {
      const auto [lo, hi] =
          std::minmax_element(b.keys_per_backend.begin(), b.keys_per_backend.end());
      row.insert(row.end(), {std::to_string(*lo), std::to_string(*hi), fixed(b.max_over_mean, 6),
                             fixed(b.min_over_mean, 6), fixed(b.cv, 6), r.labels[b.hottest], ""});
      for (uint64_t n : b.keys_per_backend) row.push_back(std::to_string(n));
    }
    csv_row(out, row);
  }
  if (r.movements.empty()) return;
  out << '\n';
  csv_row(out, {"change", "hash", "distribution", "keys", "moved", "moved_fraction",
                "ideal_fraction", "extra_fraction", "peers", "top_peer_fraction", "note"});
  for (const Movement& m : r.movements) {
    std::vector<std::string> row = {change_label(r, m.change), std::string(hash_name(m.hash)),
                                    std::string(distribution_name(m.distribution)),
                                    std::to_string(m.keys)};
    if (!m.unavailable.empty()) {
      row.insert(row.end(), {"", "", fixed(m.ideal, 6), "", "", "", m.unavailable});
    } else {
      row.insert(row.end(),
                 {std::to_string(m.moved), fixed(m.moved_fraction(), 6), fixed(m.ideal, 6),
                  fixed(m.extra_fraction(), 6), std::to_string(m.peers), fixed(m.top_peer, 6), ""});
    }
    csv_row(out, row);
  }
}

void write_moves(const Report& r, std::ostream& out, bool csv) {
  if (csv) csv_row(out, {"change", "hash", "distribution", "key", "from", "to"});
  for (const Movement& m : r.movements) {
    const std::string change = change_label(r, m.change);
    const std::string hash(hash_name(m.hash));
    const std::string dist(distribution_name(m.distribution));
    if (csv) {
      for (const Move& mv : m.moves) csv_row(out, {change, hash, dist, mv.key, mv.from, mv.to});
      continue;
    }
    out << "# " << change << ", hash " << hash << ", " << dist << ": ";
    if (!m.unavailable.empty()) {
      out << "n/a: " << m.unavailable << "\n";
      continue;
    }
    out << m.moved << " of " << m.keys << " keys move (" << percent(m.moved_fraction()) << "%)\n";
    for (const Move& mv : m.moves) {
      out << printable_key(mv.key) << ' ' << mv.from << " -> " << mv.to << '\n';
    }
  }
}

// ---------------------------------------------------------------------------
// Plot

namespace {

// A string for a gnuplot script: double quotes, with backslash escapes (a
// newline becomes \n, which gnuplot turns back into a line break).
std::string gp_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A label in a gnuplot data file: double quotes, without the characters that
// would end or escape it.
std::string gp_label(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c != '"' && c != '\\' && c != '\n') out += c;
  }
  return out + "\"";
}

class TempDirectory {
 public:
  TempDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ringproxy-ring-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      throw std::runtime_error("cannot create a temporary directory: " +
                               std::string(std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void run_gnuplot(const std::filesystem::path& script) {
  const std::string program = "gnuplot";
  const std::string script_path = script.string();
  char* const argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(script_path.c_str()),
                        nullptr};
  pid_t pid;
  const int rc = posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv, environ);
  if (rc != 0) {
    throw std::runtime_error("cannot run gnuplot: " + std::string(std::strerror(rc)) +
                             " (Debian: apt-get install gnuplot-nox)");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid(gnuplot) failed");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw std::runtime_error("gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("gnuplot failed (" +
                             (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                : "signal " + std::to_string(WTERMSIG(status))) +
                             ")");
  }
}

}  // namespace

void write_plot(const Report& r, const std::string& png_path) {
  const std::filesystem::path parent = std::filesystem::path(png_path).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent)) {
    throw std::runtime_error("--plot '" + png_path + "': no directory " + parent.string());
  }
  TempDirectory dir;
  const bool many_hashes = r.hashes.size() > 1;
  const bool many_changes = r.changes.size() > 1;

  const std::filesystem::path balance_dat = dir.path() / "balance.dat";
  {
    std::ofstream f(balance_dat);
    f << "# label  max-over-mean-minus-1(%)  cv(%)\n";
    for (const Balance& b : r.balance) {
      std::string label(distribution_name(b.distribution));
      if (many_hashes) label = std::string(hash_name(b.hash)) + " " + label;
      if (!b.unavailable.empty()) {
        f << gp_label(label + " (n/a)") << " NaN NaN\n";
      } else {
        f << gp_label(label) << ' ' << fixed((b.max_over_mean - 1) * 100, 3) << ' '
          << fixed(b.cv * 100, 3) << '\n';
      }
    }
  }
  const std::filesystem::path moves_dat = dir.path() / "moves.dat";
  {
    std::ofstream f(moves_dat);
    f << "# label  moved(%)  ideal(%)  extra(%)\n";
    for (const Movement& m : r.movements) {
      std::string label(distribution_name(m.distribution));
      if (many_hashes) label = std::string(hash_name(m.hash)) + " " + label;
      if (many_changes) label = change_label(r, m.change) + ": " + label;
      if (!m.unavailable.empty()) {
        f << gp_label(label + " (n/a)") << " NaN " << fixed(m.ideal * 100, 3) << " NaN\n";
      } else {
        f << gp_label(label) << ' ' << fixed(m.moved_fraction() * 100, 3) << ' '
          << fixed(m.ideal * 100, 3) << ' ' << fixed(m.extra_fraction() * 100, 3) << '\n';
      }
    }
  }

  std::string pool_title = std::to_string(r.pool.backends.size()) + " backends, " +
                           std::to_string(r.key_count) + " keys";
  if (!many_hashes) pool_title += ", hash " + std::string(hash_name(r.hashes.front()));
  if (!r.pool.hash_tag.empty()) pool_title += ", hash tag " + r.pool.hash_tag;
  std::string moves_title = "Keys moved";
  if (!many_changes && !r.changes.empty()) moves_title += " by: " + describe(r.changes.front());
  const bool has_moves = !r.movements.empty();
  const size_t rows = std::max(r.balance.size(), r.movements.size());
  const bool rotate = rows > 6;
  const int width = std::clamp(static_cast<int>(220 + rows * 80), 1200, 2600);
  const int height = (has_moves ? 1000 : 520) + (rotate ? 120 : 0);
  // Value labels over the bars, while they fit: clustered histograms with S
  // series and gap 1 put bar j of row x at x + (j - (S-1)/2) / (S+1).
  auto value_labels = [rows](int series) {
    std::string clauses;
    if (rows > 24) return clauses;
    const std::string font = rows > 8 ? " font ',8'" : "";
    for (int j = 0; j < series; ++j) {
      const double dx = (j - (series - 1) / 2.0) / (series + 1);
      clauses += ", \\\n     '' using ($0" + std::string(dx < 0 ? "" : "+") + fixed(dx, 4) +
                 "):" + std::to_string(j + 2) + ":(sprintf('%.1f', $" + std::to_string(j + 2) +
                 ")) with labels offset 0,0.7" + font + " notitle";
    }
    return clauses;
  };

  const std::filesystem::path script = dir.path() / "plot.gp";
  {
    std::ofstream f(script);
    f << "set terminal pngcairo size " << width << "," << height
      << " font 'DejaVu Sans,11' noenhanced\n"
      << "set output " << gp_quote(png_path) << "\n"
      << "set datafile missing 'NaN'\n"
      << "set style data histogram\n"
      << "set style histogram clustered gap 1\n"
      << "set style fill solid 0.85 border rgb '#333333'\n"
      << "set boxwidth 0.9\n"
      << "set grid ytics\n"
      << "set key outside top center horizontal\n"
      << "set yrange [0:*]\n"
      << "set offsets 0, 0, graph 0.08, 0\n"
      << (rotate ? "set xtics rotate by 30 right nomirror\n" : "set xtics nomirror\n");
    f << "set multiplot layout " << (has_moves ? 2 : 1) << ",1 title "
      << gp_quote("ringproxy-ring: " + pool_title) << " font ',13'\n";
    // Panel 1: load spread.
    f << "set title 'Load spread per distribution (lower is better)'\n"
      << "set ylabel '%'\n"
      << "plot " << gp_quote(balance_dat.string())
      << " using 2:xtic(1) title 'hottest backend above the mean (max/mean - 1)' lc rgb "
         "'#d62728', \\\n"
      << "     '' using 3 title 'coefficient of variation' lc rgb '#1f77b4'" << value_labels(2)
      << "\n";
    if (has_moves) {
      // Panel 2: moved share against the ideal.
      f << "set title "
        << gp_quote(moves_title +
                    " (share of all keys; ideal = the changed "
                    "backend's weight share)")
        << "\n"
        << "set ylabel '% of keys'\n"
        << "plot " << gp_quote(moves_dat.string())
        << " using 2:xtic(1) title 'moved' lc rgb '#ff7f0e', \\\n"
        << "     '' using 3 title 'ideal' lc rgb '#7f7f7f', \\\n"
        << "     '' using 4 title 'moved between untouched backends' lc rgb '#9467bd'"
        << value_labels(3) << "\n";
    }
    f << "unset multiplot\n";
  }
  run_gnuplot(script);
  if (!std::filesystem::exists(png_path)) {
    throw std::runtime_error("gnuplot did not write " + png_path);
  }
}

}  // namespace ringproxy::sim
