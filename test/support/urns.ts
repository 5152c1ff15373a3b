// The URNs a stack's resources get, and the URNs they answer to through aliases (their own and their ancestors'),
// for the stacks of URN_SCENARIOS. The engine matches a resource to its prior state by URN or by one of its
// aliases; a resource of the prior state matched by neither is deleted and created anew (a replacement).
import * as pulumi from "@pulumi/pulumi";
import type * as Components from "../../components";
import { minimalArgs, TUNNEL_TOKEN } from "./fixtures";
import { settled } from "./mocks";

/** A fixed clock: certificate resource names carry the renewal period, which must not move between runs. */
const CLOCK = "2026-12-04T00:00:00Z";
const REGISTRY = { server: "registry.example:5000", username: "ci", password: "not-a-real-password", pullSecret: true };

/** Stacks that together make every kind of resource each public component can create. */
export const URN_SCENARIOS: Record<string, (c: typeof Components, opts: pulumi.ComponentResourceOptions) => pulumi.ComponentResource> = {
    "TlsSidecarApp, the defaults": (c, opts) => new c.TlsSidecarApp("hello", minimalArgs({ tls: { clock: CLOCK } }), opts),
    "TlsSidecarApp, built images, a pull Secret, a tunnel to the proxy, client certificates, a NetworkPolicy, a PodDisruptionBudget": (c, opts) =>
        new c.TlsSidecarApp(
            "shop",
            minimalArgs({
                namespace: "shop",
                images: { registry: REGISTRY, platform: "linux/amd64" },
                tls: { clock: CLOCK, clientCertificates: ["billing"] },
                tunnel: { token: TUNNEL_TOKEN, hostname: "shop.example.com", origin: "proxy" as Components.TunnelOrigin },
                replicas: 3,
                networkPolicy: {},
            }),
            opts,
        ),
    "TlsSidecarApp, a bare Pod, an existing Secret, a LoadBalancer": (c, opts) =>
        new c.TlsSidecarApp(
            "bare",
            minimalArgs({ workloadKind: "Pod" as Components.WorkloadKind, tls: { existingSecretName: "bare-tls" }, service: { type: "LoadBalancer" as Components.ServiceType } }),
            opts,
        ),
    "TlsSidecarApp, in-place certificate rollout, a tunnel with its own Secret and no Service": (c, opts) =>
        new c.TlsSidecarApp(
            "inplace",
            minimalArgs({
                tls: { clock: CLOCK, rollout: "in-place" as Components.CertificateRollout },
                tunnel: { existingSecretName: "tunnel-token" },
                service: { type: "None" as Components.ServiceType },
            }),
            opts,
        ),
    "TlsSidecar with built images and a pull Secret": (c, opts) =>
        new c.TlsSidecar("adopt", { serviceName: "adopt", images: { registry: REGISTRY, platform: "linux/amd64" }, tls: { clock: CLOCK } }, opts),
    "SidecarWorkload on its own": (c, opts) =>
        new c.SidecarWorkload(
            "solo",
            { namespace: "default", serviceName: "solo", app: { image: "nginx:1.27", port: 80 }, proxyImage: "proxy@sha256:aaa", initImage: "init@sha256:bbb", secretName: "solo-tls", replicas: 2 },
            opts,
        ),
    "CloudflareTunnelSidecar on its own": (c, opts) => new c.CloudflareTunnelSidecar("edge", { namespace: "default", token: TUNNEL_TOKEN, originService: "http://127.0.0.1:8080" }, opts),
};

/** A resource of a run: its URN and every URN the engine would match it to in the prior state. */
export interface RunResource {
    urn: string;
    answersTo: string[];
}

interface Seen {
    resource: pulumi.Resource;
    name: string;
    type: string;
    parent?: pulumi.Resource;
    aliases: pulumi.Input<string | pulumi.Alias>[];
}

/** `urn:pulumi:<stack>::<project>::<type chain>::<name>`, as the engine makes it. */
function urnOf(typeChain: string, name: string): string {
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${typeChain}::${name}`;
}

/** The type chain of a URN: its parents' types and its own, joined by `$`. */
function typeChainOf(urn: string): string {
    return urn.split("::")[2];
}

/**
 * Builds one scenario and answers with its resources. URNs are made as the engine makes them, with the whole chain of
 * parent types (the mock monitor keeps only the nearest parent's). A resource answers to its URN, to its aliases
 * and, as the engine derives them, to its URN under each URN its parent answers to.
 */
export async function runScenario(c: typeof Components, build: (c: typeof Components, opts: pulumi.ComponentResourceOptions) => pulumi.ComponentResource): Promise<RunResource[]> {
    const seen: Seen[] = [];
    // Passed to the top component, so it runs for every resource under it too, after the component's own.
    const record: pulumi.ResourceTransformation = (a) => {
        seen.push({ resource: a.resource, name: a.name, type: a.type, parent: a.opts.parent, aliases: [...((a.opts.aliases as pulumi.Input<string | pulumi.Alias>[] | undefined) ?? [])] });
        return undefined;
    };
    const top = build(c, { transformations: [record] });
    // Every resource registered: the outputs of all of them resolved.
    await Promise.all([top, ...seen.map((s) => s.resource)].map((r) => settled(r.urn)));
    const urns = new Map<pulumi.Resource, string>();
    const answers = new Map<pulumi.Resource, string[]>();
    // Parents are constructed before their children: `seen` is in that order.
    for (const s of seen) {
        const parentUrn = s.parent === undefined ? undefined : urns.get(s.parent);
        const urn = urnOf(parentUrn === undefined ? s.type : `${typeChainOf(parentUrn)}$${s.type}`, s.name);
        urns.set(s.resource, urn);
        const explicit: string[] = [];
        for (const input of s.aliases) {
            const alias = (await settled(pulumi.output(input))) as string | pulumi.Alias;
            if (typeof alias === "string") {
                explicit.push(alias);
                continue;
            }
            const name = await settled(pulumi.output(alias.name ?? s.name));
            const type = await settled(pulumi.output(alias.type ?? s.type));
            const parent = alias.parent === undefined ? parentUrn : urns.get(alias.parent as pulumi.Resource);
            if (alias.parent !== undefined && parent === undefined) throw new Error(`${s.type}::${s.name}: an alias's parent must be a resource of the stack`);
            explicit.push(urnOf(parent === undefined ? type : `${typeChainOf(parent)}$${type}`, name));
        }
        const parentAliases = s.parent === undefined ? [] : answers.get(s.parent)!.filter((u) => u !== parentUrn);
        const inherited = parentAliases.map((p) => urnOf(`${typeChainOf(p)}$${s.type}`, s.name));
        answers.set(s.resource, [...new Set([urn, ...explicit, ...inherited])]);
    }
    return seen.map((s) => ({ urn: urns.get(s.resource)!, answersTo: answers.get(s.resource)! }));
}
