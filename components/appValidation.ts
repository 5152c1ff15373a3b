// TlsSidecarApp's argument checks: every independent check runs, so one ConfigError names every bad argument.
import * as pulumi from "@pulumi/pulumi";
import { validateCertificatesArgs } from "./tls";
import { ClientAuth, InterceptionMode, RedirectMode, TunnelOrigin, UpstreamProtocol, WorkloadKind } from "./enums";
import { validateImagesArgs } from "./images";
import { validatePodSecurity } from "./pod/podSecurityValidation";
import type { TlsSidecarAppArgs } from "./tlsSidecarApp";
import { checkProvidedPair, sidecarCertificatesArgs } from "./tls";
import { TUNNEL_DEFAULTS } from "./tunnel";
import { checkServiceArgs } from "./service";
import { validateTunnelCommon } from "./tunnel";
import {
    checkDnsLabel,
    checked,
    checkEnum,
    checkIntegerRange,
    checkNonEmptyString,
    checkPort,
    checkPositiveInteger,
    checkResources,
    checkServiceName,
    ConfigError,
    isKnown,
    Problems,
} from "./validation";
import { NamedPort, ownPorts, validateWorkloadParts, WorkloadPartsArgs } from "./workloadValidation";
import type { TlsProxy, Redirect } from "./pod/sidecarPod";

/** Throws one ConfigError naming every bad argument found. Values given as Outputs are checked when they resolve. */
export function validateAppArgs(name: string, args: TlsSidecarAppArgs): void {
    if (args.app === undefined) {
        throw new ConfigError("app", undefined, "the app to deploy: { image, port }");
    }
    const problems = new Problems();
    problems.check(() => checked(args.app.image, (v) => checkNonEmptyString("app.image", v)));
    problems.check(() => checkServiceName(args.serviceName === undefined ? "serviceName (defaults to the component name)" : "serviceName", args.serviceName ?? name));
    if (args.namespace !== undefined) problems.check(() => checked(args.namespace!, (v) => checkDnsLabel("namespace", v)));
    checkWorkload(args, problems);
    const ports = checkPorts(args, problems);
    checkTunnel(args, ports, problems);
    checkRedirect(args, problems);
    checkServiceArgs(args.service, args.tunnel !== undefined, problems);
    problems.check(() => checkResources("proxy.resources", args.proxy?.resources));
    problems.check(() => checkResources("redirect.resources", args.redirect?.resources));
    problems.check(() => checkResources("app.resources", args.app.resources));
    checkTls(name, args, problems);
    problems.check(() => validatePodSecurity(args));
    problems.check(() => validateWorkloadParts(args, args.workloadKind, args.tunnel === undefined ? undefined : (args.tunnel.metricsPort ?? TUNNEL_DEFAULTS.metricsPort)));
    if (args.images === undefined) {
        problems.add({ path: "images", value: undefined, allowed: "{ registry } to build and push the images, or { prebuilt: { proxy, init } }" });
    } else {
        problems.check(() => validateImagesArgs(args.images));
    }
    problems.throwIfAny();
}

/** The sidecar's enum choices, as TlsSidecarApp and withTlsSidecar() take them. */
export function checkSidecarChoices(args: { interception?: InterceptionMode; proxy?: TlsProxy; redirect?: Redirect }, problems: Problems): void {
    if (args.interception !== undefined) problems.check(() => checkEnum("interception", args.interception, InterceptionMode));
    if (args.proxy?.clientAuth !== undefined) problems.check(() => checkEnum("proxy.clientAuth", args.proxy!.clientAuth, ClientAuth));
    if (args.proxy?.upstreamProtocol !== undefined) {
        problems.check(() => checkEnum("proxy.upstreamProtocol", args.proxy!.upstreamProtocol, UpstreamProtocol));
    }
    if (args.redirect?.mode !== undefined) problems.check(() => checkEnum("redirect.mode", args.redirect!.mode, RedirectMode));
}

function checkWorkload(args: TlsSidecarAppArgs, problems: Problems): void {
    checkSidecarChoices(args, problems);
    if (args.workloadKind !== undefined) problems.check(() => checkEnum("workloadKind", args.workloadKind, WorkloadKind));
    if (args.nativeSidecar !== undefined && typeof args.nativeSidecar !== "boolean") {
        problems.add({ path: "nativeSidecar", value: args.nativeSidecar, allowed: "true or false" });
    }
    if (args.replicas !== undefined) {
        problems.check(() => checked(args.replicas!, (v) => checkPositiveInteger("replicas", v, 1000)));
        if (args.workloadKind === WorkloadKind.Pod && isKnown(args.replicas) && args.replicas !== 1) {
            problems.add({ path: "replicas", value: args.replicas, allowed: '1 with workloadKind "Pod" (a bare Pod has no replicas; use "Deployment")' });
        }
    }
    if (args.app.drainSeconds !== undefined) {
        const why = " (seconds a deleted pod keeps serving while clients move to other pods; 0 for no preStop drain)";
        problems.check(() => checkIntegerRange("app.drainSeconds", args.app.drainSeconds, 0, 300, why));
    }
    if (args.proxy?.shutdownTimeoutSeconds !== undefined) {
        problems.check(() => checkPositiveInteger("proxy.shutdownTimeoutSeconds", args.proxy!.shutdownTimeoutSeconds, 3600));
    }
}

/** The pod's own ports: each valid, and no two the same. Returns them by argument path. */
export function checkPorts(args: WorkloadPartsArgs, problems: Problems): NamedPort[] {
    const ports = ownPorts(args);
    for (const [path, port] of ports) {
        problems.check(() => checked(port, (v) => checkPort(path, v)));
    }
    for (let i = 0; i < ports.length; i++) {
        const [pathB, b] = ports[i];
        const clash = ports.slice(0, i).find(([, a]) => isKnown(a) && isKnown(b) && a === b);
        if (clash !== undefined) {
            const [pathA, a] = clash;
            problems.add({ path: pathB, value: b, allowed: `a port other than ${pathA} (${a}): each of app.port, proxy.port and proxy.adminPort needs its own` });
        }
    }
    return ports;
}

export function checkRedirect(args: { app: { port: pulumi.Input<number> }; redirect?: Redirect }, problems: Problems): void {
    (args.redirect?.excludePorts ?? []).forEach((p, i) => {
        const path = `redirect.excludePorts[${i}]`;
        if (problems.check(() => checked(p, (v) => checkPort(path, v))) && isKnown(p) && isKnown(args.app.port) && p === args.app.port) {
            problems.add({ path, value: p, allowed: `a port other than app.port (${p}): excluding the app port would leave the app reachable in plaintext` });
        }
    });
}

/** `tunnel` (the Service type it allows is checked in service.ts). `ports` are the pod's other ports, by argument path. */
function checkTunnel(args: TlsSidecarAppArgs, ports: NamedPort[], problems: Problems): void {
    const tunnel = args.tunnel;
    if (tunnel === undefined) {
        return;
    }
    if (tunnel.origin !== undefined) problems.check(() => checkEnum("tunnel.origin", tunnel.origin, TunnelOrigin));
    problems.check(() => validateTunnelCommon("tunnel.", tunnel));
    const metricsPort = tunnel.metricsPort ?? TUNNEL_DEFAULTS.metricsPort;
    const clash = ports.find(([, port]) => isKnown(metricsPort) && isKnown(port) && metricsPort === port);
    if (clash !== undefined) {
        problems.add({ path: "tunnel.metricsPort", value: metricsPort, allowed: `a port other than ${clash[0]} (${clash[1]}): cloudflared's metrics listen in the same pod` });
    }
    if (args.proxy?.clientAuth === ClientAuth.Require) {
        problems.add({
            path: "proxy.clientAuth",
            value: args.proxy.clientAuth,
            allowed:
                '"none" or "request" with a tunnel: cloudflared presents no client certificate to the proxy, and the app origin would bypass it (use Cloudflare Access to authenticate tunnel clients)',
        });
    }
}

function checkTls(name: string, args: TlsSidecarAppArgs, problems: Problems): void {
    const tlsArgs = args.tls ?? {};
    checkProvidedPair(tlsArgs, problems);
    const clientAuth = args.proxy?.clientAuth ?? ClientAuth.None;
    if (clientAuth !== ClientAuth.None && tlsArgs.certificatePem !== undefined && tlsArgs.caCertificatePem === undefined) {
        problems.add({
            path: "proxy.clientAuth",
            value: clientAuth,
            allowed: '"none" unless tls.caCertificatePem is given: the proxy verifies client certificates against ca.crt and will not start without it',
        });
    }
    problems.check(() => validateCertificatesArgs(sidecarCertificatesArgs(args.namespace ?? "default", args.serviceName ?? name, args.publicHost, tlsArgs)));
}
