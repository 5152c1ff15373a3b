// The program's stack config keys, one row each: the key and type Pulumi.yaml declares (in its order), the argument
// of TlsSidecarApp it sets, how its value is read, and its description. Everything else follows from this table:
// the keys the program accepts, the reading of config into the arguments (config.ts) and the config key named by a
// problem with an argument. test/configKeys.test.ts keeps it equal to Pulumi.yaml.
import {
    CertificateRollout,
    ClientAuth,
    ExternalTrafficPolicy,
    InterceptionMode,
    KeyAlgorithm,
    PodSecurityProfile,
    RedirectMode,
    ServiceType,
    TlsMinVersion,
    TlsProfile,
    TunnelOrigin,
    UpstreamProtocol,
    WorkloadKind,
} from "../components";
import { ArgPath } from "./argPath";
import { ConfigType, PROJECT } from "./reader";
import {
    boolean,
    choice,
    cidrPeers,
    Gate,
    gate,
    integer,
    keyValues,
    list,
    namespacePeers,
    optionalBoolean,
    optionalChoice,
    optionalInteger,
    optionalList,
    optionalString,
    autoOrCount,
    Reader,
    secret,
    string,
} from "./readers";

export interface ConfigKey {
    /** The key, without the project's namespace. */
    key: string;
    type: ConfigType;
    /** The argument it sets; keys with one path add up (lists). */
    path: ArgPath;
    /** How the value becomes the argument, or a gate: the boolean that makes the object at `path` exist. */
    read: Reader | Gate;
    /** Pulumi.yaml's description, word for word. */
    description: string;
    /** Other argument paths whose problems this key answers for (the objects above its own path). */
    answersFor?: string[];
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
    // The app
    { key: "appName", type: "string", path: "serviceName", read: string,
      description: "Name of the component and of the Service (a DNS-1035 label); the Service's in-cluster names go into the certificate." },
    { key: "namespace", type: "string", path: "namespace", read: string,
      description: "Kubernetes namespace for the Secret, the workload and the Service. It must exist." },
    { key: "appImage", type: "string", path: "app.image", read: string,
      description: "Image of the unmodified HTTP app." },
    { key: "appPort", type: "integer", path: "app.port", read: integer,
      description: "Port the app listens on in plain HTTP (1-65535)." },
    { key: "replicas", type: "integer", path: "replicas", read: integer,
      description: "Deployment replicas (1-1000; must be 1 with workloadKind Pod)." },
    { key: "workloadKind", type: "string", path: "workloadKind", read: choice(WorkloadKind),
      description: "\"Deployment\" (rolling updates, no downtime) or \"Pod\" (a bare Pod: every change replaces it, with downtime)." },
    { key: "drainSeconds", type: "integer", path: "app.drainSeconds", read: integer,
      description: "Seconds a deleted pod keeps serving while clients move to other pods (the app's preStop hook drains the proxy, GET /drain), so rollouts lose no requests (0-300). 0 for no hook." },
    // The pod (Pulumi.yaml declares no map type: labels, annotations and the node selector are lists of "key=value")
    { key: "serviceAccountName", type: "string", path: "pod.serviceAccountName", read: optionalString,
      description: "ServiceAccount (in the namespace) the pods run as; empty for the namespace's default." },
    { key: "imagePullSecrets", type: "string[]", path: "pod.imagePullSecrets", read: list,
      description: "Names of kubernetes.io/dockerconfigjson Secrets in the namespace the kubelet pulls every image of the pod with (the app's and the sidecars')." },
    { key: "priorityClassName", type: "string", path: "pod.priorityClassName", read: optionalString,
      description: "PriorityClass of the pods; empty for the cluster's default." },
    { key: "nodeSelector", type: "string[]", path: "pod.nodeSelector", read: keyValues,
      description: "Node labels the pods' node must have, each \"key=value\", e.g. kubernetes.io/os=linux." },
    { key: "podLabels", type: "string[]", path: "pod.labels", read: keyValues,
      description: "Labels of the pods besides the component's, each \"key=value\"; app.kubernetes.io/name and app.kubernetes.io/instance select the pods and are refused." },
    { key: "podAnnotations", type: "string[]", path: "pod.annotations", read: keyValues,
      description: "Annotations of the pods, each \"key=value\" (the value is everything after the first \"=\")." },
    { key: "podDisruptionBudget", type: "boolean", path: "workload.podDisruptionBudget", read: boolean,
      description: "With more than one replica, a PodDisruptionBudget (policy/v1, maxUnavailable 1) so that node drains evict one pod at a time; false for none." },
    // Traffic
    { key: "networkPolicy", type: "boolean", path: "networkPolicy", read: gate("networkPolicyFromNamespaces", "networkPolicyFromCidrs", "networkPolicyAdminFromNamespaces"),
      description: "A NetworkPolicy (networking.k8s.io/v1) selecting the pods that lets in only the TLS port (and appPort with iptables interception, where it is redirected) and the admin port; enforced only where the cluster's CNI enforces NetworkPolicy." },
    { key: "networkPolicyFromNamespaces", type: "string[]", path: "networkPolicy.from", read: namespacePeers,
      description: "With networkPolicy, the namespaces whose pods may connect to the TLS port (with networkPolicyFromCidrs; both empty for every source)." },
    { key: "networkPolicyFromCidrs", type: "string[]", path: "networkPolicy.from", read: cidrPeers,
      description: "With networkPolicy, the CIDRs that may connect to the TLS port (clients outside the cluster, a load balancer's addresses)." },
    { key: "networkPolicyAdminFromNamespaces", type: "string[]", path: "networkPolicy.adminFrom", read: namespacePeers,
      description: "With networkPolicy, the namespaces whose pods may reach the admin port (/metrics), e.g. monitoring; empty for the TLS port's sources. The node's kubelet is always let in." },
    { key: "interception", type: "string", path: "interception", read: choice(InterceptionMode),
      description: "\"iptables\": an init container redirects the app port to the proxy, so nothing reaches the app in plaintext (needs NET_ADMIN). \"service\": the Service targets the proxy port; passes Pod Security restricted, but the app port stays reachable by pod IP." },
    { key: "podSecurity", type: "string", path: "podSecurity", read: choice(PodSecurityProfile),
      description: "Pod Security level every container must pass - \"none\", \"baseline\" or \"restricted\" (both need interception \"service\"; restricted makes the app run as non-root, so set appRunAsUser when its image runs as root)." },
    { key: "appRunAsUser", type: "integer", path: "app.securityContext.runAsUser", read: optionalInteger,
      description: "UID the app container runs as; 0 leaves the image's own user. Needed with podSecurity restricted when the image has no non-root USER." },
    { key: "appRunAsGroup", type: "integer", path: "app.securityContext.runAsGroup", read: optionalInteger,
      description: "GID the app container runs as; 0 leaves the image's own group." },
    { key: "appReadOnlyRootFilesystem", type: "boolean", path: "app.securityContext.readOnlyRootFilesystem", read: optionalBoolean,
      description: "Mount the app container's root filesystem read-only; false leaves it writable (the Kubernetes default)." },
    { key: "nativeSidecar", type: "boolean", path: "nativeSidecar", read: boolean,
      description: "Run the proxy as a native sidecar (init container with restartPolicy Always; Kubernetes 1.29+). Set false for older clusters." },
    { key: "proxyPort", type: "integer", path: "proxy.port", read: integer,
      description: "Port the proxy terminates TLS on (1-65535, not appPort or adminPort)." },
    { key: "adminPort", type: "integer", path: "proxy.adminPort", read: integer,
      description: "Port of the proxy's /healthz, /readyz and /metrics, served over HTTPS (1-65535)." },
    { key: "clientAuth", type: "string", path: "proxy.clientAuth", read: choice(ClientAuth),
      description: "Client-certificate authentication at the proxy, verified against the Secret's ca.crt - \"none\", \"request\" or \"require\"." },
    { key: "upstreamProtocol", type: "string", path: "proxy.upstreamProtocol", read: choice(UpstreamProtocol),
      description: "What the proxy speaks to the app - \"http1\", or \"h2c\" (HTTP/2 with prior knowledge) for a gRPC app." },
    { key: "redirectMode", type: "string", path: "redirect.mode", read: choice(RedirectMode),
      description: "iptables back end of the init container - \"auto\" (legacy if legacy rules exist, else nft), \"nft\" or \"legacy\"." },
    { key: "excludePorts", type: "integer[]", path: "redirect.excludePorts", read: list,
      description: "Inbound ports the init container never redirects." },
    { key: "servicePort", type: "integer", path: "service.port", read: integer,
      description: "Port of the NodePort Service (1-65535)." },
    { key: "nodePort", type: "integer", path: "service.nodePort", read: optionalInteger,
      description: "Node port of the Service (30000-32767), or 0 to let the cluster pick one." },
    { key: "serviceType", type: "string", path: "service.type", read: optionalChoice(ServiceType),
      description: "\"NodePort\", \"LoadBalancer\", \"ClusterIP\" or \"None\" (no Service; only with tunnel). Empty - NodePort without a tunnel, ClusterIP with one." },
    { key: "serviceAnnotations", type: "string[]", path: "service.annotations", read: keyValues,
      description: "Annotations of the Service, each \"key=value\" (e.g. a cloud's load balancer settings, or pulumi.com/skipAwait=true where nothing assigns load balancer addresses)." },
    { key: "loadBalancerSourceRanges", type: "string[]", path: "service.loadBalancerSourceRanges", read: optionalList,
      description: "With serviceType LoadBalancer, the client CIDRs the load balancer admits (e.g. 203.0.113.0/24); empty for every address." },
    { key: "externalTrafficPolicy", type: "string", path: "service.externalTrafficPolicy", read: optionalChoice(ExternalTrafficPolicy),
      description: "With serviceType NodePort or LoadBalancer, \"Local\" (only to pods on the receiving node, keeping the client address, so X-Forwarded-For is true) or \"Cluster\"; empty for Kubernetes' default (Cluster)." },
    { key: "publicHost", type: "string", path: "publicHost", read: string,
      description: "Host clients use to reach a node (DNS name or IP). Used in the url output and added to the certificate's SANs." },
    // Cloudflare Tunnel (cloudflared beside the app; see docs/tunnel.md)
    { key: "tunnel", type: "boolean", path: "tunnel", read: gate("tunnelToken", "tunnelTokenSecretName"),
      description: "Expose the app through a Cloudflare Tunnel - a cloudflared container in the pod, run with tunnelToken." },
    { key: "tunnelToken", type: "string", path: "tunnel.token", read: secret,
      description: "The tunnel token (the string after --token in the dashboard's install command). Set it with `pulumi config set --secret`." },
    { key: "tunnelTokenSecretName", type: "string", path: "tunnel.existingSecretName", read: optionalString,
      description: "Instead of tunnelToken - an existing Secret in the namespace holding the token under the key \"token\"." },
    { key: "tunnelHostname", type: "string", path: "tunnel.hostname", read: optionalString,
      description: "Public hostname routed to the tunnel in Cloudflare; the url output becomes https://<tunnelHostname>." },
    { key: "tunnelOrigin", type: "string", path: "tunnel.origin", read: choice(TunnelOrigin),
      description: "\"app\" (http://127.0.0.1:<appPort>, plaintext on the pod's loopback only) or \"proxy\" (https://127.0.0.1:<proxyPort>, verified against the Secret's ca.crt)." },
    { key: "tunnelImage", type: "string", path: "tunnel.image", read: string,
      description: "cloudflared image, pinned by a tag other than latest or by a digest." },
    { key: "tunnelMetricsPort", type: "integer", path: "tunnel.metricsPort", read: integer,
      description: "Port of cloudflared's /ready and /metrics (1-65535, not appPort, proxyPort or adminPort)." },
    { key: "tunnelGracePeriodSeconds", type: "integer", path: "tunnel.gracePeriodSeconds", read: integer,
      description: "cloudflared's --grace-period on SIGTERM, 1-180 (cloudflared refuses more); the pod's terminationGracePeriodSeconds is at least 5 s more." },
    { key: "tunnelCpuRequest", type: "string", path: "tunnel.resources.cpuRequest", read: optionalString,
      description: "CPU request of cloudflared." },
    { key: "tunnelMemoryRequest", type: "string", path: "tunnel.resources.memoryRequest", read: optionalString,
      description: "Memory request of cloudflared." },
    { key: "tunnelCpuLimit", type: "string", path: "tunnel.resources.cpuLimit", read: optionalString,
      description: "CPU limit of cloudflared; empty for none." },
    { key: "tunnelMemoryLimit", type: "string", path: "tunnel.resources.memoryLimit", read: optionalString,
      description: "Memory limit of cloudflared (it has no flag to cap its own memory)." },
    // Proxy resources (Kubernetes quantities; empty keeps the default)
    { key: "proxyCpuRequest", type: "string", path: "proxy.resources.cpuRequest", read: optionalString,
      description: "CPU request of the proxy." },
    { key: "proxyMemoryRequest", type: "string", path: "proxy.resources.memoryRequest", read: optionalString,
      description: "Memory request of the proxy." },
    { key: "proxyCpuLimit", type: "string", path: "proxy.resources.cpuLimit", read: optionalString,
      description: "CPU limit of the proxy; empty for none (throttling a proxy adds latency to every request)." },
    { key: "proxyMemoryLimit", type: "string", path: "proxy.resources.memoryLimit", read: optionalString,
      description: "Memory limit of the proxy." },
    // Proxy traffic controls (empty, 0 or false keeps the proxy's default; durations as 500ms, 10s, 2m0s)
    { key: "rateLimitRps", type: "integer", path: "proxy.rateLimit.requestsPerSecond", read: optionalInteger,
      description: "Requests per second the pod's proxy serves (a token bucket); over it a request gets 429 with Retry-After. 0 for no limit. Health and admin traffic are never limited." },
    { key: "rateLimitBurst", type: "integer", path: "proxy.rateLimit.burst", read: optionalInteger,
      description: "Requests the pod's bucket lets through at once above the rate; 0 for the same as rateLimitRps." },
    { key: "clientRateLimitRps", type: "integer", path: "proxy.rateLimit.perClient.requestsPerSecond", read: optionalInteger,
      description: "Requests per second each client (TCP peer address, never a header) may send; 0 for no limit." },
    { key: "clientRateLimitBurst", type: "integer", path: "proxy.rateLimit.perClient.burst", read: optionalInteger,
      description: "Requests a client's bucket lets through at once above its rate; 0 for the same as clientRateLimitRps." },
    { key: "maxConnections", type: "string", path: "proxy.maxConnections", read: autoOrCount,
      description: "Client connections served at once, \"auto\" (sized to the proxy's memory limit) or 1-1048576; beyond it new connections wait in the backlog. Empty for auto." },
    { key: "maxConcurrentStreams", type: "integer", path: "proxy.maxConcurrentStreams", read: optionalInteger,
      description: "HTTP/2 streams per client connection (1-1000); 0 for the proxy's default, 100." },
    { key: "tlsHandshakeTimeout", type: "string", path: "proxy.timeouts.tlsHandshake", read: optionalString,
      description: "Time a client has to complete the TLS handshake; empty for 10s." },
    { key: "requestHeaderTimeout", type: "string", path: "proxy.timeouts.requestHeader", read: optionalString,
      description: "Time a client has to send a request's head; empty for 10s." },
    { key: "idleTimeout", type: "string", path: "proxy.timeouts.idle", read: optionalString,
      description: "Time an idle keep-alive client connection is kept open; empty for 2m0s." },
    { key: "upstreamConnectTimeout", type: "string", path: "proxy.timeouts.upstreamConnect", read: optionalString,
      description: "Time the proxy waits to connect to the app before answering 502; empty for 5s, 0 for no limit." },
    { key: "upstreamResponseTimeout", type: "string", path: "proxy.timeouts.upstreamResponse", read: optionalString,
      description: "Time the proxy waits for the app's response head before answering 504; empty or 0 for no limit." },
    { key: "accessLog", type: "boolean", path: "proxy.accessLog.enabled", read: optionalBoolean,
      description: "One JSON line per request on the proxy's stdout (client, SNI, TLS version, method, path, status, bytes, durations, client certificate under mTLS); never a header value, cookie or body." },
    { key: "accessLogQuery", type: "boolean", path: "proxy.accessLog.includeQuery", read: optionalBoolean,
      description: "Keep the query string in the access log's path (dropped by default, as it may carry tokens)." },
    { key: "tlsMinVersion", type: "string", path: "proxy.tlsPolicy.minVersion", read: optionalChoice(TlsMinVersion),
      description: "Lowest TLS version the proxy accepts, \"1.2\" or \"1.3\"; empty for 1.2." },
    { key: "tlsProfile", type: "string", path: "proxy.tlsPolicy.profile", read: optionalChoice(TlsProfile),
      description: "TLS 1.2 cipher suites as a named profile, \"intermediate\" (Mozilla's) or \"modern\" (TLS 1.3 only); empty for intermediate." },
    { key: "tlsGroups", type: "string[]", path: "proxy.tlsPolicy.groups", read: optionalList,
      description: "Key-exchange groups in order of preference, e.g. [\"X25519MLKEM768\", \"X25519\"]; empty for the TLS library's default order (hybrid post-quantum first). Unknown names are refused." },
    { key: "hstsMaxAge", type: "string", path: "proxy.hsts.maxAge", read: optionalString,
      description: "Adds Strict-Transport-Security with this max-age (a duration, e.g. 8760h) to responses that lack one; empty or 0 for no header." },
    { key: "hstsIncludeSubdomains", type: "boolean", path: "proxy.hsts.includeSubdomains", read: optionalBoolean,
      description: "Adds includeSubDomains to the Strict-Transport-Security header." },
    { key: "hstsPreload", type: "boolean", path: "proxy.hsts.preload", read: optionalBoolean,
      description: "Adds preload to the Strict-Transport-Security header; needs hstsMaxAge of at least a year (8760h) and hstsIncludeSubdomains." },
    // Certificates
    { key: "hostnames", type: "string[]", path: "tls.hostnames", read: list,
      description: "Extra DNS names for the server certificate (the Service's in-cluster names and publicHost are always in it)." },
    { key: "ipAddresses", type: "string[]", path: "tls.ipAddresses", read: list,
      description: "IP addresses for the server certificate." },
    { key: "keyAlgorithm", type: "string", path: "tls.keyAlgorithm", read: choice(KeyAlgorithm),
      description: "Key algorithm of the CA and server keys - \"ECDSA-P256\", \"ECDSA-P384\", \"RSA-2048\", \"RSA-3072\" or \"RSA-4096\"." },
    { key: "validityDays", type: "integer", path: "tls.validityDays", read: integer,
      description: "Lifetime of the server certificate in days." },
    { key: "renewBeforeDays", type: "integer", path: "tls.renewBeforeDays", read: integer,
      description: "Renew the server certificate this many days before it expires (less than validityDays)." },
    { key: "caValidityDays", type: "integer", path: "tls.caValidityDays", read: integer,
      description: "Lifetime of the CA in days (more than validityDays)." },
    { key: "caOverlapDays", type: "integer", path: "tls.caOverlapDays", read: integer,
      description: "CA rollover - days a new CA is in ca.crt (and caCertPem) before it signs, and days the old CA stays after it stopped signing. caValidityDays must be at least validityDays + 2 x caOverlapDays." },
    { key: "certificateRollout", type: "string", path: "tls.rollout", read: choice(CertificateRollout),
      description: "\"new-secret\": each new certificate goes into a new auto-named Secret and the Deployment rolls (maxUnavailable 0). \"in-place\": one fixed-name Secret (<appName>-tls) updated in place; the pod template never changes and the proxy hot-reloads the files once kubelet syncs them." },
    { key: "clientCertificates", type: "string[]", path: "tls.clientCertificates", read: list,
      description: "Consumer names (DNS labels) to issue client certificates for, signed by the generated CA; exported as the secret stack output clientCertificates. Use with clientAuth require." },
    { key: "certificateClock", type: "string", path: "tls.clock", read: optionalString,
      description: "RFC 3339 time the renewal schedule is evaluated at; empty for the time pulumi runs. Set it to renew ahead of time (e.g. before a change freeze) or to preview a future rotation." },
    { key: "certificateEpoch", type: "string", path: "tls.scheduleEpoch", read: string,
      description: "RFC 3339 anchor of the renewal periods (server certificate every validityDays - renewBeforeDays days, CA every caValidityDays - 2 x caOverlapDays days). Set it to the stack's first deployment to align the periods to it." },
    { key: "clusterDomain", type: "string", path: "tls.clusterDomain", read: string,
      description: "The cluster's DNS domain, for the Service's fully qualified name in the certificate." },
    { key: "tlsSecretName", type: "string", path: "tls.existingSecretName", read: optionalString,
      description: "Bring your own - name of an existing kubernetes.io/tls Secret to mount (e.g. one cert-manager renews); nothing is generated." },
    { key: "tlsCertificate", type: "string", path: "tls.certificatePem", read: optionalString,
      description: "Bring your own - PEM of the server certificate; needs tlsPrivateKey." },
    { key: "tlsPrivateKey", type: "string", path: "tls.privateKeyPem", read: secret,
      description: "Bring your own - PEM of the certificate's private key. Set it with `pulumi config set --secret`." },
    { key: "tlsCaCertificate", type: "string", path: "tls.caCertificatePem", read: optionalString,
      description: "Bring your own - PEM of the CA clients should trust (exported as caCertPem)." },
    // Images
    { key: "registryServer", type: "string", path: "images.registry.server", read: string, answersFor: ["images", "images.registry"],
      description: "Registry the proxy and init images are pushed to." },
    { key: "registryUsername", type: "string", path: "images.registry.username", read: optionalString,
      description: "Registry user name; empty for an anonymous registry." },
    { key: "registryPassword", type: "string", path: "images.registry.password", read: secret,
      description: "Registry password. Set it with `pulumi config set --secret`." },
    { key: "registryPullSecret", type: "boolean", path: "images.registry.pullSecret", read: boolean,
      description: "Also create a kubernetes.io/dockerconfigjson Secret from registryServer, registryUsername and registryPassword (kept a secret) in the namespace, and pull the pods' images with it (needs registryUsername and registryPassword). With proxyImage/initImage nothing is pushed and the registry keys only make this Secret." },
    { key: "imageRepository", type: "string", path: "images.repository", read: string,
      description: "Repository path under the registry; the images are <registryServer>/<imageRepository>/proxy and .../init." },
    { key: "imageTag", type: "string", path: "images.tag", read: string,
      description: "Tag pushed. Pods use the pushed digest, so a rebuilt image rolls them whatever the tag." },
    { key: "goImage", type: "string", path: "images.goImage", read: optionalString,
      description: "Go build-stage image of the init image (GO_IMAGE build arg) for air-gapped builds; empty for the Dockerfile's default." },
    { key: "rustImage", type: "string", path: "images.rustImage", read: optionalString,
      description: "Rust build-stage image of the proxy image (RUST_IMAGE build arg) for air-gapped builds; empty for the Dockerfile's default." },
    { key: "baseImage", type: "string", path: "images.baseImage", read: optionalString,
      description: "Base image (BASE_IMAGE build arg) where a final stage is not scratch; empty for the default." },
    { key: "platform", type: "string", path: "images.platform", read: optionalString,
      description: "Platform of the built images (os/arch[/variant], the cluster nodes' platform) such as linux/arm64; empty for linux/<architecture of the machine running Pulumi>." },
    { key: "proxyImage", type: "string", path: "images.prebuilt.proxy", read: optionalString,
      description: "Prebuilt proxy image reference; with initImage, nothing is built." },
    { key: "initImage", type: "string", path: "images.prebuilt.init", read: optionalString,
      description: "Prebuilt init image reference; with proxyImage, nothing is built." },
];

/** Every declared key with its type, in Pulumi.yaml's order: the program refuses any other key in its namespace. */
export const DECLARED_KEYS: Readonly<Record<string, ConfigType>> = Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.type]));

/** Argument path → the config key that sets it, so problems name what the user wrote; a path set by two keys names neither. */
export const CONFIG_KEY_OF: Readonly<Record<string, string>> = (() => {
    const byPath = new Map<string, string[]>();
    for (const { key, path, answersFor = [] } of CONFIG_KEYS) {
        for (const p of [path, ...answersFor]) byPath.set(p, [...(byPath.get(p) ?? []), key]);
    }
    return Object.fromEntries([...byPath].filter(([, keys]) => keys.length === 1).map(([p, [key]]) => [p, key]));
})();

/** A path and, at its end, an entry of a list (`[2]`) or of a map (`["team"]`). */
const ENTRY = /^(.*?)(\[\d+\]|\["(?:[^"\\]|\\.)*"\])?$/;

/** `tls.hostnames[2]` → `tls-sidecar:hostnames[2]`, `pod.labels["team"]` → `tls-sidecar:podLabels["team"]`. */
export function configKeyOf(path: string): string {
    const match = ENTRY.exec(path)!;
    const key = CONFIG_KEY_OF[match[1]];
    return key === undefined ? path : `${PROJECT}:${key}${match[2] ?? ""}`;
}

/** `tls-sidecar:hostnames[1]` → `tls-sidecar:hostnames`, `tls-sidecar:podLabels["team"]` → `tls-sidecar:podLabels`. */
export function withoutEntry(path: string): string {
    return ENTRY.exec(path)![1];
}
