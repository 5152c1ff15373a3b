"""Quantiles of a Prometheus histogram over a window: two scrapes of /metrics (text format), subtracted.

Used by bench/run.sh for our proxy's own latency, `proxy_request_duration_seconds`. Standard library only.
Within a bucket the quantile is interpolated linearly between its bounds (the first bucket from 0), as
Prometheus's histogram_quantile does, so a figure is only as fine as the buckets (0.5, 1, 2.5, 5, 10, 25 ms, ...).
"""
import math
import re

BUCKET = re.compile(r'^(\w+)_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\}\s+(\S+)', re.M)


def buckets(text, name):
    """{upper bound in seconds: cumulative count} of histogram NAME in one scrape."""
    return {float(le): float(v) for n, le, v in BUCKET.findall(text) if n == name}


def window_quantiles(before, after, name, qs):
    """(count, {q: seconds}) of the observations between the two scrapes; a quantile in the +Inf bucket is
    reported as the last finite bound (a lower limit); no observations: (0, {})."""
    b0, b1 = buckets(before, name), buckets(after, name)
    if not b1:
        raise ValueError(f"no histogram {name} in the scrape")
    bounds = sorted(b1)
    cum = [b1[le] - b0.get(le, 0.0) for le in bounds]
    total = cum[-1]
    out = {}
    if total <= 0:
        return 0, out
    for q in qs:
        rank = q * total
        i = next(i for i, c in enumerate(cum) if c >= rank)
        hi = bounds[i]
        if math.isinf(hi):
            out[q] = bounds[i - 1] if i else 0.0
            continue
        lo, below = (bounds[i - 1], cum[i - 1]) if i else (0.0, 0.0)
        inside = cum[i] - below
        out[q] = lo + (hi - lo) * ((rank - below) / inside if inside else 1.0)
    return int(total), out
