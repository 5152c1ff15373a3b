// Reads the stack's configuration into TlsSidecarApp's arguments, row by row of the table of config keys
// (configKeys.ts): each row's reader puts its value at its path. Problems are kept in the reader, not thrown, so
// that the program can report them all at once.
import { Images, TlsSidecarAppArgs } from "../components";
import { place } from "./argPath";
import { CONFIG_KEYS, ConfigKey } from "./configKeys";
import { ConfigReader } from "./reader";
import { Gate } from "./readers";

/** A gate read as false (or unreadable): the keys under its path are not read, but for those it `needs`, refused when set. */
interface ClosedGate {
    row: ConfigKey;
    needs: readonly string[];
    /** The keys it needs that are set nonetheless. */
    set: string[];
    /** False when the gate could not be read: the reader's problem says why, and nothing more is refused. */
    refuses: boolean;
}

/** "a", "a or b", "a, b or c". */
function either(keys: readonly string[]): string {
    return keys.length === 1 ? keys[0] : `${keys.slice(0, -1).join(", ")} or ${keys[keys.length - 1]}`;
}

/** Refuses a closed gate whose keys are set: it is a mistake, not something to ignore. */
function refuseUnneeded(read: ConfigReader, gate: ClosedGate): void {
    const lists = gate.needs.every((key) => CONFIG_KEYS.find((k) => k.key === key)?.type.endsWith("[]"));
    read.refuse(gate.row.key, false, `true when ${either(gate.needs)} is set (or ${lists ? "empty" : "unset"} them)`);
}

/** With none of its fields set, the app's security context is left to the component (the image's own user). */
function withoutEmptySecurityContext(app: TlsSidecarAppArgs["app"] | undefined): void {
    if (app?.securityContext !== undefined && Object.values(app.securityContext).every((v) => v === undefined)) {
        delete app.securityContext;
    }
}

/** Images are built and pushed (registry, repository, tag…) or prebuilt; nothing is pushed then, and the registry keys only make the pull Secret, when asked for. */
function builtOrPrebuilt({ prebuilt, registry, ...built }: Images = {}): Images {
    if (prebuilt?.proxy === undefined && prebuilt?.init === undefined) {
        return { registry, ...built };
    }
    return { prebuilt: { proxy: prebuilt.proxy ?? "", init: prebuilt.init ?? "" }, registry: registry?.pullSecret === true ? registry : undefined };
}

/**
 * Reads the gates: an open one puts an empty object at its path, for the keys under it to fill; a closed one is
 * returned.
 */
function readGates(read: ConfigReader, values: Record<string, unknown>): ClosedGate[] {
    const closed: ClosedGate[] = [];
    for (const row of CONFIG_KEYS) {
        if (!(row.read instanceof Gate)) continue;
        const on = read.boolean(row.key);
        if (on) place(values, row.path, {});
        else closed.push({ row, needs: row.read.needs, set: [], refuses: on === false });
    }
    return closed;
}

/** Reads the stack's configuration into the component's arguments; bad values read as undefined, with a problem kept. */
export function argsFromConfig(read: ConfigReader): { name: string; args: TlsSidecarAppArgs } {
    const values: Record<string, unknown> = {};
    const closed = readGates(read, values);
    for (const row of CONFIG_KEYS) {
        if (row.read instanceof Gate) continue;
        const gate = closed.find((g) => row.path.startsWith(`${g.row.path}.`));
        if (gate === undefined) {
            place(values, row.path, row.read(read, row.key));
        } else if (gate.needs.includes(row.key) && row.read(read, row.key) !== undefined) {
            gate.set.push(row.key);
        }
    }
    closed.filter((gate) => gate.refuses && gate.set.length > 0).forEach((gate) => refuseUnneeded(read, gate));
    // The table's paths are TlsSidecarAppArgs's (ArgPath), and each reader gives its argument's type.
    const args = values as unknown as TlsSidecarAppArgs;
    withoutEmptySecurityContext(args.app);
    args.images = builtOrPrebuilt(args.images);
    return { name: args.serviceName!, args };
}
