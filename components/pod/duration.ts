// Durations as the proxy's flags take them: Go's `time.ParseDuration` syntax (`500ms`, `10s`, `2m0s`, `1h30m`, `0`),
// so that a value the component accepts is one the proxy accepts, and the other way round.
import { ConfigError } from "../validation";

const UNIT_NANOS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const TERM = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Nanoseconds of a Go duration; undefined when it is not one. A sign is part of the syntax, so "-1s" is -1e9. */
export function durationNanos(value: string): number | undefined {
    const negative = value.startsWith("-");
    const rest = value.replace(/^[-+]/, "");
    if (rest === "0") {
        return 0;
    }
    let total = 0;
    TERM.lastIndex = 0;
    while (TERM.lastIndex < rest.length) {
        const at = TERM.lastIndex;
        const term = TERM.exec(rest);
        if (term === null || term.index !== at || (term[1] === "" && (term[2] ?? "") === "")) {
            return undefined;
        }
        const [, whole, fraction = "", unit] = term;
        total += Number(whole || "0") * UNIT_NANOS[unit] + (fraction === "" ? 0 : Number(`0.${fraction}`) * UNIT_NANOS[unit]);
    }
    return rest === "" ? undefined : negative ? -total : total;
}

const HOUR_NANOS = 3600e9;

/** A duration such as "500ms", "10s" or "2m", from 0 to `maxHours` hours (24, the longest any proxy timeout takes). */
export function checkDuration(path: string, value: unknown, maxHours = 24): void {
    const nanos = typeof value === "string" ? durationNanos(value.trim()) : undefined;
    if (nanos === undefined || nanos < 0 || nanos > maxHours * HOUR_NANOS) {
        throw new ConfigError(path, value, `a duration such as "500ms", "10s" or "2m" (Go's syntax), from 0 to ${maxHours}h`);
    }
}
