// What every component's checks share: ConfigError, naming each bad argument, its value and what is allowed;
// Problems, gathering them so one error names them all; checked(), for values given as Outputs; and the checks of
// common values (ports, Kubernetes names, hosts, addresses).
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";

/** One bad argument: its path (e.g. `proxy.port`), the value it got and what is allowed. */
export interface ConfigProblem {
    path: string;
    value: unknown;
    allowed: string;
}

/** Shown instead of a secret's value. */
export const SECRET_NOT_SHOWN = "(a secret value, not shown)";

export function describeProblem(p: ConfigProblem): string {
    return `${p.path}: ${describe(p.value)} is not allowed; expected ${p.allowed}`;
}

/**
 * Bad arguments: names each argument (`path`, e.g. `proxy.port`), the value it got and what is allowed.
 * Thrown from a component's constructor before any child resource is created. `path`, `value` and `allowed` are
 * the first problem's; `problems` holds every problem found, so one run reports them all.
 */
export class ConfigError extends Error {
    readonly problems: ConfigProblem[];

    constructor(
        readonly path: string,
        readonly value: unknown,
        readonly allowed: string,
        ...more: ConfigProblem[]
    ) {
        const problems = [{ path, value, allowed }, ...more];
        super(problems.length === 1 ? describeProblem(problems[0]) : `${problems.length} problems:\n${problems.map((p) => `  ${describeProblem(p)}`).join("\n")}`);
        this.name = "ConfigError";
        this.problems = problems;
    }

    /** One error carrying all of `problems` (at least one). */
    static of(problems: ConfigProblem[]): ConfigError {
        const [first, ...more] = problems;
        return new ConfigError(first.path, first.value, first.allowed, ...more);
    }
}

/** Gathers the problems of independent checks, so that one ConfigError reports them all. */
export class Problems {
    private readonly found: ConfigProblem[] = [];

    /** Runs a check and keeps the problems of a ConfigError it throws; false when it threw one. Other errors pass. */
    check(run: () => void): boolean {
        try {
            run();
            return true;
        } catch (e) {
            if (e instanceof ConfigError) {
                this.found.push(...e.problems);
                return false;
            }
            throw e;
        }
    }

    add(problem: ConfigProblem): void {
        this.found.push(problem);
    }

    get all(): readonly ConfigProblem[] {
        return this.found;
    }

    /** Throws one ConfigError with every problem kept, if there is any. */
    throwIfAny(): void {
        if (this.found.length > 0) {
            throw ConfigError.of(this.found);
        }
    }
}

function describe(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (value === undefined) {
        return "a missing value";
    }
    return JSON.stringify(value) ?? String(value);
}

/** True when the input's value is available now, i.e. not an Output or a Promise. */
export function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
    return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** Checks of Outputs gathered while a component's arguments are validated (see lateChecks.ts); undefined outside. */
let collecting: pulumi.Output<ConfigProblem[]>[] | undefined;

/**
 * Runs `validate`, which throws a ConfigError for the problems of values known now, and returns the checks that
 * checked() deferred until Outputs resolve: each resolves to the problems it found (none when the value is good).
 */
export function collectLateChecks(validate: () => void): pulumi.Output<ConfigProblem[]>[] {
    const outer = collecting;
    const late: pulumi.Output<ConfigProblem[]>[] = [];
    collecting = late;
    try {
        validate();
    } finally {
        collecting = outer;
    }
    return late;
}

/** Runs `validate` with the problems of its late checks renamed, for a caller that names its arguments otherwise. */
export function renamingLateChecks(validate: () => void, rename: (p: ConfigProblem) => ConfigProblem): void {
    const late = collectLateChecks(validate);
    if (late.length > 0 && collecting === undefined) {
        throw new Error("renamingLateChecks() outside collectLateChecks(): its late problems would have nowhere to go");
    }
    late.forEach((problems) => collecting!.push(problems.apply((found) => found.map(rename))));
}

/**
 * Runs `check` on the input now when its value is known. An Output is checked when it resolves, by a check that
 * collectLateChecks hands to the component, so that a problem then fails the component instead of escaping as an
 * unhandled rejection. Values from stack config are always known, so their errors surface before anything is created.
 */
export function checked<T>(value: pulumi.Input<T>, check: (v: T) => void): void {
    if (isKnown(value)) {
        check(value);
        return;
    }
    if (collecting === undefined) {
        throw new Error("checked() was given an Output outside collectLateChecks(): its problem would have nowhere to go");
    }
    collecting.push(
        pulumi.output(value).apply((v) => {
            const found = new Problems();
            found.check(() => check(v as T));
            return [...found.all];
        }),
    );
}

export function checkPort(path: string, value: unknown): void {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
        throw new ConfigError(path, value, "an integer port from 1 to 65535");
    }
}

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export function checkNodePort(path: string, value: unknown): void {
    if (!Number.isInteger(value) || (value as number) < NODE_PORT_MIN || (value as number) > NODE_PORT_MAX) {
        throw new ConfigError(path, value, `an integer from ${NODE_PORT_MIN} to ${NODE_PORT_MAX} (the default NodePort range)`);
    }
}

export function checkPositiveInteger(path: string, value: unknown, max?: number): void {
    if (!Number.isInteger(value) || (value as number) < 1 || (max !== undefined && (value as number) > max)) {
        throw new ConfigError(path, value, max === undefined ? "a positive integer" : `an integer from 1 to ${max}`);
    }
}

export function checkIntegerRange(path: string, value: unknown, min: number, max: number, why = ""): void {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
        throw new ConfigError(path, value, `an integer from ${min} to ${max}${why}`);
    }
}

/** A boolean or unset; anything else is kept as a problem. */
export function checkBoolean(path: string, value: unknown, problems: Problems): void {
    if (value !== undefined && typeof value !== "boolean") problems.add({ path, value, allowed: "true or false" });
}

export function checkNonNegativeInteger(path: string, value: unknown): void {
    if (!Number.isInteger(value) || (value as number) < 0) {
        throw new ConfigError(path, value, "an integer of 0 or more");
    }
}

export function checkEnum<E extends Record<string, string>>(path: string, value: unknown, choices: E): void {
    const allowed = Object.values(choices);
    if (typeof value !== "string" || !allowed.includes(value)) {
        throw new ConfigError(path, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
    }
}

export function checkNonEmptyString(path: string, value: unknown): void {
    if (typeof value !== "string" || value.trim() === "") {
        throw new ConfigError(path, value, "a non-empty string");
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Kubernetes DNS-1123 label: namespaces and Service names. */
export function checkDnsLabel(path: string, value: unknown): void {
    if (typeof value !== "string" || !DNS_LABEL.test(value)) {
        throw new ConfigError(path, value, "a DNS-1123 label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit");
    }
}

const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes object name (DNS-1123 subdomain): Secrets, ConfigMaps, ServiceAccounts, PersistentVolumeClaims, PriorityClasses. */
export function checkObjectName(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 253 || !OBJECT_NAME.test(value)) {
        throw new ConfigError(path, value, "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
}

/** A Service name must also start with a letter (DNS-1035). */
export function checkServiceName(path: string, value: unknown): void {
    if (typeof value !== "string" || !DNS_LABEL.test(value) || !/^[a-z]/.test(value)) {
        throw new ConfigError(path, value, "a DNS-1035 label: at most 63 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit");
    }
}

/** A hostname for a certificate's SAN: RFC 1123 labels, optionally one leading wildcard label. */
export function checkHostname(path: string, value: unknown): void {
    const ok =
        typeof value === "string" &&
        value.length <= 253 &&
        net.isIP(value) === 0 &&
        value
            .split(".")
            .every((label, i) => (i === 0 && label === "*" && value.includes(".")) || /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i.test(label));
    if (!ok) {
        throw new ConfigError(path, value, "a DNS name such as \"app.example.com\" (letters, digits, '-' and '.', labels of at most 63 characters, an optional leading \"*.\")");
    }
}

export function checkIpAddress(path: string, value: unknown): void {
    if (typeof value !== "string" || net.isIP(value) === 0) {
        throw new ConfigError(path, value, "an IPv4 or IPv6 address such as \"192.0.2.10\" or \"2001:db8::10\"");
    }
}

/** An IPv4 or IPv6 CIDR such as "203.0.113.0/24" or "2001:db8::/32". */
export function checkCidr(path: string, value: unknown): void {
    const [address, prefix, ...rest] = typeof value === "string" ? value.split("/") : [];
    const family = net.isIP(address ?? "");
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
        throw new ConfigError(path, value, 'a CIDR such as "203.0.113.0/24" or "2001:db8::/32" (an address, "/" and a prefix length of at most 32 for IPv4, 128 for IPv6)');
    }
}

/** A host for the URL: either a DNS name or an IP address. */
export function checkHost(path: string, value: unknown): void {
    if (typeof value === "string" && net.isIP(value) !== 0) {
        return;
    }
    try {
        checkHostname(path, value);
    } catch {
        throw new ConfigError(path, value, "a DNS name or an IP address");
    }
}
