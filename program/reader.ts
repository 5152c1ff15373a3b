// Reads config values by their declared type and keeps every problem instead of stopping at the first, so one run
// reports all bad keys. A bad value reads as undefined; the problem names the key, the value and what is allowed.
import * as pulumi from "@pulumi/pulumi";
import { checkEnum, ConfigProblem, Problems, SECRET_NOT_SHOWN } from "../components/validation";
import { ConfigType, DECLARED_KEYS, PROJECT } from "./configKeys";

/** Shown instead of a secret's value. */
export const NOT_SHOWN = SECRET_NOT_SHOWN;

const ALLOWED: Record<ConfigType, string> = {
    string: "a string",
    integer: "an integer",
    boolean: "true or false",
    "string[]": 'a list of strings, e.g. ["a", "b"]',
    "integer[]": "a list of integers, e.g. [8080, 9090]",
};

function parse(type: ConfigType, raw: string): unknown {
    switch (type) {
        case "string":
            return raw;
        case "integer":
            return /^-?\d+$/.test(raw.trim()) ? Number(raw) : undefined;
        case "boolean":
            return raw === "true" ? true : raw === "false" ? false : undefined;
        default: {
            const item = type === "string[]" ? "string" : "number";
            try {
                const list = JSON.parse(raw);
                return Array.isArray(list) && list.every((v) => typeof v === item && (item === "string" || Number.isInteger(v))) ? list : undefined;
            } catch {
                return undefined;
            }
        }
    }
}

export class ConfigReader {
    /** Problems found while reading, each with the qualified key (`tls-sidecar:<key>`) as its path. */
    readonly problems = new Problems();

    /** The qualified keys read as secrets: a problem with one of them must not show its value. */
    readonly secretKeys = new Set<string>();

    /**
     * `values`: all of the stack's config, qualified keys to strings, as `pulumi.runtime.allConfig()` gives it.
     * `revealSecrets`: read secrets as the plain strings they are when the program starts, to check them before
     * anything is registered; the arguments then given to the component read them as secret Outputs.
     */
    constructor(
        private readonly values: Record<string, string>,
        private readonly revealSecrets = false,
    ) {}

    /** Keeps a problem with `key`; `value` undefined means the key is missing. */
    refuse(key: string, value: unknown, allowed: string): void {
        this.problems.add({ path: `${PROJECT}:${key}`, value, allowed });
    }

    /** Runs a check that throws a ConfigError; its problems are kept under `key`. False when it found any. */
    check(key: string, run: () => void): boolean {
        const found = new Problems();
        found.check(run);
        found.all.forEach((p: ConfigProblem) => this.refuse(key, p.value, p.allowed));
        return found.all.length === 0;
    }

    raw(key: string): string | undefined {
        return this.values[`${PROJECT}:${key}`];
    }

    /** The value as its declared type; undefined (and a problem kept) when it is missing or not of that type. */
    private typed<T>(key: string, secret = false): T {
        const type = DECLARED_KEYS[key];
        if (type === undefined) {
            throw new Error(`the program reads ${key}, which DECLARED_KEYS (and Pulumi.yaml) do not declare`);
        }
        const raw = this.raw(key);
        const value = raw === undefined ? undefined : parse(type, raw);
        if (value === undefined) {
            this.refuse(key, secret && raw !== undefined ? NOT_SHOWN : raw, ALLOWED[type]);
        }
        return value as T;
    }

    string(key: string): string {
        return this.typed<string>(key);
    }

    /** Optional strings default to "" in Pulumi.yaml: empty means unset. */
    optional(key: string): string | undefined {
        const value = this.raw(key);
        return value === undefined || value === "" ? undefined : this.string(key);
    }

    /** An optional secret: a Pulumi secret (or, with `revealSecrets`, its plain value, for the checks only). */
    secret(key: string): pulumi.Input<string> | undefined {
        this.secretKeys.add(`${PROJECT}:${key}`);
        const value = this.raw(key);
        if (value === undefined || value === "") {
            return undefined;
        }
        const plain = this.typed<string>(key, true);
        return this.revealSecrets ? plain : pulumi.secret(plain);
    }

    integer(key: string): number {
        return this.typed<number>(key);
    }

    boolean(key: string): boolean {
        return this.typed<boolean>(key);
    }

    list<T extends string | number>(key: string): T[] {
        return this.typed<T[]>(key);
    }

    /** A list of "key=value" strings as a map (Pulumi.yaml declares no map type); undefined when empty. */
    keyValues(key: string): Record<string, string> | undefined {
        const map: Record<string, string> = {};
        (this.list<string>(key) ?? []).forEach((entry, i) => {
            const eq = entry.indexOf("=");
            const name = entry.slice(0, eq);
            if (eq <= 0) {
                this.refuse(`${key}[${i}]`, entry, 'a "key=value" pair such as "team=shop"');
            } else if (Object.prototype.hasOwnProperty.call(map, name)) {
                this.refuse(`${key}[${i}]`, entry, `a key not given before in the list (${name} is)`);
            } else {
                map[name] = entry.slice(eq + 1);
            }
        });
        return Object.keys(map).length > 0 ? map : undefined;
    }

    choice<E extends Record<string, string>>(key: string, choices: E): E[keyof E] {
        const value = this.string(key);
        const ok = value === undefined || this.check(key, () => checkEnum(key, value, choices));
        // A bad choice reads as unset: the problem is kept, and no unknown value reaches the component.
        return (ok ? value : undefined) as E[keyof E];
    }

    /** An optional choice: "" (the declared default) leaves the component's default. */
    optionalChoice<E extends Record<string, string>>(key: string, choices: E): E[keyof E] | undefined {
        return this.optional(key) === undefined ? undefined : this.choice(key, choices);
    }
}
