// The package entry: the top-level component, its parts, and the types of their arguments.
export * from "./enums";
export { ConfigError } from "./validation";
export { SidecarImages, SidecarImagesArgs, Images, Registry, PrebuiltImages, imagesDir, defaultPlatform } from "./images";
export { dockerConfigJson, registryPullSecret, PULL_SECRET_TYPE, DOCKER_CONFIG_KEY } from "./images";
export { SidecarCertificates, SidecarCertificatesArgs, CertificatePolicyArgs, ProvidedCertificate, ClientCertificate, SECRET_KEYS, certificateSchedule, KeyAlgorithm, CertificateRollout } from "./tls";
export { Schedule, scheduleAt, DEFAULT_SCHEDULE_EPOCH } from "./tls";
export { SidecarWorkload, SidecarWorkloadArgs } from "./workload";
export { TlsProxy, Redirect } from "./pod/sidecarPod";
export { Service } from "./service";
export { AppContainer, ContainerPort, EnvFromSource, EnvSourceRef } from "./appContainer";
export { Probe, HttpGetAction, HttpHeader, TcpSocketAction, GrpcAction, ExecAction, SleepAction, Lifecycle, LifecycleHandler } from "./pod/probes";
export { Volume, VolumeMount, EmptyDirVolume, ConfigMapVolume, SecretVolume, PersistentVolumeClaimVolume, KeyToPath } from "./pod/volumes";
export { Pod } from "./pod/pod";
export { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, IpBlock, networkPolicyRules } from "./networkPolicy";
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
} from "./pod/scheduling";
export { Workload, ROLLOUT_DEFAULTS } from "./workloadOptions";
export { ContainerResources, TLS_MOUNT_PATH, PROXY_CONTAINER, INIT_CONTAINER } from "./pod/podSpec";
export { ContainerSecurityContext, PodSecurityContext, Capabilities, SeccompProfile } from "./pod/securityContext";
export { TlsSidecarApp, TlsSidecarAppArgs } from "./tlsSidecarApp";
export { Tls } from "./tls";
export { TlsSidecar, TlsSidecarArgs } from "./tlsSidecar";
export { withTlsSidecar, TlsSidecarRefs, TlsSidecarPodArgs } from "./withTlsSidecar";
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
export { ContainerPortArgs, EnvSourceRefArgs, EnvFromSourceArgs, AppContainerArgs } from "./appContainer";
export { ProvidedCertificateArgs } from "./tls";
export { RegistryArgs, PrebuiltImagesArgs } from "./images";
export { IpBlockArgs, NetworkPolicyPeerArgs, NetworkPolicyPortArgs, NetworkPolicyArgs } from "./networkPolicy";
export { PodArgs } from "./pod/pod";
export { ResourcesArgs } from "./pod/podSpec";
export { HttpHeaderArgs, HttpGetActionArgs, TcpSocketActionArgs, GrpcActionArgs, ExecActionArgs, SleepActionArgs, ProbeArgs, LifecycleHandlerArgs, LifecycleArgs } from "./pod/probes";
export { TolerationArgs, LabelSelectorRequirementArgs, LabelSelectorArgs, NodeSelectorRequirementArgs, NodeSelectorTermArgs, NodeSelectorArgs, PreferredSchedulingTermArgs, NodeAffinityArgs, PodAffinityTermArgs, WeightedPodAffinityTermArgs, PodAffinityArgs, AffinityArgs, TopologySpreadConstraintArgs } from "./pod/scheduling";
export { SeccompProfileArgs, CapabilitiesArgs, ContainerSecurityContextArgs, PodSecurityContextArgs } from "./pod/securityContext";
export { ServiceArgs } from "./service";
export { ProxyArgs, RedirectArgs } from "./pod/sidecarPod";
export { TlsArgs } from "./tls";
export { TunnelArgs } from "./tunnel";
export { EmptyDirVolumeArgs, KeyToPathArgs, ConfigMapVolumeArgs, SecretVolumeArgs, PersistentVolumeClaimVolumeArgs, VolumeArgs, VolumeMountArgs } from "./pod/volumes";
export { WorkloadArgs } from "./workloadOptions";
