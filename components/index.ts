// The package entry: the public components, withTlsSidecar(), their parts, and the types of their arguments.
export * from "./enums";
export { ConfigError } from "./validation";

// The components and the function for a Deployment of your own.
export { TlsSidecarApp, TlsSidecarAppArgs } from "./tlsSidecarApp";
export { TlsSidecar, TlsSidecarArgs } from "./tlsSidecar";
export { SidecarWorkload, SidecarWorkloadArgs } from "./sidecarWorkload";
export { withTlsSidecar, TlsSidecarPodArgs } from "./withTlsSidecar";

// app/: the app container.
export { AppContainer, ContainerPort, EnvFromSource, EnvSourceRef } from "./app";

// pod/: the sidecar's containers and the pod around them.
export { TlsProxy, ClientAuth, UpstreamProtocol, Redirect, RedirectMode, TlsSidecarRefs, ContainerResources, TLS_MOUNT_PATH, PROXY_CONTAINER, INIT_CONTAINER } from "./pod";
export { RateLimit, ClientRateLimit, ProxyTimeouts, AccessLog, TlsPolicy, TlsMinVersion, TlsProfile, Hsts } from "./pod";
export { Probe, HttpGetAction, HttpHeader, TcpSocketAction, GrpcAction, ExecAction, SleepAction, Lifecycle, LifecycleHandler } from "./pod";
export { Volume, VolumeMount, EmptyDirVolume, ConfigMapVolume, SecretVolume, PersistentVolumeClaimVolume, KeyToPath } from "./pod";
export { Pod } from "./pod";
export {
    Affinity,
    NodeAffinity,
    NodeSelector,
    NodeSelectorTerm,
    NodeSelectorRequirement,
    PreferredSchedulingTerm,
    PodAffinity,
    PodAffinityTerm,
    WeightedPodAffinityTerm,
    LabelSelector,
    LabelSelectorRequirement,
    Toleration,
    TopologySpreadConstraint,
} from "./pod";
export { ContainerSecurityContext, PodSecurityContext, Capabilities, SeccompProfile } from "./pod";

// workload/: the Deployment or Pod, the Service, the NetworkPolicy.
export { Workload, ROLLOUT_DEFAULTS, Service, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, IpBlock, networkPolicyRules } from "./workload";

// tls/: certificates and their schedule.
export { SidecarCertificates, SidecarCertificatesArgs, CertificatePolicyArgs, ProvidedCertificate, ClientCertificate, SECRET_KEYS, certificateSchedule, KeyAlgorithm, CertificateRollout, Tls } from "./tls";
export { Schedule, scheduleAt, DEFAULT_SCHEDULE_EPOCH } from "./tls";

// images/: the images and the pull Secret.
export { SidecarImages, SidecarImagesArgs, Images, Registry, PrebuiltImages, imagesDir, defaultPlatform } from "./images";
export { dockerConfigJson, registryPullSecret, PULL_SECRET_TYPE, DOCKER_CONFIG_KEY } from "./images";

// tunnel/: cloudflared beside the app.
export {
    CloudflareTunnelSidecar,
    CloudflareTunnelSidecarArgs,
    Tunnel,
    TunnelContainerParts,
    tunnelContainerParts,
    tunnelContainer,
    tunnelVolumes,
    withTunnel,
    TUNNEL_CONTAINER,
    TUNNEL_DEFAULTS,
    TUNNEL_PROBES,
    DEFAULT_TUNNEL_RESOURCES,
    ORIGIN_CA_DIR,
} from "./tunnel";

// Deprecated names of the argument types (before they were named for the SDKs), for existing TypeScript programs.
export { ContainerPortArgs, EnvSourceRefArgs, EnvFromSourceArgs, AppContainerArgs } from "./app";
export { ProvidedCertificateArgs, TlsArgs } from "./tls";
export { RegistryArgs, PrebuiltImagesArgs } from "./images";
export { IpBlockArgs, NetworkPolicyPeerArgs, NetworkPolicyPortArgs, NetworkPolicyArgs, ServiceArgs, WorkloadArgs } from "./workload";
export { PodArgs, ResourcesArgs, ProxyArgs, RedirectArgs } from "./pod";
export { HttpHeaderArgs, HttpGetActionArgs, TcpSocketActionArgs, GrpcActionArgs, ExecActionArgs, SleepActionArgs, ProbeArgs, LifecycleHandlerArgs, LifecycleArgs } from "./pod";
export { TolerationArgs, LabelSelectorRequirementArgs, LabelSelectorArgs, NodeSelectorRequirementArgs, NodeSelectorTermArgs, NodeSelectorArgs, PreferredSchedulingTermArgs, NodeAffinityArgs, PodAffinityTermArgs, WeightedPodAffinityTermArgs, PodAffinityArgs, AffinityArgs, TopologySpreadConstraintArgs } from "./pod";
export { SeccompProfileArgs, CapabilitiesArgs, ContainerSecurityContextArgs, PodSecurityContextArgs } from "./pod";
export { TunnelArgs } from "./tunnel";
export { EmptyDirVolumeArgs, KeyToPathArgs, ConfigMapVolumeArgs, SecretVolumeArgs, PersistentVolumeClaimVolumeArgs, VolumeArgs, VolumeMountArgs } from "./pod";
