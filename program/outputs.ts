// The stack's outputs: each one only where this configuration has it. Pulumi turns every key of the program's
// export into a stack output and warns about each one left undefined, so absent outputs are left out, not undefined.
import * as pulumi from "@pulumi/pulumi";
import { ServiceType, TlsSidecarApp, TlsSidecarAppArgs, TunnelOrigin } from "../components";

export type StackOutputs = Record<string, pulumi.Output<unknown>>;

/** The "Outputs" table of docs/reference.md documents each name and when it is exported; test/outputs.test.ts holds them to it. */
export function stackOutputs(app: TlsSidecarApp, args: TlsSidecarAppArgs): StackOutputs {
    const serviceType = args.service?.type ?? (args.tunnel === undefined ? ServiceType.NodePort : ServiceType.ClusterIP);
    const withService = serviceType !== ServiceType.None;
    const tls = args.tls ?? {};
    const generated = tls.existingSecretName === undefined && tls.certificatePem === undefined;
    const withCaCrt = generated || tls.caCertificatePem !== undefined;
    const tunnel = args.tunnel;
    const when = (condition: boolean, outputs: StackOutputs): StackOutputs => (condition ? outputs : {});
    return {
        ...when(serviceType === ServiceType.NodePort || serviceType === ServiceType.LoadBalancer, { nodePort: app.nodePort }),
        ...when(withService || tunnel?.hostname !== undefined, { url: app.url }),
        ...when(withService, { clusterUrl: app.clusterUrl }),
        ...when(withCaCrt, { caCertPem: app.caCertPem }),
        namespace: app.namespace,
        ...when(withService, { serviceName: app.serviceName }),
        secretName: app.secretName,
        ...when(args.images.registry?.pullSecret === true, { pullSecretName: app.pullSecretName }),
        workloadName: app.workloadName,
        ...when(args.networkPolicy !== undefined, { networkPolicyName: app.networkPolicyName }),
        proxyImage: app.proxyImage,
        initImage: app.initImage,
        ...when(generated, { certNotAfter: app.certNotAfter, caNotAfter: app.caNotAfter, certRenewAfter: app.certRenewAfter }),
        /** `{ <consumer>: { certPem, privateKeyPem } }`, a secret: read it from another stack with a StackReference. */
        clientCertificates: app.clientCertificates,
        ...when(tunnel !== undefined, { tunnelSecretName: app.tunnelSecretName, tunnelOriginService: app.tunnelOriginService }),
        // Only an https origin has a server name to verify, and a CA pool when the TLS Secret has a ca.crt.
        ...when(tunnel?.origin === TunnelOrigin.Proxy, { tunnelOriginServerName: app.tunnelOriginServerName }),
        ...when(tunnel?.origin === TunnelOrigin.Proxy && withCaCrt, { tunnelOriginCaPool: app.tunnelOriginCaPool }),
    };
}
