// The choices the components share, as enums: every language the schema reaches gets them by name. A choice that
// belongs to one part lives in that part's file (ClientAuth in pod/proxy.ts, KeyAlgorithm in tls/certificates.ts, …).
/** How inbound traffic for the app's port reaches the proxy. */
export enum InterceptionMode {
    /**
     * An init container redirects the pod's inbound app port to the proxy (nat PREROUTING REDIRECT),
     * so the app is not reachable in plaintext, even by pod IP. Needs NET_ADMIN in the init container,
     * which Pod Security "baseline" and "restricted" forbid.
     */
    Iptables = "iptables",
    /**
     * No init container: the Service targets the proxy port. Passes Pod Security "restricted";
     * the app's port stays reachable in plaintext by pod IP inside the cluster.
     */
    Service = "service",
}

/** What runs the pod. */
export enum WorkloadKind {
    /** Rolling updates with no downtime when the image or certificate changes. The default. */
    Deployment = "Deployment",
    /** A bare Pod: replaced delete-before-create on any change, so each change means downtime. */
    Pod = "Pod",
}






/** What cloudflared forwards tunnel traffic to, inside the pod. */
export enum TunnelOrigin {
    /**
     * The app itself, `http://127.0.0.1:<appPort>`: plaintext on the pod's loopback only (with iptables interception,
     * loopback traffic goes through OUTPUT and is never redirected). The default.
     */
    App = "app",
    /**
     * The TLS proxy, `https://127.0.0.1:<proxyPort>`, verified by cloudflared against the Secret's `ca.crt` (mounted
     * into the cloudflared container) for the Service's in-cluster name: set in the tunnel's remote configuration.
     */
    Proxy = "proxy",
}

/** The Service in front of the pods. */
export enum ServiceType {
    /** Reachable on every node's port: the default without a tunnel. */
    NodePort = "NodePort",
    /** In-cluster only: the default with a tunnel. */
    ClusterIP = "ClusterIP",
    /** A cloud's (or MetalLB's) load balancer in front of node ports; `url` is its address once it has one. */
    LoadBalancer = "LoadBalancer",
    /** No Service at all: only with a tunnel, the one way in. */
    None = "None",
}

/** How a NodePort or LoadBalancer Service routes traffic from outside the cluster. */
export enum ExternalTrafficPolicy {
    /** To any ready pod, on any node; the source address becomes a node's (Kubernetes' default). */
    Cluster = "Cluster",
    /** Only to pods on the node the traffic arrived at, keeping the client's source address (so X-Forwarded-For is true). */
    Local = "Local",
}

/**
 * The Pod Security Standards level every container of the pod must pass (as a namespace labelled
 * `pod-security.kubernetes.io/enforce: <level>` requires). Combinations that cannot pass are refused before anything
 * is created.
 */
export enum PodSecurityProfile {
    /** No profile: the app's security context is what you give (nothing by default). The default. */
    None = "none",
    /** Refuses what `baseline` forbids (privileged, added capabilities beyond its list, seccomp Unconfined, NET_ADMIN for iptables interception). */
    Baseline = "baseline",
    /**
     * Also gives the app and the pod what `restricted` requires: no privilege escalation, all capabilities dropped
     * (NET_BIND_SERVICE may be added), runAsNonRoot, seccomp RuntimeDefault; refuses values that contradict it.
     */
    Restricted = "restricted",
}

/** A container's or pod's seccomp profile. */
export enum SeccompProfileType {
    /** The container runtime's default profile. */
    RuntimeDefault = "RuntimeDefault",
    /** A profile file on the node (`localhostProfile`, relative to the kubelet's seccomp directory). */
    Localhost = "Localhost",
    /** No seccomp filtering: forbidden by Pod Security baseline and restricted. */
    Unconfined = "Unconfined",
}

/** How the kubelet speaks to an `httpGet` probe or hook. */
export enum ProbeScheme {
    Http = "HTTP",
    /** The kubelet does not verify the certificate. With iptables interception an `httpGet` at `app.port` is always sent as HTTPS. */
    Https = "HTTPS",
}

/** Protocol of a container port. */
export enum PortProtocol {
    Tcp = "TCP",
    Udp = "UDP",
    Sctp = "SCTP",
}

/** Where an `emptyDir` volume lives. */
export enum StorageMedium {
    /** The node's disk (Kubernetes' default, the empty string). */
    Default = "",
    /** tmpfs: counted against the container's memory. */
    Memory = "Memory",
}

/** How a toleration matches a taint. */
export enum TolerationOperator {
    /** Any value of the taint's key (or, with no key, every taint). */
    Exists = "Exists",
    /** The taint's value equals the toleration's. Kubernetes' default. */
    Equal = "Equal",
}

/** What a taint does to pods that do not tolerate it. */
export enum TaintEffect {
    NoSchedule = "NoSchedule",
    PreferNoSchedule = "PreferNoSchedule",
    NoExecute = "NoExecute",
}

/** Operator of a node selector requirement (node affinity). */
export enum NodeSelectorOperator {
    In = "In",
    NotIn = "NotIn",
    Exists = "Exists",
    DoesNotExist = "DoesNotExist",
    /** The label's value, an integer, is greater than the one value given. */
    Gt = "Gt",
    /** The label's value, an integer, is less than the one value given. */
    Lt = "Lt",
}

/** Operator of a label selector requirement (pod affinity, topology spread). */
export enum LabelSelectorOperator {
    In = "In",
    NotIn = "NotIn",
    Exists = "Exists",
    DoesNotExist = "DoesNotExist",
}

/** What the scheduler does when a topology spread constraint cannot be met. */
export enum UnsatisfiableConstraintAction {
    /** Leave the pod pending. */
    DoNotSchedule = "DoNotSchedule",
    /** Schedule it anyway, preferring placements that reduce the skew. */
    ScheduleAnyway = "ScheduleAnyway",
}

/** Whether a topology spread constraint counts nodes the pod's node affinity or taints exclude. */
export enum NodeInclusionPolicy {
    Honor = "Honor",
    Ignore = "Ignore",
}
