// How a config key's value becomes an argument: the readers the table of config keys names, one per kind of value.
// Each reads the key as its declared type through the ConfigReader, which keeps any problem; "optional" readers take
// the declared default ("", 0, false, []) to mean unset, so the component's own default applies.
import { LabelSelectorOperator, NetworkPolicyPeer } from "../components";
import { checkCidr, checkDnsLabel, checkEnum } from "../components/validation";
import { ConfigReader } from "./reader";

/** Reads `key` from the stack's config as one argument's value; undefined leaves the argument unset. */
export type Reader = (read: ConfigReader, key: string) => unknown;

export const string: Reader = (read, key) => read.string(key);
export const optionalString: Reader = (read, key) => read.optional(key);
/** A Pulumi secret, or unset when empty. */
export const secret: Reader = (read, key) => read.secret(key);
export const integer: Reader = (read, key) => read.integer(key);
export const optionalInteger: Reader = (read, key) => unsetAt(read.integer(key), 0);
export const boolean: Reader = (read, key) => read.boolean(key);
export const optionalBoolean: Reader = (read, key) => unsetAt(read.boolean(key), false);
export const list: Reader = (read, key) => read.list(key);
export const optionalList: Reader = (read, key) => {
    const values = read.list(key);
    return values === undefined || values.length === 0 ? undefined : values;
};

function unsetAt<T>(value: T, unset: T): T | undefined {
    return value === unset ? undefined : value;
}

/** "auto" or a whole number (the component checks its range); "" (the declared default) leaves the default. */
export const autoOrCount: Reader = (read, key) => {
    const value = read.optional(key);
    if (value === undefined || value === "auto") return value;
    if (/^\d+$/.test(value)) return value;
    read.refuse(key, value, '"auto" or a whole number, e.g. "4096"');
    return undefined;
};

/** One of an enum's values; a bad one reads as unset, with the problem kept, so no unknown value reaches the component. */
export function choice<E extends Record<string, string>>(choices: E): Reader {
    return (read, key) => {
        const value = read.string(key);
        const ok = value === undefined || read.check(key, () => checkEnum(key, value, choices));
        return ok ? value : undefined;
    };
}

/** One of an enum's values, or "" (the declared default) for the component's default. */
export function optionalChoice<E extends Record<string, string>>(choices: E): Reader {
    const chosen = choice(choices);
    return (read, key) => (read.optional(key) === undefined ? undefined : chosen(read, key));
}

/** A list of "key=value" strings as a map (Pulumi.yaml declares no map type); unset when empty. */
export const keyValues: Reader = (read, key) => {
    const map: Record<string, string> = {};
    (read.list<string>(key) ?? []).forEach((entry, i) => {
        const eq = entry.indexOf("=");
        const name = entry.slice(0, eq);
        if (eq <= 0) {
            read.refuse(`${key}[${i}]`, entry, 'a "key=value" pair such as "team=shop"');
        } else if (Object.prototype.hasOwnProperty.call(map, name)) {
            read.refuse(`${key}[${i}]`, entry, `a key not given before in the list (${name} is)`);
        } else {
            map[name] = entry.slice(eq + 1);
        }
    });
    return Object.keys(map).length > 0 ? map : undefined;
};

/** A list whose every entry passes `check` (which throws a ConfigError naming the entry); unset when empty. */
function checkedList(read: ConfigReader, key: string, check: (path: string, value: unknown) => void): string[] | undefined {
    const values = read.list<string>(key) ?? [];
    values.forEach((value, i) => read.check(`${key}[${i}]`, () => check(key, value)));
    return values.length > 0 ? values : undefined;
}

const NAMESPACE_LABEL = "kubernetes.io/metadata.name";

/** Namespace names as one NetworkPolicy peer selecting them by the label Kubernetes gives every namespace. */
export const namespacePeers: Reader = (read, key): NetworkPolicyPeer[] | undefined => {
    const namespaces = checkedList(read, key, checkDnsLabel);
    return namespaces && [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_LABEL, operator: LabelSelectorOperator.In, values: namespaces }] } }];
};

/** CIDRs as NetworkPolicy peers, one `ipBlock` each. */
export const cidrPeers: Reader = (read, key): NetworkPolicyPeer[] | undefined => checkedList(read, key, checkCidr)?.map((cidr) => ({ ipBlock: { cidr } }));

/**
 * A boolean that makes the object at its path exist. Without it the keys under that path are not read, except
 * `needs`: those are refused when set, as a mistake rather than something to ignore.
 */
export class Gate {
    constructor(readonly needs: readonly string[]) {}
}

export function gate(...needs: string[]): Gate {
    return new Gate(needs);
}
