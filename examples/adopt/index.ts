// A team's program that already defines its Deployment and Service: it adds the TLS sidecar to the pods without
// handing them to TlsSidecarApp. TlsSidecar makes the images and the certificate Secret; withTlsSidecar() adds the
// redirect init container, the proxy (a native sidecar), its Secret volume, the drain, and rewrites the probes.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TlsSidecar, withTlsSidecar } from "tls-sidecar";

const config = new pulumi.Config();
const namespace = config.get("namespace") ?? "default";
const appPort = 8080;
const labels = { "app.kubernetes.io/name": "shop" };

/** The pod as the team wrote it, before the sidecar: plain HTTP on 8080, probes on the app port (one by name). */
export const shopPod: k8s.types.input.core.v1.PodSpec = {
    serviceAccountName: "shop",
    containers: [
        {
            name: "shop",
            image: config.get("image") ?? "ghcr.io/acme/shop:1.0",
            ports: [{ name: "http", containerPort: appPort, protocol: "TCP" }],
            env: [{ name: "LOG_LEVEL", value: "info" }],
            readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: "/healthz", port: appPort }, periodSeconds: 10 },
        },
    ],
};

// The Service's names go into the certificate: name it as the Service below.
const sidecar = new TlsSidecar("shop", { namespace, serviceName: "shop", images: { registry: { server: config.get("registryServer") ?? "localhost:5000" } } });

const deployment = new k8s.apps.v1.Deployment("shop", {
    metadata: { namespace, labels },
    spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: { labels }, spec: withTlsSidecar(shopPod, sidecar, { appPort }) },
    },
});

// With iptables interception (the default) the Service keeps targeting the app port: inside the pod it is
// redirected to the proxy, so clients get TLS there.
const service = new k8s.core.v1.Service("shop", {
    metadata: { name: "shop", namespace, labels },
    spec: { selector: labels, ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: appPort }] },
});

export const deploymentName = deployment.metadata.name;
export const clusterUrl = pulumi.interpolate`https://${service.metadata.name}.${namespace}.svc.cluster.local:443`;
export const caCertPem = sidecar.caCertPem;
