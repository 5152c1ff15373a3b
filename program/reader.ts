// Reads config values by their declared type and keeps every problem instead of stopping at the first, so one run
// reports all bad keys. A bad value reads as undefined; the problem names the key, the value and what is allowed.
import * as pulumi from "@pulumi/pulumi";
import { ConfigProblem, Problems, SECRET_NOT_SHOWN } from "../components/validation";

/** The namespace of the program's config keys: `tls-sidecar:<key>`. */
export const PROJECT = "tls-sidecar";

/** The type Pulumi.yaml declares for a key; values reach the program as strings (lists as JSON). */
export type ConfigType = "string" | "integer" | "boolean" | "string[]" | "integer[]";

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
     * `declared`: each key's declared type, which its value is read as.
     * `revealSecrets`: read secrets as the plain strings they are when the program starts, to check them before
     * anything is registered; the arguments then given to the component read them as secret Outputs.
     */
    constructor(
        private readonly values: Record<string, string>,
        private readonly declared: Readonly<Record<string, ConfigType>>,
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
        const type = this.declared[key];
        if (type === undefined) {
            throw new Error(`the program reads ${key}, which the table of config keys (and Pulumi.yaml) does not declare`);
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
}
