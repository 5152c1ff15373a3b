// Another stack's view of a tls-sidecar service: read its URL and CA (and, with mTLS, a client certificate it issued
// for us) through a StackReference, then call it from a Job that trusts only that CA.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const producerStack = config.require("producerStack");
const producer = new pulumi.StackReference(producerStack);
const namespace = config.require("namespace");
const clientName = config.get("clientName") || undefined;

/**
 * The outputs this consumer needs, failing with the stack and output named when one is missing: a ResourceError on the
 * StackReference, which the CLI prints as `error: …` without a stack trace.
 */
function required(name: string): pulumi.Output<string> {
    return producer.getOutput(name).apply((value) => {
        if (typeof value !== "string" || value === "") {
            throw new pulumi.ResourceError(`stack ${producerStack}: output "${name}" is missing; is it a tls-sidecar stack with a generated certificate?`, producer, true);
        }
        return value;
    });
}

// Inside the cluster the Service's own name is the address; its certificate carries that name.
export const targetUrl = required("clusterUrl");
const caCertPem = required("caCertPem");

const trust = new k8s.core.v1.ConfigMap("producer-ca", { metadata: { namespace }, data: { "ca.crt": caCertPem } });

const mounts = [{ name: "trust", mountPath: "/etc/producer", readOnly: true }];
const volumes: k8s.types.input.core.v1.Volume[] = [{ name: "trust", configMap: { name: trust.metadata.name } }];
const curlArgs: pulumi.Input<string>[] = ["--fail", "--silent", "--show-error", "--cacert", "/etc/producer/ca.crt"];

if (clientName !== undefined) {
    // A secret output of the producer stays a secret here, and in the Secret made from it.
    const certificates = producer.getOutput("clientCertificates").apply((all) => {
        const mine = all?.[clientName];
        if (mine === undefined) {
            throw new pulumi.ResourceError(`stack ${producerStack}: no client certificate for "${clientName}" in output "clientCertificates"`, producer, true);
        }
        return mine as { certPem: string; privateKeyPem: string };
    });
    const clientSecret = new k8s.core.v1.Secret("client-certificate", {
        metadata: { namespace },
        type: "kubernetes.io/tls",
        stringData: pulumi.secret(certificates.apply((c) => ({ "tls.crt": c.certPem, "tls.key": c.privateKeyPem }))),
    });
    mounts.push({ name: "client", mountPath: "/etc/client", readOnly: true });
    volumes.push({ name: "client", secret: { secretName: clientSecret.metadata.name } });
    curlArgs.push("--cert", "/etc/client/tls.crt", "--key", "/etc/client/tls.key");
}

const job = new k8s.batch.v1.Job("call-producer", {
    metadata: { namespace },
    spec: {
        backoffLimit: 3,
        template: {
            spec: {
                restartPolicy: "Never",
                containers: [
                    {
                        name: "curl",
                        image: config.require("curlImage"),
                        args: [...curlArgs, targetUrl],
                        volumeMounts: mounts,
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: 100,
                            allowPrivilegeEscalation: false,
                            readOnlyRootFilesystem: true,
                            capabilities: { drop: ["ALL"] },
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                    },
                ],
                volumes,
            },
        },
    },
});

export const jobName = job.metadata.name;
