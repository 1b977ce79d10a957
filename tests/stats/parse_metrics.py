#!/usr/bin/env python3
"""Scrapes a Prometheus endpoint and parses it with the reference parser of
python3-prometheus-client; prints the families as JSON for the C++ test:
{"<family>": {"type": ..., "samples": [[name, {labels}, value], ...]}}.
Exits 1 with the error when the text does not parse."""
import json
import math
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def number(value):
    """JSON has no NaN or infinities (prometheus-cpp's own summaries start at NaN)."""
    return value if math.isfinite(value) else str(value)


def main():
    url = sys.argv[1]
    with urllib.request.urlopen(url, timeout=10) as resp:
        content_type = resp.headers.get("Content-Type", "")
        text = resp.read().decode("utf-8")
    out = {"_content_type": content_type, "families": {}}
    for family in text_string_to_metric_families(text):
        out["families"][family.name] = {
            "type": family.type,
            "samples": [[s.name, s.labels, number(s.value)] for s in family.samples],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report any failure as the test's message
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
