// Which config key sets which component argument, so errors name what the user wrote.
export const PROJECT = "tls-sidecar";

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
