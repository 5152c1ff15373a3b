// The package entry: the top-level component, its parts, and the types of their arguments.
export * from "./enums";
export { ConfigError } from "./validation";
export { SidecarImages, SidecarImagesArgs, RegistryArgs, PrebuiltImagesArgs, imagesDir, defaultPlatform } from "./images";
export { dockerConfigJson, registryPullSecret, PULL_SECRET_TYPE, DOCKER_CONFIG_KEY } from "./pullSecret";
export { SidecarCertificates, SidecarCertificatesArgs, CertificatePolicyArgs, ProvidedCertificateArgs, ClientCertificate, SECRET_KEYS, certificateSchedule } from "./certificates";
export { Schedule, scheduleAt, DEFAULT_SCHEDULE_EPOCH } from "./rotation";
export { SidecarWorkload, SidecarWorkloadArgs } from "./workload";
export { ProxyArgs, RedirectArgs } from "./sidecarPod";
export { ServiceArgs } from "./service";
export { AppContainerArgs, ContainerPortArgs, EnvFromSourceArgs, EnvSourceRefArgs } from "./appContainer";
export { ProbeArgs, HttpGetActionArgs, HttpHeaderArgs, TcpSocketActionArgs, GrpcActionArgs, ExecActionArgs, SleepActionArgs, LifecycleArgs, LifecycleHandlerArgs } from "./probes";
export { VolumeArgs, VolumeMountArgs, EmptyDirVolumeArgs, ConfigMapVolumeArgs, SecretVolumeArgs, PersistentVolumeClaimVolumeArgs, KeyToPathArgs } from "./volumes";
export { PodArgs } from "./podOptions";
export { NetworkPolicyArgs, NetworkPolicyPeerArgs, NetworkPolicyPortArgs, IpBlockArgs, networkPolicyRules } from "./networkPolicy";
export {
    AffinityArgs,
    NodeAffinityArgs,
    NodeSelectorArgs,
    NodeSelectorTermArgs,
    NodeSelectorRequirementArgs,
    PreferredSchedulingTermArgs,
    PodAffinityArgs,
    PodAffinityTermArgs,
    WeightedPodAffinityTermArgs,
    LabelSelectorArgs,
    LabelSelectorRequirementArgs,
    TolerationArgs,
    TopologySpreadConstraintArgs,
} from "./scheduling";
export { WorkloadArgs, ROLLOUT_DEFAULTS } from "./workloadOptions";
export { ResourcesArgs, TLS_MOUNT_PATH, PROXY_CONTAINER, INIT_CONTAINER } from "./podSpec";
export { ContainerSecurityContextArgs, PodSecurityContextArgs, CapabilitiesArgs, SeccompProfileArgs } from "./securityContext";
export { TlsSidecarApp, TlsSidecarAppArgs } from "./tlsSidecarApp";
export { TlsArgs } from "./tlsArgs";
export { TlsSidecar, TlsSidecarArgs } from "./tlsSidecar";
export { withTlsSidecar, TlsSidecarRefs, TlsSidecarPodArgs } from "./withTlsSidecar";
export {
    CloudflareTunnelSidecar,
    CloudflareTunnelSidecarArgs,
    TunnelArgs,
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
