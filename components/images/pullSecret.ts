// A private registry's credentials for the kubelet: the `kubernetes.io/dockerconfigjson` Secret made from the
// `images.registry` the images are pushed to (opt-in, `images.registry.pullSecret`), named in the pod's
// imagePullSecrets. The password stays a Pulumi secret: the Secret's data is a secret Output, never plaintext state.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Images, Registry } from "./images";

/** The Secret type the kubelet reads pull credentials from, and the one key it reads. */
export const PULL_SECRET_TYPE = "kubernetes.io/dockerconfigjson";
export const DOCKER_CONFIG_KEY = ".dockerconfigjson";

/**
 * The `.dockerconfigjson` document for one registry, as `kubectl create secret docker-registry` writes it:
 * `{"auths":{"<server>":{"username":…,"password":…,"auth":base64("<username>:<password>")}}}`. `server` is the
 * registry's host (and port) as the images name it, e.g. "localhost:5000" or "ghcr.io". Pure: reusable by tests.
 */
export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/**
 * The pull Secret for `registry` (which has a username and a password: validation sees to it) in `namespace`.
 * Auto-named, so new credentials make a new Secret (created before the old one is deleted) and the pods roll onto it.
 */
export function registryPullSecret(name: string, namespace: pulumi.Input<string>, registry: Registry, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
    const document = pulumi.all([registry.server, registry.username!, pulumi.secret(registry.password!)]).apply(([server, username, password]) => dockerConfigJson(server, username, password));
    return new k8s.core.v1.Secret(
        `${name}-pull`,
        {
            metadata: { namespace, labels: { "app.kubernetes.io/managed-by": "tls-sidecar", "app.kubernetes.io/instance": name } },
            type: PULL_SECRET_TYPE,
            stringData: pulumi.secret(document.apply((d) => ({ [DOCKER_CONFIG_KEY]: d }))),
        },
        // @pulumi/kubernetes marks a Secret's `data` and `stringData` outputs secret itself (additionalSecretOutputs).
        opts,
    );
}

/** Whether a pull Secret is made: with `images.registry.pullSecret` (images built here or prebuilt). */
export function wantsPullSecret(images: Images): boolean {
    return images.registry?.pullSecret === true;
}

/** With `images.registry.pullSecret`, the pull Secret; else undefined. */
export function pullSecretFor(name: string, namespace: pulumi.Input<string>, images: Images, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret | undefined {
    return wantsPullSecret(images) ? registryPullSecret(name, namespace, images.registry!, opts) : undefined;
}
