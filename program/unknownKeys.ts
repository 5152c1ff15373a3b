// Keys in the program's namespace that Pulumi.yaml does not declare: a typo (`tls-sidecar:nodeport`) would
// otherwise be ignored and its value silently replaced by the default.
import { DECLARED_KEYS, PROJECT } from "./configKeys";

/** Levenshtein distance: insertions, deletions and substitutions of one character each. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/** The declared key nearest to `key`, ignoring case; the first in Pulumi.yaml's order on a tie. */
export function nearestKey(key: string): string {
    const distance = (k: string) => editDistance(key.toLowerCase(), k.toLowerCase());
    return Object.keys(DECLARED_KEYS).reduce((best, k) => (distance(k) < distance(best) ? k : best));
}

/** One line per undeclared key of the project's namespace in `values` (qualified keys), naming the nearest key. */
export function unknownKeys(values: Record<string, string>): string[] {
    return Object.keys(values)
        .filter((qualified) => qualified.startsWith(`${PROJECT}:`))
        .map((qualified) => qualified.slice(PROJECT.length + 1))
        .filter((key) => !Object.prototype.hasOwnProperty.call(DECLARED_KEYS, key))
        .sort()
        // Its value is not shown: it may have been set with --secret.
        .map((key) => `${PROJECT}:${key}: unknown key (Pulumi.yaml does not declare it; its value is not shown); did you mean ${PROJECT}:${nearestKey(key)}?`);
}
