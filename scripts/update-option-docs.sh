#!/usr/bin/env bash
# Rewrites the option docs made from the option table (src/options/option_table.cpp):
# README.md's option table (between its BEGIN/END option table markers) and
# conf/ringproxy.conf. A unit test (OptionTable.*IsGenerated) fails until they match.
#   scripts/update-option-docs.sh [path/to/ringproxy]   (default: build/ringproxy)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$root/build/ringproxy}
[[ -x $bin ]] || { echo "no ringproxy binary at $bin: build first (scripts/build.sh)" >&2; exit 1; }

"$bin" --help-options=conf > "$root/conf/ringproxy.conf.new"
mv "$root/conf/ringproxy.conf.new" "$root/conf/ringproxy.conf"

table=$("$bin" --help-options=markdown)
grep -q '^<!-- BEGIN option table' "$root/README.md" ||
  { echo "README.md has no '<!-- BEGIN option table' marker" >&2; exit 1; }
# ENVIRON, not awk -v: -v would expand the table's backslashes.
TABLE=$table awk '
  /^<!-- BEGIN option table/ { print; print ENVIRON["TABLE"]; skip = 1; next }
  /^<!-- END option table -->/ { skip = 0 }
  !skip { print }
' "$root/README.md" > "$root/README.md.new"
mv "$root/README.md.new" "$root/README.md"
echo "updated README.md and conf/ringproxy.conf from $bin"
