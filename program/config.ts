// Reads the stack's configuration into TlsSidecarApp's arguments. Every key is declared, with its type, default
// and description, in Pulumi.yaml's `config:` block.
import * as pulumi from "@pulumi/pulumi";
import {
    CertificateRollout,
    ClientAuth,
    ConfigError,
    InterceptionMode,
    KeyAlgorithm,
    RedirectMode,
    ServiceType,
    TlsSidecarAppArgs,
    TunnelArgs,
    TunnelOrigin,
    WorkloadKind,
} from "../components";
import { checkTunnelToken } from "../components/tunnel";
import { checkEnum } from "../components/validation";
import { configKeyOf, PROJECT } from "./configKeys";

const config = new pulumi.Config(PROJECT);

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

export function fromConfigError(e: unknown, key?: string): unknown {
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
