// Keys in the program's namespace that Pulumi.yaml does not declare, and keys in a namespace that looks like a typo
// of it (`tls-sidcar:appPort`): either would otherwise be ignored and its value silently replaced by the default.
import { DECLARED_KEYS } from "./configKeys";
import { PROJECT } from "./reader";

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

/** At most this many edits from the project's name, a namespace is taken for a typo of it, not another project's or provider's. */
const NAMESPACE_TYPO_EDITS = 3;

/** The namespace of a qualified key, e.g. `tls-sidecar` for `tls-sidecar:appPort`. */
function namespaceOf(qualified: string): string {
    const colon = qualified.indexOf(":");
    return colon < 0 ? "" : qualified.slice(0, colon);
}

function isNamespaceTypo(namespace: string): boolean {
    return namespace !== PROJECT && editDistance(namespace.toLowerCase(), PROJECT) <= NAMESPACE_TYPO_EDITS;
}

/** The declared key a key's name stands for: itself, or the nearest one. */
function declaredOrNearest(key: string): string {
    return Object.prototype.hasOwnProperty.call(DECLARED_KEYS, key) ? key : nearestKey(key);
}

/**
 * One line per undeclared key of the project's namespace in `values` (qualified keys), and per key in a namespace a
 * few edits from it, each naming the nearest declared key. Values are never shown: they may have been set with --secret.
 */
export function unknownKeys(values: Record<string, string>): string[] {
    const qualifiedKeys = Object.keys(values).sort();
    const undeclared = qualifiedKeys
        .filter((qualified) => namespaceOf(qualified) === PROJECT)
        .map((qualified) => qualified.slice(PROJECT.length + 1))
        .filter((key) => !Object.prototype.hasOwnProperty.call(DECLARED_KEYS, key))
        .map((key) => `${PROJECT}:${key}: unknown key (Pulumi.yaml does not declare it; its value is not shown); did you mean ${PROJECT}:${nearestKey(key)}?`);
    const misspelt = qualifiedKeys
        .filter((qualified) => isNamespaceTypo(namespaceOf(qualified)))
        .map((qualified) => {
            const namespace = namespaceOf(qualified);
            const nearest = `${PROJECT}:${declaredOrNearest(qualified.slice(namespace.length + 1))}`;
            return `${qualified}: unknown namespace "${namespace}" (this project's is "${PROJECT}"; its value is not shown); did you mean ${nearest}?`;
        });
    return [...undeclared, ...misspelt];
}
