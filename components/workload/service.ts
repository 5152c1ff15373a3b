// The Service in front of the pods: its type (NodePort, LoadBalancer, ClusterIP, or none with a tunnel), its
// annotations, a load balancer's source ranges and traffic policy, the checks of all of them, and the `url` clients
// use: the load balancer's address when it has one, else the node port, else the in-cluster name.
import * as net from "net";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExternalTrafficPolicy, ServiceType } from "../enums";
import { checkLabelMap, StringMap } from "../pod/labels";
import { checkCidr, checked, checkEnum, checkNodePort, checkPort, Problems } from "../validation";

/** The Service in front of the pods. */
export interface Service {
    /** Port of the Service. Default 443. */
    port?: pulumi.Input<number>;
    /** Fixed node port (30000-32767), with `NodePort` or `LoadBalancer`. Default: allocated by the cluster. */
    nodePort?: pulumi.Input<number>;
    /** Default NodePort (ClusterIP with a tunnel); `None` creates no Service (a tunnel is then the only way in). */
    type?: ServiceType;
    /**
     * Annotations of the Service, for every type: a cloud's load balancer settings (e.g.
     * `service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing`), `pulumi.com/skipAwait: "true"` where
     * no controller assigns load balancer addresses.
     */
    annotations?: StringMap;
    /** `LoadBalancer` only: the client CIDRs the load balancer admits, e.g. ["203.0.113.0/24"]. Default: every address. */
    loadBalancerSourceRanges?: pulumi.Input<string>[];
    /**
     * `NodePort` and `LoadBalancer` only. `Local` sends external traffic only to pods on the node it arrived at and keeps
     * the client's source address, so the proxy's `X-Forwarded-For` is the real client; `Cluster` (Kubernetes' default)
     * spreads it over every pod but rewrites the source to a node's address.
     */
    externalTrafficPolicy?: ExternalTrafficPolicy;
}

export const SERVICE_DEFAULTS = { port: 443 } as const;

/** @deprecated Renamed `Service`: every SDK adds its own `Args` (Python `ServiceArgs`). Kept for existing TypeScript programs. */
export type ServiceArgs = Service;

/** The type the Service gets: `service.type`, or NodePort (ClusterIP with a tunnel). */
export function serviceTypeOf(service: Service | undefined, withTunnel: boolean): ServiceType {
    return service?.type ?? (withTunnel ? ServiceType.ClusterIP : ServiceType.NodePort);
}

/** Whether the cluster allocates a node port to a Service of this type. */
export function hasNodePort(type: ServiceType): boolean {
    return type === ServiceType.NodePort || type === ServiceType.LoadBalancer;
}

export interface SidecarServiceArgs {
    namespace: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    /** Its `type` set (see `serviceTypeOf`), not None. */
    service: Service & { type: ServiceType };
    selector: StringMap;
    labels: StringMap;
    /** The pod port the Service sends to: the app port (iptables interception) or the proxy's. */
    targetPort: pulumi.Input<number>;
}

/** What the rest of the component reads off the Service. */
export interface ServiceOutputs {
    serviceName: pulumi.Output<string>;
    /** Undefined unless NodePort or LoadBalancer. */
    nodePort: pulumi.Output<number | undefined>;
    /** A LoadBalancer's first ingress hostname, else its IP; undefined until it has one, and for other types. */
    loadBalancerAddress: pulumi.Output<string | undefined>;
}

export function sidecarService(name: string, args: SidecarServiceArgs, opts: pulumi.CustomResourceOptions): ServiceOutputs {
    const service = args.service;
    const lb = service.type === ServiceType.LoadBalancer;
    const ranges = service.loadBalancerSourceRanges ?? [];
    const created = new k8s.core.v1.Service(
        name,
        {
            metadata: { name: args.serviceName, namespace: args.namespace, labels: args.labels, annotations: service.annotations === undefined || Object.keys(service.annotations).length === 0 ? undefined : service.annotations },
            spec: {
                type: service.type,
                selector: args.selector,
                ports: [
                    {
                        name: "https",
                        protocol: "TCP",
                        port: service.port ?? SERVICE_DEFAULTS.port,
                        targetPort: args.targetPort,
                        nodePort: hasNodePort(service.type) ? service.nodePort : undefined,
                    },
                ],
                loadBalancerSourceRanges: lb && ranges.length > 0 ? ranges : undefined,
                externalTrafficPolicy: hasNodePort(service.type) ? service.externalTrafficPolicy : undefined,
            },
        },
        opts,
    );
    return {
        serviceName: created.metadata.name,
        nodePort: hasNodePort(service.type) ? created.spec.ports.apply((ports) => ports[0].nodePort) : pulumi.output(undefined),
        loadBalancerAddress: lb ? created.status.apply((st) => st?.loadBalancer?.ingress?.[0]?.hostname || st?.loadBalancer?.ingress?.[0]?.ip || undefined) : pulumi.output(undefined),
    };
}

/** IPv6 hosts are bracketed in URLs. */
export function urlHost(host: string): string {
    return net.isIPv6(host) ? `[${host}]` : host;
}

export interface UrlParts {
    type: ServiceType;
    tunnelHostname?: pulumi.Input<string>;
    publicHost: pulumi.Input<string>;
    namespace: pulumi.Input<string>;
    servicePort: pulumi.Input<number>;
    service: ServiceOutputs;
}

/**
 * Where clients go: the tunnel's public hostname when known; else a load balancer's address (once it has one) on the
 * Service port; else the node port on `publicHost`; else (ClusterIP) the Service's in-cluster name. Undefined with
 * neither a Service nor a tunnel hostname (typed as a string for compatibility).
 */
export function appUrl(parts: UrlParts): pulumi.Output<string> {
    if (parts.tunnelHostname !== undefined) {
        return pulumi.interpolate`https://${parts.tunnelHostname}`;
    }
    const nodePortUrl = pulumi.interpolate`https://${pulumi.output(parts.publicHost).apply(urlHost)}:${parts.service.nodePort}`;
    switch (parts.type) {
        case ServiceType.LoadBalancer:
            return pulumi
                .all([parts.service.loadBalancerAddress, parts.servicePort, nodePortUrl])
                .apply(([address, port, fallback]) => (address === undefined ? fallback : `https://${urlHost(address)}:${port}`));
        case ServiceType.NodePort:
            return nodePortUrl;
        case ServiceType.ClusterIP:
            return pulumi.interpolate`https://${parts.service.serviceName}.${parts.namespace}.svc:${parts.servicePort}`;
        default:
            return pulumi.output(undefined) as unknown as pulumi.Output<string>;
    }
}

/** `service`: each field valid, and only with the types it applies to (`withTunnel`: whether there is a tunnel). */
export function checkServiceArgs(service: Service | undefined, withTunnel: boolean, problems: Problems): void {
    if (service === undefined) {
        return;
    }
    if (service.type !== undefined) problems.check(() => checkEnum("service.type", service.type, ServiceType));
    if (service.type === ServiceType.None && !withTunnel) {
        problems.add({ path: "service.type", value: service.type, allowed: '"NodePort", "LoadBalancer" or "ClusterIP" without a tunnel ("None" only with tunnel: nothing else would reach the app)' });
    }
    if (service.port !== undefined) problems.check(() => checked(service.port!, (v) => checkPort("service.port", v)));
    if (service.nodePort !== undefined) problems.check(() => checked(service.nodePort!, (v) => checkNodePort("service.nodePort", v)));
    const type = serviceTypeOf(service, withTunnel);
    const typeIs = service.type === undefined ? `service.type "${type}", the default${withTunnel ? " with a tunnel" : ""}` : `service.type "${type}"`;
    if (service.nodePort !== undefined && !hasNodePort(type)) {
        problems.add({ path: "service.nodePort", value: service.nodePort, allowed: `no node port with ${typeIs}: set service.type "NodePort" or "LoadBalancer", or leave service.nodePort unset` });
    }
    if (service.externalTrafficPolicy !== undefined) {
        problems.check(() => checkEnum("service.externalTrafficPolicy", service.externalTrafficPolicy, ExternalTrafficPolicy));
        if (!hasNodePort(type)) {
            problems.add({ path: "service.externalTrafficPolicy", value: service.externalTrafficPolicy, allowed: `no policy with ${typeIs}: it applies to traffic from outside the cluster, with "NodePort" or "LoadBalancer"` });
        }
    }
    const ranges = service.loadBalancerSourceRanges ?? [];
    ranges.forEach((r, i) => problems.check(() => checked(r, (v) => checkCidr(`service.loadBalancerSourceRanges[${i}]`, v))));
    if (ranges.length > 0 && type !== ServiceType.LoadBalancer) {
        problems.add({ path: "service.loadBalancerSourceRanges", value: ranges.filter((r) => typeof r === "string"), allowed: `no source ranges with ${typeIs}: only a "LoadBalancer" Service has them` });
    }
    if (service.annotations !== undefined && type === ServiceType.None) {
        problems.add({ path: "service.annotations", value: Object.keys(service.annotations), allowed: 'no annotations with service.type "None": there is no Service to annotate' });
    }
    checkLabelMap("service.annotations", service.annotations, problems, "annotations");
}
