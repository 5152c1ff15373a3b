// Mocks that answer as the real providers would: computed outputs (Service nodePort, Image repoDigest,
// certificate PEMs and lifetimes, auto-names) are supplied, so nothing under test sees `undefined` where an engine
// would give a value. Every registered resource is recorded with its inputs for the tests to inspect.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tlsEngine from "./tlsEngine";

export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs with secrets revealed. */
    inputs: any;
    /** Paths (e.g. `stringData`, `registry.password`) whose input arrived as a Pulumi secret. */
    secretPaths: string[];
    state: any;
    id: string;
    /**
     * What an engine holding the previous run's state would do (with a `prior` run): "same" when a resource of this
     * type and name had exactly these inputs (its previous outputs are returned, nothing changes), "changed" when
     * its inputs differ (the provider updates or replaces it), "create" when it is new.
     */
    step: "same" | "changed" | "create";
}

const NODE_PORT_FIRST = 30000;
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Unwraps the engine's secret envelopes, noting where they were. */
function reveal(value: any, at: string, secretPaths: string[]): any {
    if (value !== null && typeof value === "object") {
        if (value[SIG_KEY] === SECRET_SIG) {
            secretPaths.push(at);
            return reveal(value.value, at, []);
        }
        if (Array.isArray(value)) {
            return value.map((v, i) => reveal(v, `${at}[${i}]`, secretPaths));
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v, at === "" ? k : `${at}.${k}`, secretPaths)]));
    }
    return value;
}

function digestOf(value: unknown): string {
    return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

/** `host:5000/repo/x:tag` → `host:5000/repo/x` (a tag is after the last '/'). */
function repositoryOf(imageName: string): string {
    const slash = imageName.lastIndexOf("/");
    const colon = imageName.lastIndexOf(":");
    return colon > slash ? imageName.slice(0, colon) : imageName;
}

/**
 * Images that were really built and pushed under the name a docker.Image asks for (`registry/repo/x:tag` →
 * its sha256 digest), as the real provider's push would report them. The e2e pushes the proxy and init images
 * to a real registry and records them here, so the rendered pods name what the node can pull; any other
 * docker.Image gets a digest derived from its inputs.
 */
export const pushedImages = new Map<string, string>();

/** JSON with object keys sorted, to compare inputs as values. */
export function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v) =>
        v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
    );
}

export class EngineMocks implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    /** What a cloud's controller puts in a LoadBalancer Service's status.loadBalancer.ingress; [] for none yet. */
    loadBalancerIngress: { ip?: string; hostname?: string }[] = [{ ip: "198.51.100.7" }];
    private nextNodePort = NODE_PORT_FIRST + 443;

    /** `prior`: the resources of the previous run of the same stack, i.e. the state an engine would diff against. */
    constructor(private readonly prior: RecordedResource[] = []) {}

    newResource(raw: pulumi.runtime.MockResourceArgs): { id: string; state: any } {
        const secretPaths: string[] = [];
        const args = { ...raw, inputs: reveal(raw.inputs, "", secretPaths) };
        const before = this.prior.find((r) => r.type === args.type && r.name === args.name);
        if (before !== undefined && canonical(before.inputs) === canonical(args.inputs)) {
            // No diff: the engine keeps the resource and hands the program its recorded outputs.
            this.resources.push({ ...before, secretPaths, step: "same" });
            return { id: before.id, state: before.state };
        }
        const state = this.computed(args, before);
        const id = state.metadata?.name ?? `${args.name}-id`;
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, secretPaths, state, id, step: before === undefined ? "create" : "changed" });
        return { id, state };
    }

    /** Resources of the prior run that this run no longer declares: the engine would delete them. */
    deleted(): RecordedResource[] {
        return this.prior.filter((p) => !this.resources.some((r) => r.type === p.type && r.name === p.name));
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of a type; fails when there are none or several. */
    one(type: string): RecordedResource {
        const found = this.ofType(type);
        if (found.length !== 1) {
            throw new Error(`expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0];
    }

    private computed(args: pulumi.runtime.MockResourceArgs, before?: RecordedResource): any {
        const inputs = args.inputs;
        switch (args.type) {
            case "docker:index/image:Image":
                return { ...inputs, repoDigest: `${repositoryOf(inputs.imageName)}@${pushedImages.get(inputs.imageName) ?? `sha256:${digestOf(inputs)}`}` };
            case "tls:index/privateKey:PrivateKey":
                return { ...inputs, ...tlsEngine.privateKey(inputs) };
            case "tls:index/certRequest:CertRequest":
                return { ...inputs, ...tlsEngine.certRequest(inputs) };
            case "tls:index/selfSignedCert:SelfSignedCert":
                return { ...inputs, ...tlsEngine.selfSignedCert(inputs) };
            case "tls:index/locallySignedCert:LocallySignedCert":
                return { ...inputs, ...tlsEngine.locallySignedCert(inputs) };
            case "kubernetes:core/v1:Service": {
                const state = this.kubernetesObject(args, before);
                // As the API server: node ports only for NodePort and LoadBalancer Services (the default type is ClusterIP).
                const allocates = ["NodePort", "LoadBalancer"].includes(state.spec?.type);
                const ports = (state.spec?.ports ?? []).map((p: any) => (allocates ? { ...p, nodePort: p.nodePort ?? this.nextNodePort++ } : p));
                const status = state.spec?.type === "LoadBalancer" ? { loadBalancer: { ingress: this.loadBalancerIngress } } : { loadBalancer: {} };
                return { ...state, spec: { ...state.spec, ports, clusterIP: "10.96.0.10" }, status };
            }
            default:
                return args.type.startsWith("kubernetes:") ? this.kubernetesObject(args, before) : inputs;
        }
    }

    /**
     * Kubernetes objects without metadata.name are auto-named `<name>-<suffix>`, as the provider does. An update keeps
     * the name; a replacement (see `replacedBy`) is a new object with a new auto-name.
     */
    private kubernetesObject(args: pulumi.runtime.MockResourceArgs, before?: RecordedResource): any {
        const metadata = args.inputs.metadata ?? {};
        const kept = before !== undefined && !replacedBy(args.type, before.inputs, args.inputs) ? before.state.metadata?.name : undefined;
        const name = metadata.name ?? kept ?? `${args.name}-${digestOf([args.name, args.inputs]).slice(0, 8)}`;
        return { ...args.inputs, metadata: { ...metadata, name } };
    }
}

/**
 * Whether @pulumi/kubernetes replaces (rather than updates) an object for this change: a Secret's data or type
 * (Secrets are immutable to it unless `enableSecretMutable`), a Pod's spec (mostly immutable in Kubernetes).
 */
export function replacedBy(type: string, before: any, after: any): boolean {
    const differs = (key: string) => canonical(before?.[key]) !== canonical(after?.[key]);
    switch (type) {
        case "kubernetes:core/v1:Secret":
            return differs("data") || differs("stringData") || differs("type");
        case "kubernetes:core/v1:Pod":
            return differs("spec");
        default:
            return false;
    }
}

/** True when the value at `path` arrived as a secret, or inside one. */
export function isSecretAt(resource: RecordedResource, path: string): boolean {
    return resource.secretPaths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

/** Resolves an Output's value (secret or not); undefined stays undefined. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** An Output's value, rejecting when the Output failed (an error thrown in an apply). */
export function settled<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

const SETTLE_LIMIT_MS = 10_000;

/**
 * Waits (at most SETTLE_LIMIT_MS) for the resource operations a previous test left running: a component registers
 * its outputs after its constructor returns, and a test may end before; installed on the next test's mocks, that
 * operation would fail on a resource those mocks never saw.
 */
export async function previousRunSettled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_LIMIT_MS)));
    try {
        // As a program ends: wait for the outstanding resource operations, then let go of the mock monitor.
        await Promise.race([pulumi.runtime.disconnect(), limit]);
    } finally {
        clearTimeout(timer);
    }
}

/** Installs fresh mocks (for `project`'s stack). Call before importing code that creates resources. */
export async function installMocks(stack = "test", preview = false, prior: RecordedResource[] = [], project = "tls-sidecar"): Promise<EngineMocks> {
    await previousRunSettled();
    const mocks = new EngineMocks(prior);
    await pulumi.runtime.setMocks(mocks, project, stack, preview);
    return mocks;
}
