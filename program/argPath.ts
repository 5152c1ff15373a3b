// Paths of TlsSidecarApp's arguments, as the table of config keys names them (`proxy.resources.cpuLimit`), and
// putting a value at one.
import * as pulumi from "@pulumi/pulumi";
import { TlsSidecarAppArgs } from "../components";

type Resolved<T> = NonNullable<T extends pulumi.Output<infer U> ? U : T extends Promise<infer U> ? U : T>;
type Leaf = string | number | boolean | unknown[];

/** The dotted paths into T, at most four levels deep (deeper ones are lists and Kubernetes types no key sets). */
type PathsOf<T, Depth extends unknown[] = []> = Depth["length"] extends 4
    ? never
    : { [K in keyof T & string]-?: Resolved<T[K]> extends Leaf ? K : K | `${K}.${PathsOf<Resolved<T[K]>, [...Depth, 1]>}` }[keyof T & string];

/** A path into TlsSidecarAppArgs; TypeScript refuses a misspelt one. */
export type ArgPath = PathsOf<TlsSidecarAppArgs>;

/**
 * Puts `value` at `path` in `target`, making the objects on the way; values of two keys with one path add up (lists).
 * An unset value makes nothing, so that a group of keys left unset reaches the component as no argument at all.
 */
export function place(target: Record<string, unknown>, path: string, value: unknown): void {
    if (value === undefined) return;
    const names = path.split(".");
    const last = names.pop()!;
    const parent = names.reduce((at, name) => (at[name] ??= {}) as Record<string, unknown>, target);
    const before = parent[last];
    parent[last] = Array.isArray(before) && Array.isArray(value) ? [...before, ...value] : (value ?? before);
}
