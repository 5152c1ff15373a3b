// Reads the stack's configuration into TlsSidecarApp's arguments. Every key is declared, with its type, default
// and description, in Pulumi.yaml's `config:` block (and in DECLARED_KEYS). Problems are kept in the reader, not
// thrown, so that the program can report them all at once.
import {
    CertificateRollout,
    ClientAuth,
    InterceptionMode,
    KeyAlgorithm,
    PodSecurityProfile,
    RedirectMode,
    ServiceType,
    TlsSidecarAppArgs,
    TunnelArgs,
    TunnelOrigin,
    WorkloadKind,
} from "../components";
import { checkTunnelToken } from "../components/tunnelValidation";
import { ConfigReader } from "./reader";

/** The tunnel, when `tunnel` is true. A token or token Secret without it is a mistake, not something to ignore. */
function tunnelFromConfig(read: ConfigReader): TunnelArgs | undefined {
    const token = read.secret("tunnelToken");
    const existingSecretName = read.optional("tunnelTokenSecretName");
    if (!read.boolean("tunnel")) {
        if (token !== undefined || existingSecretName !== undefined) {
            read.refuse("tunnel", false, "true when tunnelToken or tunnelTokenSecretName is set (or unset them)");
        }
        return undefined;
    }
    // The token stays a secret Output; check its shape here, while the plain value is at hand, so a bad one fails first.
    const rawToken = read.raw("tunnelToken");
    if (rawToken !== undefined && rawToken !== "") {
        read.check("tunnelToken", () => checkTunnelToken("tunnel.token", rawToken));
    }
    return {
        token,
        existingSecretName,
        hostname: read.optional("tunnelHostname"),
        origin: read.choice("tunnelOrigin", TunnelOrigin),
        image: read.string("tunnelImage"),
        metricsPort: read.integer("tunnelMetricsPort"),
        gracePeriodSeconds: read.integer("tunnelGracePeriodSeconds"),
        resources: {
            cpuRequest: read.optional("tunnelCpuRequest"),
            memoryRequest: read.optional("tunnelMemoryRequest"),
            cpuLimit: read.optional("tunnelCpuLimit"),
            memoryLimit: read.optional("tunnelMemoryLimit"),
        },
    };
}

/** The app's security context from the keys that set it; 0 and false (the declared defaults) leave a field unset. */
function appSecurityFromConfig(read: ConfigReader): TlsSidecarAppArgs["app"]["securityContext"] {
    const runAsUser = read.integer("appRunAsUser");
    const runAsGroup = read.integer("appRunAsGroup");
    const readOnly = read.boolean("appReadOnlyRootFilesystem");
    const context = {
        runAsUser: runAsUser === 0 ? undefined : runAsUser,
        runAsGroup: runAsGroup === 0 ? undefined : runAsGroup,
        readOnlyRootFilesystem: readOnly === true ? true : undefined,
    };
    return Object.values(context).some((v) => v !== undefined) ? context : undefined;
}

/** The pod's identity, metadata and placement; empty values leave the component's defaults. */
function podFromConfig(read: ConfigReader): TlsSidecarAppArgs["pod"] {
    return {
        serviceAccountName: read.optional("serviceAccountName"),
        imagePullSecrets: read.list<string>("imagePullSecrets"),
        priorityClassName: read.optional("priorityClassName"),
        nodeSelector: read.keyValues("nodeSelector"),
        labels: read.keyValues("podLabels"),
        annotations: read.keyValues("podAnnotations"),
    };
}

function imagesFromConfig(read: ConfigReader): TlsSidecarAppArgs["images"] {
    const proxyImage = read.optional("proxyImage");
    const initImage = read.optional("initImage");
    if (proxyImage !== undefined || initImage !== undefined) {
        return { prebuilt: { proxy: proxyImage ?? "", init: initImage ?? "" } };
    }
    return {
        registry: { server: read.string("registryServer"), username: read.optional("registryUsername"), password: read.secret("registryPassword") },
        repository: read.string("imageRepository"),
        tag: read.string("imageTag"),
        goImage: read.optional("goImage"),
        rustImage: read.optional("rustImage"),
        baseImage: read.optional("baseImage"),
        platform: read.optional("platform"),
    };
}

/** Reads the stack's configuration into the component's arguments; bad values read as undefined, with a problem kept. */
export function argsFromConfig(read: ConfigReader): { name: string; args: TlsSidecarAppArgs } {
    const nodePort = read.integer("nodePort");
    const args: TlsSidecarAppArgs = {
        namespace: read.string("namespace"),
        app: {
            image: read.string("appImage"),
            port: read.integer("appPort"),
            drainSeconds: read.integer("drainSeconds"),
            securityContext: appSecurityFromConfig(read),
        },
        podSecurity: read.choice("podSecurity", PodSecurityProfile),
        publicHost: read.string("publicHost"),
        interception: read.choice("interception", InterceptionMode),
        workloadKind: read.choice("workloadKind", WorkloadKind),
        replicas: read.integer("replicas"),
        pod: podFromConfig(read),
        workload: { podDisruptionBudget: read.boolean("podDisruptionBudget") },
        nativeSidecar: read.boolean("nativeSidecar"),
        proxy: {
            port: read.integer("proxyPort"),
            adminPort: read.integer("adminPort"),
            clientAuth: read.choice("clientAuth", ClientAuth),
            resources: {
                cpuRequest: read.optional("proxyCpuRequest"),
                memoryRequest: read.optional("proxyMemoryRequest"),
                cpuLimit: read.optional("proxyCpuLimit"),
                memoryLimit: read.optional("proxyMemoryLimit"),
            },
        },
        redirect: { mode: read.choice("redirectMode", RedirectMode), excludePorts: read.list<number>("excludePorts") },
        // 0 asks the cluster to allocate the node port.
        service: { port: read.integer("servicePort"), nodePort: nodePort === 0 ? undefined : nodePort, type: read.optionalChoice("serviceType", ServiceType) },
        tls: {
            hostnames: read.list<string>("hostnames"),
            ipAddresses: read.list<string>("ipAddresses"),
            keyAlgorithm: read.choice("keyAlgorithm", KeyAlgorithm),
            validityDays: read.integer("validityDays"),
            renewBeforeDays: read.integer("renewBeforeDays"),
            caValidityDays: read.integer("caValidityDays"),
            caOverlapDays: read.integer("caOverlapDays"),
            rollout: read.choice("certificateRollout", CertificateRollout),
            clientCertificates: read.list<string>("clientCertificates"),
            clock: read.optional("certificateClock"),
            scheduleEpoch: read.string("certificateEpoch"),
            clusterDomain: read.string("clusterDomain"),
            existingSecretName: read.optional("tlsSecretName"),
            certificatePem: read.optional("tlsCertificate"),
            privateKeyPem: read.secret("tlsPrivateKey"),
            caCertificatePem: read.optional("tlsCaCertificate"),
        },
        images: imagesFromConfig(read),
    };
    const tunnel = tunnelFromConfig(read);
    return { name: read.string("appName"), args: tunnel === undefined ? args : { ...args, tunnel } };
}
