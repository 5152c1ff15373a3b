// The program: one TlsSidecarApp per stack, configured by the stack's Pulumi.<stack>.yaml.
// Every key is declared, with its type, default and description, in Pulumi.yaml's `config:` block.
import * as pulumi from "@pulumi/pulumi";
import {
    CertificateRollout,
    ClientAuth,
    ConfigError,
    InterceptionMode,
    KeyAlgorithm,
    RedirectMode,
    ServiceType,
    TlsSidecarApp,
    TlsSidecarAppArgs,
    TunnelArgs,
    TunnelOrigin,
    WorkloadKind,
} from "./components";
import { checkTunnelToken } from "./components/tunnel";
import { checkEnum } from "./components/validation";

const PROJECT = "tls-sidecar";
const config = new pulumi.Config(PROJECT);

/** Component argument path → the config key that sets it, so errors name what the user wrote. */
export const CONFIG_KEY_OF: Record<string, string> = {
    namespace: "namespace",
    serviceName: "appName",
    "app.image": "appImage",
    "app.port": "appPort",
    publicHost: "publicHost",
    interception: "interception",
    workloadKind: "workloadKind",
    replicas: "replicas",
    nativeSidecar: "nativeSidecar",
    "proxy.port": "proxyPort",
    "proxy.adminPort": "adminPort",
    "proxy.clientAuth": "clientAuth",
    "proxy.resources.cpuRequest": "proxyCpuRequest",
    "proxy.resources.memoryRequest": "proxyMemoryRequest",
    "proxy.resources.cpuLimit": "proxyCpuLimit",
    "proxy.resources.memoryLimit": "proxyMemoryLimit",
    "redirect.mode": "redirectMode",
    "redirect.excludePorts": "excludePorts",
    "service.port": "servicePort",
    "service.nodePort": "nodePort",
    "tls.hostnames": "hostnames",
    "tls.ipAddresses": "ipAddresses",
    "tls.keyAlgorithm": "keyAlgorithm",
    "tls.validityDays": "validityDays",
    "tls.renewBeforeDays": "renewBeforeDays",
    "tls.caValidityDays": "caValidityDays",
    "tls.caOverlapDays": "caOverlapDays",
    "tls.rollout": "certificateRollout",
    "tls.clientCertificates": "clientCertificates",
    "tls.clock": "certificateClock",
    "tls.scheduleEpoch": "certificateEpoch",
    "tls.clusterDomain": "clusterDomain",
    "tls.existingSecretName": "tlsSecretName",
    "tls.certificatePem": "tlsCertificate",
    "tls.privateKeyPem": "tlsPrivateKey",
    "tls.caCertificatePem": "tlsCaCertificate",
    images: "registryServer",
    "images.registry": "registryServer",
    "images.registry.server": "registryServer",
    "images.registry.username": "registryUsername",
    "images.registry.password": "registryPassword",
    "images.prebuilt.proxy": "proxyImage",
    "images.prebuilt.init": "initImage",
    "service.type": "serviceType",
    tunnel: "tunnel",
    "tunnel.token": "tunnelToken",
    "tunnel.existingSecretName": "tunnelTokenSecretName",
    "tunnel.hostname": "tunnelHostname",
    "tunnel.origin": "tunnelOrigin",
    "tunnel.image": "tunnelImage",
    "tunnel.metricsPort": "tunnelMetricsPort",
    "tunnel.gracePeriodSeconds": "tunnelGracePeriodSeconds",
    "tunnel.resources.cpuRequest": "tunnelCpuRequest",
    "tunnel.resources.memoryRequest": "tunnelMemoryRequest",
    "tunnel.resources.cpuLimit": "tunnelCpuLimit",
    "tunnel.resources.memoryLimit": "tunnelMemoryLimit",
};

/** `tls.hostnames[2]` → `tls-sidecar:hostnames[2]`. */
export function configKeyOf(path: string): string {
    const match = /^(.*?)(\[\d+\])?$/.exec(path)!;
    const key = CONFIG_KEY_OF[match[1]];
    return key === undefined ? path : `${PROJECT}:${key}${match[2] ?? ""}`;
}

/** Optional string keys default to "" in Pulumi.yaml: empty means unset. */
function optional(key: string): string | undefined {
    const value = config.get(key);
    return value === undefined || value === "" ? undefined : value;
}

/** Secret keys: the value stays a Pulumi secret; only its presence is looked at here. */
function optionalSecret(key: string): pulumi.Output<string> | undefined {
    const value = pulumi.runtime.getConfig(`${PROJECT}:${key}`);
    return value === undefined || value === "" ? undefined : pulumi.secret(value);
}

function choice<E extends Record<string, string>>(key: string, choices: E): E[keyof E] {
    const value = config.require(key);
    try {
        checkEnum(key, value, choices);
    } catch (e) {
        throw fromConfigError(e, key);
    }
    return value as E[keyof E];
}

/** An optional choice: "" (the declared default) leaves the component's default. */
function optionalChoice<E extends Record<string, string>>(key: string, choices: E): E[keyof E] | undefined {
    return optional(key) === undefined ? undefined : choice(key, choices);
}

/** The tunnel, when `tunnel` is true. A token or token Secret without it is a mistake, not something to ignore. */
function tunnelFromConfig(): TunnelArgs | undefined {
    const token = optionalSecret("tunnelToken");
    const existingSecretName = optional("tunnelTokenSecretName");
    if (!config.requireBoolean("tunnel")) {
        if (token !== undefined || existingSecretName !== undefined) {
            throw new ConfigError("tunnel", false, "true when tunnelToken or tunnelTokenSecretName is set (or unset them)");
        }
        return undefined;
    }
    // The token stays a secret Output; check its shape here, while the plain value is at hand, so a bad one fails first.
    const rawToken = pulumi.runtime.getConfig(`${PROJECT}:tunnelToken`);
    if (rawToken !== undefined && rawToken !== "") {
        checkTunnelToken("tunnel.token", rawToken);
    }
    return {
        token,
        existingSecretName,
        hostname: optional("tunnelHostname"),
        origin: choice("tunnelOrigin", TunnelOrigin),
        image: config.require("tunnelImage"),
        metricsPort: config.requireNumber("tunnelMetricsPort"),
        gracePeriodSeconds: config.requireNumber("tunnelGracePeriodSeconds"),
        resources: {
            cpuRequest: optional("tunnelCpuRequest"),
            memoryRequest: optional("tunnelMemoryRequest"),
            cpuLimit: optional("tunnelCpuLimit"),
            memoryLimit: optional("tunnelMemoryLimit"),
        },
    };
}

function fromConfigError(e: unknown, key?: string): unknown {
    if (e instanceof ConfigError) {
        const shown = new ConfigError(key === undefined ? configKeyOf(e.path) : `${PROJECT}:${key}`, e.value, e.allowed);
        return new pulumi.RunError(`invalid configuration: ${shown.message}`);
    }
    return e;
}

/** Reads the stack's configuration into the component's arguments. */
export function argsFromConfig(): { name: string; args: TlsSidecarAppArgs } {
    const registryPassword = optionalSecret("registryPassword");
    const proxyImage = optional("proxyImage");
    const initImage = optional("initImage");
    const nodePort = config.requireNumber("nodePort");
    const excludePorts = config.requireObject<number[]>("excludePorts");
    const resource = (key: string) => optional(key);
    const args: TlsSidecarAppArgs = {
        namespace: config.require("namespace"),
        app: { image: config.require("appImage"), port: config.requireNumber("appPort") },
        publicHost: config.require("publicHost"),
        interception: choice("interception", InterceptionMode),
        workloadKind: choice("workloadKind", WorkloadKind),
        replicas: config.requireNumber("replicas"),
        nativeSidecar: config.requireBoolean("nativeSidecar"),
        proxy: {
            port: config.requireNumber("proxyPort"),
            adminPort: config.requireNumber("adminPort"),
            clientAuth: choice("clientAuth", ClientAuth),
            resources: {
                cpuRequest: resource("proxyCpuRequest"),
                memoryRequest: resource("proxyMemoryRequest"),
                cpuLimit: resource("proxyCpuLimit"),
                memoryLimit: resource("proxyMemoryLimit"),
            },
        },
        redirect: { mode: choice("redirectMode", RedirectMode), excludePorts },
        // 0 asks the cluster to allocate the node port.
        service: { port: config.requireNumber("servicePort"), nodePort: nodePort === 0 ? undefined : nodePort, type: optionalChoice("serviceType", ServiceType) },
        tls: {
            hostnames: config.requireObject<string[]>("hostnames"),
            ipAddresses: config.requireObject<string[]>("ipAddresses"),
            keyAlgorithm: choice("keyAlgorithm", KeyAlgorithm),
            validityDays: config.requireNumber("validityDays"),
            renewBeforeDays: config.requireNumber("renewBeforeDays"),
            caValidityDays: config.requireNumber("caValidityDays"),
            caOverlapDays: config.requireNumber("caOverlapDays"),
            rollout: choice("certificateRollout", CertificateRollout),
            clientCertificates: config.requireObject<string[]>("clientCertificates"),
            clock: optional("certificateClock"),
            scheduleEpoch: config.require("certificateEpoch"),
            clusterDomain: config.require("clusterDomain"),
            existingSecretName: optional("tlsSecretName"),
            certificatePem: optional("tlsCertificate"),
            privateKeyPem: optionalSecret("tlsPrivateKey"),
            caCertificatePem: optional("tlsCaCertificate"),
        },
        images:
            proxyImage !== undefined || initImage !== undefined
                ? { prebuilt: { proxy: proxyImage ?? "", init: initImage ?? "" } }
                : {
                      registry: {
                          server: config.require("registryServer"),
                          username: optional("registryUsername"),
                          password: registryPassword,
                      },
                      repository: config.require("imageRepository"),
                      tag: config.require("imageTag"),
                      goImage: optional("goImage"),
                      baseImage: optional("baseImage"),
                      platform: optional("platform"),
                  },
    };
    const tunnel = tunnelFromConfig();
    return { name: config.require("appName"), args: tunnel === undefined ? args : { ...args, tunnel } };
}

function main() {
    try {
        const { name, args } = argsFromConfig();
        return new TlsSidecarApp(name, args);
    } catch (e) {
        throw fromConfigError(e);
    }
}

const app = main();

export const nodePort = app.nodePort;
export const url = app.url;
export const clusterUrl = app.clusterUrl;
export const caCertPem = app.caCertPem;
export const namespace = app.namespace;
export const serviceName = app.serviceName;
export const secretName = app.secretName;
export const workloadName = app.workloadName;
export const proxyImage = app.proxyImage;
export const initImage = app.initImage;
export const certNotAfter = app.certNotAfter;
export const caNotAfter = app.caNotAfter;
export const certRenewAfter = app.certRenewAfter;
/** `{ <consumer>: { certPem, privateKeyPem } }`, a secret: read it from another stack with a StackReference. */
export const clientCertificates = app.clientCertificates;
// Only with a tunnel (plain undefined otherwise, so no stack output appears).
const withTunnel = config.getBoolean("tunnel") === true;
export const tunnelSecretName = withTunnel ? app.tunnelSecretName : undefined;
export const tunnelOriginService = withTunnel ? app.tunnelOriginService : undefined;
export const tunnelOriginServerName = withTunnel ? app.tunnelOriginServerName : undefined;
export const tunnelOriginCaPool = withTunnel ? app.tunnelOriginCaPool : undefined;
