// Reads the stack's configuration into TlsSidecarApp's arguments. Every key is declared, with its type, default
// and description, in Pulumi.yaml's `config:` block (and in DECLARED_KEYS). Problems are kept in the reader, not
// thrown, so that the program can report them all at once.
import {
    CertificateRollout,
    ClientAuth,
    ExternalTrafficPolicy,
    InterceptionMode,
    KeyAlgorithm,
    LabelSelectorOperator,
    NetworkPolicy,
    NetworkPolicyPeer,
    PodSecurityProfile,
    RedirectMode,
    ServiceType,
    TlsSidecarAppArgs,
    Tunnel,
    TunnelOrigin,
    UpstreamProtocol,
    WorkloadKind,
} from "../components";
import { checkCidr, checkDnsLabel } from "../components/validation";
import { ConfigReader } from "./reader";

/** The tunnel, when `tunnel` is true. A token or token Secret without it is a mistake, not something to ignore. */
function tunnelFromConfig(read: ConfigReader): Tunnel | undefined {
    const token = read.secret("tunnelToken");
    const existingSecretName = read.optional("tunnelTokenSecretName");
    if (!read.boolean("tunnel")) {
        if (token !== undefined || existingSecretName !== undefined) {
            read.refuse("tunnel", false, "true when tunnelToken or tunnelTokenSecretName is set (or unset them)");
        }
        return undefined;
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

const NAMESPACE_LABEL = "kubernetes.io/metadata.name";

/** Peers from namespace names (by the label Kubernetes gives every namespace) and CIDRs; undefined for none. */
function peersFromConfig(read: ConfigReader, namespacesKey: string, cidrsKey?: string): NetworkPolicyPeer[] | undefined {
    const namespaces = read.list<string>(namespacesKey) ?? [];
    namespaces.forEach((ns, i) => read.check(`${namespacesKey}[${i}]`, () => checkDnsLabel(namespacesKey, ns)));
    const cidrs = cidrsKey === undefined ? [] : (read.list<string>(cidrsKey) ?? []);
    cidrs.forEach((cidr, i) => read.check(`${cidrsKey}[${i}]`, () => checkCidr(cidrsKey!, cidr)));
    const peers: NetworkPolicyPeer[] = [
        ...(namespaces.length > 0 ? [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_LABEL, operator: LabelSelectorOperator.In, values: namespaces }] } }] : []),
        ...cidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ];
    return peers.length > 0 ? peers : undefined;
}

/** The NetworkPolicy, when `networkPolicy` is true; its sources without it are a mistake, not something to ignore. */
function networkPolicyFromConfig(read: ConfigReader): NetworkPolicy | undefined {
    const from = peersFromConfig(read, "networkPolicyFromNamespaces", "networkPolicyFromCidrs");
    const adminFrom = peersFromConfig(read, "networkPolicyAdminFromNamespaces");
    if (!read.boolean("networkPolicy")) {
        if (from !== undefined || adminFrom !== undefined) {
            read.refuse("networkPolicy", false, "true when networkPolicyFromNamespaces, networkPolicyFromCidrs or networkPolicyAdminFromNamespaces is set (or empty them)");
        }
        return undefined;
    }
    return { from, adminFrom };
}

/** The Service; empty lists and choices leave the component's defaults. */
function serviceFromConfig(read: ConfigReader): TlsSidecarAppArgs["service"] {
    const nodePort = read.integer("nodePort");
    const ranges = read.list<string>("loadBalancerSourceRanges");
    return {
        port: read.integer("servicePort"),
        // 0 asks the cluster to allocate the node port.
        nodePort: nodePort === 0 ? undefined : nodePort,
        type: read.optionalChoice("serviceType", ServiceType),
        annotations: read.keyValues("serviceAnnotations"),
        loadBalancerSourceRanges: ranges === undefined || ranges.length === 0 ? undefined : ranges,
        externalTrafficPolicy: read.optionalChoice("externalTrafficPolicy", ExternalTrafficPolicy),
    };
}

function imagesFromConfig(read: ConfigReader): TlsSidecarAppArgs["images"] {
    const proxyImage = read.optional("proxyImage");
    const initImage = read.optional("initImage");
    const pullSecret = read.boolean("registryPullSecret");
    const registry = { server: read.string("registryServer"), username: read.optional("registryUsername"), password: read.secret("registryPassword"), pullSecret };
    if (proxyImage !== undefined || initImage !== undefined) {
        // Nothing is pushed; the registry keys only make the pull Secret, when asked for.
        return { prebuilt: { proxy: proxyImage ?? "", init: initImage ?? "" }, registry: pullSecret === true ? registry : undefined };
    }
    return {
        registry,
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
    const args: TlsSidecarAppArgs = {
        namespace: read.string("namespace"),
        app: {
            image: read.string("appImage"),
            port: read.integer("appPort"),
            drainSeconds: read.integer("drainSeconds"),
            securityContext: appSecurityFromConfig(read),
        },
        podSecurity: read.choice("podSecurity", PodSecurityProfile),
        networkPolicy: networkPolicyFromConfig(read),
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
            upstreamProtocol: read.choice("upstreamProtocol", UpstreamProtocol),
            resources: {
                cpuRequest: read.optional("proxyCpuRequest"),
                memoryRequest: read.optional("proxyMemoryRequest"),
                cpuLimit: read.optional("proxyCpuLimit"),
                memoryLimit: read.optional("proxyMemoryLimit"),
            },
        },
        redirect: { mode: read.choice("redirectMode", RedirectMode), excludePorts: read.list<number>("excludePorts") },
        service: serviceFromConfig(read),
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
