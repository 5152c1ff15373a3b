// The app container as its owner wrote it: extra ports, envFrom, and its volumes (pod.volumes) with their mounts,
// kept clear of the component's own names, ports and paths.
import * as assert from "assert";
import { EngineMocks, installMocks } from "./support/mocks";
import { deployedPodSpec, itRejectsEach, RejectionCase, TUNNEL_TOKEN as TOKEN } from "./support/fixtures";
import { violations } from "./support/podSecurity";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const APP = { image: "ghcr.io/acme/shop:1.0", port: 8080 };
type Args = Partial<Components.TlsSidecarAppArgs>;

const podSpec = (args: Args) => deployedPodSpec(c, mocks, args);

const app = (more: Partial<Components.AppContainer>, args: Args = {}): Args => ({ app: { ...APP, ...more }, ...args });
const VOLUMES: Components.Volume[] = [
    { name: "cache", emptyDir: { medium: "Memory" as Components.StorageMedium, sizeLimit: "64Mi" } },
    { name: "config", configMap: { name: "shop-config", items: [{ key: "app.yaml", path: "app.yaml" }] } },
    { name: "creds", secret: { secretName: "shop-db", defaultMode: 0o440 } },
    { name: "data", persistentVolumeClaim: { claimName: "shop-data" } },
];
const withVolumes = (mounts: Components.VolumeMount[], volumes = VOLUMES): Args => app({ volumeMounts: mounts }, { pod: { volumes } });

const CASES: RejectionCase[] = [
    ["an extra port equal to the proxy's", () => app({ ports: [{ name: "metrics", containerPort: 8443 }] }), /^app\.ports\[0\]\.containerPort: 8443 is not allowed; expected a port other than proxy\.port \(8443\): each port of the pod needs its own$/],
    ["an extra port equal to the app port", () => app({ ports: [{ containerPort: 8080 }] }), /^app\.ports\[0\]\.containerPort: 8080 .*other than app\.port \(8080\)/],
    ["an extra port equal to the tunnel's metrics port", () => app({ ports: [{ containerPort: 2000 }] }, { tunnel: { token: TOKEN } }), /^app\.ports\[0\]\.containerPort: 2000 .*other than tunnel\.metricsPort \(2000\)/],
    ["the same extra port twice", () => app({ ports: [{ containerPort: 9090 }, { containerPort: 9090 }] }), /^app\.ports\[1\]\.containerPort: 9090 .*other than app\.ports\[0\] \(9090\)/],
    ["an extra port named like the app's", () => app({ ports: [{ name: "http", containerPort: 9090 }] }), /^app\.ports\[0\]\.name: "http" .*a name no other port of the pod has \(http, https, proxy-admin, tunnel-metrics are taken\)$/],
    ["a port name that is not an IANA service name", () => app({ ports: [{ name: "Metrics_Port", containerPort: 9090 }] }), /^app\.ports\[0\]\.name: "Metrics_Port" .*IANA service name/],
    ["an unknown protocol", () => app({ ports: [{ containerPort: 9090, protocol: "QUIC" as Components.PortProtocol }] }), /^app\.ports\[0\]\.protocol: "QUIC" .*"TCP", "UDP", "SCTP"$/],
    ["envFrom with both a ConfigMap and a Secret", () => app({ envFrom: [{ configMapRef: { name: "a" }, secretRef: { name: "b" } }] }), /^app\.envFrom\[0\]: \["configMapRef","secretRef"\] .*exactly one of configMapRef, secretRef$/],
    ["envFrom of an invalid name", () => app({ envFrom: [{ secretRef: { name: "Shop_DB" } }] }), /^app\.envFrom\[0\]\.secretRef\.name: "Shop_DB" .*Kubernetes object name/],
    ["an envFrom prefix starting with a digit", () => app({ envFrom: [{ configMapRef: { name: "a" }, prefix: "1_" }] }), /^app\.envFrom\[0\]\.prefix: "1_" .*environment variable name/],
    ["a volume named like the proxy's certificates", () => withVolumes([], [{ name: "tls-sidecar-certs", emptyDir: {} }]), /^pod\.volumes\[0\]\.name: "tls-sidecar-certs" .*not starting with "tls-sidecar-": tls-sidecar-certs and tls-sidecar-origin-ca are the component's own$/],
    ["a volume named like the tunnel's", () => withVolumes([], [{ name: "tls-sidecar-origin-ca", emptyDir: {} }]), /^pod\.volumes\[0\]\.name: "tls-sidecar-origin-ca" /],
    ["two volumes of one name", () => withVolumes([], [VOLUMES[0], { ...VOLUMES[1], name: "cache" }]), /^pod\.volumes\[1\]\.name: "cache" .*no other volume/],
    ["a volume with two sources", () => withVolumes([], [{ name: "x", emptyDir: {}, secret: { secretName: "s" } }]), /^pod\.volumes\[0\]: \["emptyDir","secret"\] .*exactly one of emptyDir, configMap, secret, persistentVolumeClaim$/],
    ["a volume with no source", () => withVolumes([], [{ name: "x" }]), /^pod\.volumes\[0\]: \[\] .*exactly one of/],
    ["a volume name that is not a DNS label", () => withVolumes([], [{ name: "My Cache", emptyDir: {} }]), /^pod\.volumes\[0\]\.name: "My Cache" .*DNS-1123 label/],
    ["a bad size limit", () => withVolumes([], [{ name: "x", emptyDir: { sizeLimit: "lots" } }]), /^pod\.volumes\[0\]\.emptyDir\.sizeLimit: "lots" .*quantity/],
    ["a file mode above 0777", () => withVolumes([], [{ name: "x", secret: { secretName: "s", defaultMode: 0o1000 } }]), /^pod\.volumes\[0\]\.secret\.defaultMode: 512 .*0 to 511 \(a file mode/],
    ["an item path with ..", () => withVolumes([], [{ name: "x", configMap: { name: "c", items: [{ key: "k", path: "../etc/passwd" }] } }]), /^pod\.volumes\[0\]\.configMap\.items\[0\]\.path: "\.\.\/etc\/passwd" .*relative path without/],
    ["a mount of the proxy's certificates", () => withVolumes([{ name: "tls-sidecar-certs", mountPath: "/certs" }]), /^app\.volumeMounts\[0\]\.name: "tls-sidecar-certs" .*the name of a volume in pod\.volumes \(cache, config, creds, data\) \(the component's volumes stay out of the app: the proxy's key is in one\)$/],
    ["a mount of an undeclared volume", () => app({ volumeMounts: [{ name: "cache", mountPath: "/cache" }] }), /^app\.volumeMounts\[0\]\.name: "cache" .*a volume in pod\.volumes, which has none$/],
    ["a relative mount path", () => withVolumes([{ name: "cache", mountPath: "cache" }]), /^app\.volumeMounts\[0\]\.mountPath: "cache" .*absolute path/],
    ["a mount at the proxy's TLS directory", () => withVolumes([{ name: "cache", mountPath: "/etc/sidecar/tls/" }]), /^app\.volumeMounts\[0\]\.mountPath: "\/etc\/sidecar\/tls\/" .*a path outside \/etc\/sidecar\/tls, where a sidecar mounts its certificates/],
    ["a mount inside cloudflared's CA directory", () => withVolumes([{ name: "cache", mountPath: "/etc/cloudflared/origin-ca/x" }]), /^app\.volumeMounts\[0\]\.mountPath: .*outside \/etc\/cloudflared\/origin-ca/],
    ["two mounts at one path", () => withVolumes([{ name: "cache", mountPath: "/data" }, { name: "data", mountPath: "/data/" }]), /^app\.volumeMounts\[1\]\.mountPath: "\/data\/" .*no other mount/],
    ["a subPath leaving the volume", () => withVolumes([{ name: "config", mountPath: "/etc/shop", subPath: "../x" }]), /^app\.volumeMounts\[0\]\.subPath: "\.\.\/x" /],
];

describe("the app container: ports, envFrom, volumes", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("declares extra ports after the app's own, TCP unless said, and redirects none of them", async () => {
        const spec = await podSpec(app({ ports: [{ name: "metrics", containerPort: 9090 }, { name: "dns", containerPort: 5353, protocol: c.PortProtocol.Udp }, { containerPort: 8443, protocol: c.PortProtocol.Udp }] }));
        const container = spec.containers.find((x: any) => x.name === "app");
        assert.deepStrictEqual(container.ports, [
            { name: "http", containerPort: 8080, protocol: "TCP" },
            { name: "metrics", containerPort: 9090, protocol: "TCP" },
            { name: "dns", containerPort: 5353, protocol: "UDP" },
            { containerPort: 8443, protocol: "UDP" },
        ]);
        const init = spec.initContainers.find((x: any) => x.name === c.INIT_CONTAINER);
        assert.ok(init.args.includes("--app-port=8080") && !init.args.some((a: string) => a.includes("9090")), "only the app port is redirected");
    });

    it("takes envFrom as written", async () => {
        const envFrom = [{ configMapRef: { name: "shop-config" } }, { secretRef: { name: "shop-db", optional: true }, prefix: "DB_" }];
        const spec = await podSpec(app({ envFrom, env: { MODE: "prod" } }));
        const container = spec.containers.find((x: any) => x.name === "app");
        assert.deepStrictEqual(container.envFrom, envFrom);
        assert.deepStrictEqual(container.env, [{ name: "MODE", value: "prod" }]);
    });

    it("adds the app's volumes beside the proxy's Secret and mounts them in the app only", async () => {
        const mounts = [
            { name: "cache", mountPath: "/var/cache/shop" },
            { name: "config", mountPath: "/etc/shop/app.yaml", subPath: "app.yaml", readOnly: true },
            { name: "creds", mountPath: "/run/secrets/db", readOnly: true },
            { name: "data", mountPath: "/data" },
        ];
        const spec = await podSpec(withVolumes(mounts));
        assert.deepStrictEqual(
            spec.volumes.map((v: any) => v.name),
            ["tls-sidecar-certs", "cache", "config", "creds", "data"],
        );
        assert.deepStrictEqual(spec.volumes[1], { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } });
        assert.deepStrictEqual(spec.volumes[3], { name: "creds", secret: { secretName: "shop-db", defaultMode: 0o440 } });
        assert.deepStrictEqual(spec.containers.find((x: any) => x.name === "app").volumeMounts, mounts);
        const proxy = spec.initContainers.find((x: any) => x.name === c.PROXY_CONTAINER);
        assert.deepStrictEqual(
            proxy.volumeMounts.map((m: any) => m.name),
            ["tls-sidecar-certs"],
            "the proxy mounts only its own Secret",
        );
    });

    it("keeps the app's volumes beside the tunnel's", async () => {
        const spec = await podSpec({ ...withVolumes([{ name: "cache", mountPath: "/cache" }]), tunnel: { token: TOKEN, origin: c.TunnelOrigin.Proxy } });
        assert.deepStrictEqual(
            spec.volumes.map((v: any) => v.name),
            ["tls-sidecar-certs", "cache", "config", "creds", "data", "tls-sidecar-origin-ca"],
        );
    });

    it("the four volume types pass Pod Security restricted", async () => {
        const spec = await podSpec({
            ...withVolumes([{ name: "cache", mountPath: "/cache" }]),
            podSecurity: c.PodSecurityProfile.Restricted,
            interception: c.InterceptionMode.Service,
            app: { ...APP, securityContext: { runAsUser: 10001 }, volumeMounts: [{ name: "cache", mountPath: "/cache" }] },
        });
        assert.deepStrictEqual(violations(spec, "restricted"), []);
    });

    it("without any of them the app container is as before", async () => {
        const spec = await podSpec({});
        const container = spec.containers.find((x: any) => x.name === "app");
        for (const key of ["envFrom", "volumeMounts", "readinessProbe", "livenessProbe", "startupProbe"]) {
            assert.strictEqual(container[key], undefined, key);
        }
        assert.deepStrictEqual(
            spec.volumes.map((v: any) => v.name),
            ["tls-sidecar-certs"],
        );
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});
