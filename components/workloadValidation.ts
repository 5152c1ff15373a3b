// The checks of what the app's owner adds to the pod (probes, hooks, ports, envFrom, volumes, the pod's and the
// workload's options), run by TlsSidecarApp and by SidecarWorkload before anything is created.
import * as pulumi from "@pulumi/pulumi";
import { AppContainer, checkAppPorts, checkEnvFrom } from "./appContainer";
import { WORKLOAD_DEFAULTS } from "./defaults";
import { ClientAuth, InterceptionMode, WorkloadKind } from "./enums";
import { checkNetworkPolicyArgs, NetworkPolicy } from "./networkPolicy";
import { checkPodArgs, Pod } from "./podOptions";
import { checkProbesAndHooks } from "./probeValidation";
import { Problems } from "./validation";
import { checkVolumes } from "./volumes";
import type { TlsProxy } from "./sidecarPod";
import { checkWorkloadArgs, Workload } from "./workloadOptions";

export type NamedPort = [string, pulumi.Input<number>];

/** What TlsSidecarApp and SidecarWorkload both take for the pod. */
export interface WorkloadPartsArgs {
    app: AppContainer;
    proxy?: TlsProxy;
    interception?: InterceptionMode;
    pod?: Pod;
    workload?: Workload;
    networkPolicy?: NetworkPolicy;
}

/** The pod's own ports by argument path: app.port, proxy.port, proxy.adminPort, and cloudflared's when there is one. */
export function ownPorts(a: WorkloadPartsArgs, tunnelMetricsPort?: pulumi.Input<number>): NamedPort[] {
    const ports: NamedPort[] = [
        ["app.port", a.app.port],
        ["proxy.port", a.proxy?.port ?? WORKLOAD_DEFAULTS.proxyPort],
        ["proxy.adminPort", a.proxy?.adminPort ?? WORKLOAD_DEFAULTS.adminPort],
    ];
    return tunnelMetricsPort === undefined ? ports : [...ports, ["tunnel.metricsPort", tunnelMetricsPort]];
}

/** Throws one ConfigError naming every bad probe, hook, port, env source, volume, mount and pod or workload option. */
export function validateWorkloadParts(a: WorkloadPartsArgs, kind: WorkloadKind | undefined, tunnelMetricsPort?: pulumi.Input<number>): void {
    const problems = new Problems();
    const rules = {
        appPort: a.app.port,
        interception: a.interception ?? InterceptionMode.Iptables,
        clientAuth: a.proxy?.clientAuth ?? ClientAuth.None,
        drainSeconds: a.app.drainSeconds ?? WORKLOAD_DEFAULTS.drainSeconds,
    };
    checkProbesAndHooks(a.app, rules, problems);
    checkAppPorts(a.app.ports, ownPorts(a, tunnelMetricsPort), problems);
    checkEnvFrom(a.app.envFrom, problems);
    checkVolumes(a.pod?.volumes, a.app.volumeMounts, problems);
    checkPodArgs(a.pod, problems);
    checkWorkloadArgs(a.workload, kind, problems);
    const [, proxyPort, adminPort] = ownPorts(a).map(([, port]) => port);
    const openable = (a.app.ports ?? []).map((p) => p.containerPort);
    checkNetworkPolicyArgs(a.networkPolicy, { appPort: a.app.port, proxyPort, adminPort, interception: rules.interception, tunnelMetricsPort }, openable, problems);
    problems.throwIfAny();
}
