// The NetworkPolicy (opt-in, networking.k8s.io/v1) that selects exactly the component's pods and lets in only the TLS
// port and the proxy's admin port (and ports the user opens). With `service` interception it closes the in-cluster
// plaintext path to the app's port, on clusters whose CNI enforces NetworkPolicy. Egress is left alone.
import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { InterceptionMode, PortProtocol } from "../enums";
import type { StringMap } from "../pod/labels";
import { checkLabelSelector, LabelSelector } from "../pod/scheduling";
import { checkCidr, checked, checkEnum, checkPort, isKnown, Problems } from "../validation";

/** An address range: `cidr`, less the ranges in `except`. */
export interface IpBlock {
    /** An IPv4 or IPv6 CIDR, e.g. "10.0.0.0/8". */
    cidr: pulumi.Input<string>;
    /** CIDRs inside `cidr` to leave out. */
    except?: pulumi.Input<string>[];
}

/** @deprecated Renamed `IpBlock`: every SDK adds its own `Args` (Python `IpBlockArgs`). Kept for existing TypeScript programs. */
export type IpBlockArgs = IpBlock;

/**
 * A source allowed in: `ipBlock` alone, or `namespaceSelector` and/or `podSelector` (both: the selected pods of the
 * selected namespaces; `podSelector` alone: pods of the pods' own namespace). `{}` as a selector selects everything,
 * e.g. `{ namespaceSelector: {} }` is every pod of the cluster.
 */
export interface NetworkPolicyPeer {
    /** e.g. `{ matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }`. */
    namespaceSelector?: LabelSelector;
    podSelector?: LabelSelector;
    /** Addresses from outside the pod network too (a load balancer's or a NodePort's clients, after any SNAT). */
    ipBlock?: IpBlock;
}

/** @deprecated Renamed `NetworkPolicyPeer`: every SDK adds its own `Args` (Python `NetworkPolicyPeerArgs`). Kept for existing TypeScript programs. */
export type NetworkPolicyPeerArgs = NetworkPolicyPeer;

/** Another port of the pod to let in, e.g. a metrics port of `app.ports`. */
export interface NetworkPolicyPort {
    /** One of `app.ports`' `containerPort`s (never the tunnel's metrics port). */
    port: pulumi.Input<number>;
    /** Default TCP. */
    protocol?: PortProtocol;
    /** Default: every source. */
    from?: NetworkPolicyPeer[];
}

/** @deprecated Renamed `NetworkPolicyPort`: every SDK adds its own `Args` (Python `NetworkPolicyPortArgs`). Kept for existing TypeScript programs. */
export type NetworkPolicyPortArgs = NetworkPolicyPort;

/**
 * A NetworkPolicy for the pods: set (even to `{}`) to create one. Traffic from the pod's own node (the kubelet's
 * probes) is always allowed by NetworkPolicy's rules, whatever these say.
 */
export interface NetworkPolicy {
    /** Who may connect to the TLS port. Default: every source, in the cluster and outside; not an empty list. */
    from?: NetworkPolicyPeer[];
    /**
     * Who may reach the proxy's admin port (`/healthz`, `/readyz`, `/metrics`), e.g. Prometheus' namespace. Default: the
     * same as `from`; `[]` for no one but the node.
     */
    adminFrom?: NetworkPolicyPeer[];
    /** Other ports of the pod to let in, each from its own sources. Default: none; every other port is closed. */
    ports?: NetworkPolicyPort[];
}

/** @deprecated Renamed `NetworkPolicy`: every SDK adds its own `Args` (Python `NetworkPolicyArgs`). Kept for existing TypeScript programs. */
export type NetworkPolicyArgs = NetworkPolicy;

type PeerInput = k8s.types.input.networking.v1.NetworkPolicyPeer;
type RuleInput = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

/** The pod's ports and how traffic reaches the proxy. */
export interface PolicyPorts {
    appPort: pulumi.Input<number>;
    proxyPort: pulumi.Input<number>;
    adminPort: pulumi.Input<number>;
    interception: InterceptionMode;
    /** cloudflared's metrics port, when there is a tunnel: never opened (see checkNetworkPolicyArgs). */
    tunnelMetricsPort?: pulumi.Input<number>;
}

const tcp = (port: pulumi.Input<number>) => ({ protocol: PortProtocol.Tcp, port });

function peers(from: NetworkPolicyPeer[] | undefined): PeerInput[] | undefined {
    return from === undefined || from.length === 0 ? undefined : from;
}

/**
 * The TLS ports: with `service` interception the proxy's only. With iptables interception `app.port` too: the CNI
 * checks a packet before the pod's own nat PREROUTING redirects it to the proxy, so it still sees `app.port` there
 * (and that port answers only in TLS).
 */
export function tlsPorts(ports: PolicyPorts): pulumi.Input<number>[] {
    return ports.interception === InterceptionMode.Iptables ? [ports.appPort, ports.proxyPort] : [ports.proxyPort];
}

/** The ingress rules: the TLS ports from `from`, the admin port from `adminFrom` (none for `[]`), then `ports`. */
export function networkPolicyRules(policy: NetworkPolicy, ports: PolicyPorts): RuleInput[] {
    const admin = policy.adminFrom ?? policy.from;
    const rules: RuleInput[] = [{ ports: tlsPorts(ports).map(tcp), from: peers(policy.from) }];
    if (admin === undefined || admin.length > 0) {
        rules.push({ ports: [tcp(ports.adminPort)], from: peers(admin) });
    }
    for (const extra of policy.ports ?? []) {
        rules.push({ ports: [{ protocol: extra.protocol ?? PortProtocol.Tcp, port: extra.port }], from: peers(extra.from) });
    }
    return rules;
}

/** The policy: exactly the pods of `selector`, ingress only (the pods' outbound traffic is not restricted). */
export function sidecarNetworkPolicy(name: string, namespace: pulumi.Input<string>, labels: StringMap, selector: StringMap, policy: NetworkPolicy, ports: PolicyPorts, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy {
    return new k8s.networking.v1.NetworkPolicy(
        name,
        { metadata: { namespace, labels }, spec: { podSelector: { matchLabels: selector }, policyTypes: ["Ingress"], ingress: networkPolicyRules(policy, ports) } },
        opts,
    );
}

/** `address/prefix` → its family, prefix length and network, for the containment check of `except`. */
function parseCidr(cidr: string): { family: 4 | 6; prefix: number; address: string } {
    const [address, prefix] = cidr.split("/");
    return { family: net.isIPv4(address) ? 4 : 6, prefix: Number(prefix), address };
}

function checkIpBlock(at: string, b: IpBlock, problems: Problems): void {
    const cidrOk = problems.check(() => checked(b.cidr, (v) => checkCidr(`${at}.cidr`, v)));
    (b.except ?? []).forEach((e, i) => {
        const path = `${at}.except[${i}]`;
        if (!problems.check(() => checked(e, (v) => checkCidr(path, v))) || !cidrOk || !isKnown(b.cidr) || !isKnown(e)) {
            return;
        }
        const outer = parseCidr(b.cidr);
        const inner = parseCidr(e);
        const list = new net.BlockList();
        list.addSubnet(outer.address, outer.prefix, outer.family === 4 ? "ipv4" : "ipv6");
        if (inner.family !== outer.family || inner.prefix <= outer.prefix || !list.check(inner.address, inner.family === 4 ? "ipv4" : "ipv6")) {
            problems.add({ path, value: e, allowed: `a CIDR strictly inside ${at}.cidr (${b.cidr}), of the same address family` });
        }
    });
}

function checkPeers(at: string, from: NetworkPolicyPeer[] | undefined, problems: Problems): void {
    (from ?? []).forEach((peer, i) => {
        const pat = `${at}[${i}]`;
        const selectors = peer.namespaceSelector !== undefined || peer.podSelector !== undefined;
        if (peer.ipBlock !== undefined && selectors) {
            problems.add({ path: pat, value: Object.keys(peer), allowed: "ipBlock alone, or namespaceSelector and/or podSelector (a peer is one or the other; give two peers for both)" });
        } else if (peer.ipBlock === undefined && !selectors) {
            problems.add({ path: pat, value: Object.keys(peer), allowed: "one of ipBlock, namespaceSelector, podSelector ({} as a selector selects everything)" });
        }
        if (peer.ipBlock !== undefined) checkIpBlock(`${pat}.ipBlock`, peer.ipBlock, problems);
        checkLabelSelector(`${pat}.namespaceSelector`, peer.namespaceSelector, problems);
        checkLabelSelector(`${pat}.podSelector`, peer.podSelector, problems);
    });
}

/**
 * `networkPolicy`: its peers well formed, `from` not an empty list, and each of `ports` a port of the pod other than
 * the ones the policy already handles (`openable`: the app's other ports by value, e.g. `app.ports`).
 */
export function checkNetworkPolicyArgs(policy: NetworkPolicy | undefined, ports: PolicyPorts, openable: pulumi.Input<number>[], problems: Problems): void {
    if (policy === undefined) {
        return;
    }
    if (policy.from !== undefined && policy.from.length === 0) {
        problems.add({ path: "networkPolicy.from", value: [], allowed: "at least one source, or leave networkPolicy.from unset for every source (an empty list would read as either)" });
    }
    checkPeers("networkPolicy.from", policy.from, problems);
    checkPeers("networkPolicy.adminFrom", policy.adminFrom, problems);
    const known = openable.filter(isKnown);
    (policy.ports ?? []).forEach((extra, i) => {
        const at = `networkPolicy.ports[${i}]`;
        if (extra.protocol !== undefined) problems.check(() => checkEnum(`${at}.protocol`, extra.protocol, PortProtocol));
        checkPeers(`${at}.from`, extra.from, problems);
        if (!problems.check(() => checked(extra.port, (v) => checkPort(`${at}.port`, v))) || !isKnown(extra.port)) {
            return;
        }
        if (isKnown(ports.appPort) && extra.port === ports.appPort && ports.interception === InterceptionMode.Service) {
            problems.add({ path: `${at}.port`, value: extra.port, allowed: `a port other than app.port (${ports.appPort}) with service interception: it is the app's plaintext port, which the policy is there to close` });
        } else if (ports.tunnelMetricsPort !== undefined && extra.port === ports.tunnelMetricsPort) {
            // Only the node (the kubelet's probes) needs it, and NetworkPolicy always lets the node in.
            problems.add({ path: `${at}.port`, value: extra.port, allowed: `a port other than tunnel.metricsPort (${ports.tunnelMetricsPort}): cloudflared serves /config (the tunnel's ingress and origin settings), /diag/* and /debug/pprof/ there besides /metrics, so the policy keeps it closed` });
        } else if ([...tlsPorts(ports), ports.adminPort].includes(extra.port)) {
            problems.add({ path: `${at}.port`, value: extra.port, allowed: "a port the policy does not already open: use networkPolicy.from and networkPolicy.adminFrom for the TLS and admin ports" });
        } else if (known.length === openable.length && !known.includes(extra.port)) {
            problems.add({ path: `${at}.port`, value: extra.port, allowed: `a port the pod declares: one of app.ports' containerPort${known.length > 0 ? ` (${known.join(", ")})` : ", which has none"}` });
        }
    });
}
