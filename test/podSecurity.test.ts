// Pod Security profiles: with baseline or restricted every container of the pod passes that level (checked by
// test/support/podSecurity.ts, written from the standard), and what cannot pass is refused before anything exists.
import * as assert from "assert";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { itRejectsEach, minimalArgs, RejectionCase, TUNNEL_TOKEN as TOKEN } from "./support/fixtures";
import { Level, violations } from "./support/podSecurity";
import { declaredConfig, refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

const APP = { image: "ghcr.io/acme/shop:1.0", port: 8080 };
type Args = Partial<Components.TlsSidecarAppArgs>;

async function podSpec(args: Args): Promise<any> {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await promiseOf(app.workloadName);
    return mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
}

function appContainer(spec: any): any {
    return spec.containers.find((x: any) => x.name === "app");
}

/** Arguments for a profile that can pass: service interception, and with restricted a non-root UID for the app. */
function passing(profile: string, more: Args = {}): Args {
    const securityContext = profile === "restricted" ? { runAsUser: 10001 } : undefined;
    return { podSecurity: profile as Components.PodSecurityProfile, interception: "service" as Components.InterceptionMode, app: { ...APP, securityContext }, ...more };
}

/** Restricted with service interception, plus the given app security context or pod security context. */
const restricted = (app: object = {}, pod?: object): Args => ({
    podSecurity: "restricted" as Components.PodSecurityProfile,
    interception: "service" as Components.InterceptionMode,
    app: { ...APP, securityContext: app as Components.ContainerSecurityContext },
    podSecurityContext: pod as Components.PodSecurityContext,
});
const baseline = (app: object): Args => ({ ...restricted(app), podSecurity: "baseline" as Components.PodSecurityProfile });

const CASES: RejectionCase[] = [
    ["restricted with the default iptables interception", () => ({ podSecurity: "restricted" as Components.PodSecurityProfile }), /^interception: "iptables" is not allowed; expected "service" with podSecurity "restricted" \(iptables is the default\): .*NET_ADMIN.*; use interception: service$/],
    ["baseline with iptables interception", () => ({ podSecurity: "baseline" as Components.PodSecurityProfile, interception: "iptables" as Components.InterceptionMode }), /^interception: "iptables" .*"service" with podSecurity "baseline".*use interception: service$/],
    ["restricted with privilege escalation", () => restricted({ allowPrivilegeEscalation: true }), /^app\.securityContext\.allowPrivilegeEscalation: true .*false or unset with podSecurity "restricted"$/],
    ["restricted with runAsNonRoot false", () => restricted({ runAsNonRoot: false }), /^app\.securityContext\.runAsNonRoot: false .*true or unset with podSecurity "restricted"$/],
    ["restricted with UID 0", () => restricted({ runAsUser: 0 }), /^app\.securityContext\.runAsUser: 0 .*a UID other than 0 with podSecurity "restricted"/],
    ["restricted adding NET_ADMIN", () => restricted({ capabilities: { add: ["NET_ADMIN"] } }), /^app\.securityContext\.capabilities\.add\[0\]: "NET_ADMIN" .*one of NET_BIND_SERVICE with podSecurity "restricted"$/],
    ["restricted dropping less than ALL", () => restricted({ capabilities: { drop: ["NET_RAW"] } }), /^app\.securityContext\.capabilities\.drop: \["NET_RAW"\] .*includes "ALL"/],
    ["restricted with seccomp Unconfined", () => restricted({ seccompProfile: { type: "Unconfined" } }), /^app\.securityContext\.seccompProfile\.type: "Unconfined" .*"RuntimeDefault" or "Localhost" with podSecurity "restricted"$/],
    ["restricted with a privileged app", () => restricted({ privileged: true }), /^app\.securityContext\.privileged: true .*false or unset with podSecurity "restricted"$/],
    ["restricted with pod UID 0", () => restricted({}, { runAsUser: 0 }), /^podSecurityContext\.runAsUser: 0 .*other than 0/],
    ["restricted with pod runAsNonRoot false", () => restricted({}, { runAsNonRoot: false }), /^podSecurityContext\.runAsNonRoot: false /],
    ["restricted with pod seccomp Unconfined", () => restricted({}, { seccompProfile: { type: "Unconfined" } }), /^podSecurityContext\.seccompProfile\.type: "Unconfined" /],
    ["baseline with a privileged app", () => baseline({ privileged: true }), /^app\.securityContext\.privileged: true .*false or unset with podSecurity "baseline"$/],
    ["baseline adding SYS_ADMIN", () => baseline({ capabilities: { add: ["SYS_ADMIN"] } }), /^app\.securityContext\.capabilities\.add\[0\]: "SYS_ADMIN" .*one of AUDIT_WRITE, .*SYS_CHROOT with podSecurity "baseline"$/],
    ["baseline with seccomp Unconfined", () => baseline({ seccompProfile: { type: "Unconfined" } }), /^app\.securityContext\.seccompProfile\.type: "Unconfined" .*with podSecurity "baseline"$/],
    ["an unknown profile", () => ({ podSecurity: "privileged" as Components.PodSecurityProfile }), /^podSecurity: "privileged" .*one of "none", "baseline", "restricted"$/],
    ["an unknown seccomp type", () => ({ app: { ...APP, securityContext: { seccompProfile: { type: "Default" as Components.SeccompProfileType } } } }), /^app\.securityContext\.seccompProfile\.type: "Default" .*"RuntimeDefault", "Localhost", "Unconfined"$/],
    ["Localhost seccomp without a profile", () => ({ app: { ...APP, securityContext: { seccompProfile: { type: "Localhost" as Components.SeccompProfileType } } } }), /^app\.securityContext\.seccompProfile\.localhostProfile: a missing value .*type "Localhost" needs one$/],
    ["a profile path without Localhost", () => ({ app: { ...APP, securityContext: { seccompProfile: { type: "RuntimeDefault" as Components.SeccompProfileType, localhostProfile: "x.json" } } } }), /^app\.securityContext\.seccompProfile\.localhostProfile: "x\.json" .*unless type is "Localhost"$/],
    ["a negative UID", () => ({ app: { ...APP, securityContext: { runAsUser: -1 } } }), /^app\.securityContext\.runAsUser: -1 .*integer from 0 to 2147483647 \(a Linux user or group ID\)$/],
    ["a fractional GID", () => ({ app: { ...APP, securityContext: { runAsGroup: 1.5 } } }), /^app\.securityContext\.runAsGroup: 1\.5 /],
    ["a capability in lower case", () => ({ app: { ...APP, securityContext: { capabilities: { drop: ["all"] } } } }), /^app\.securityContext\.capabilities\.drop\[0\]: "all" .*capability name/],
    ["a negative fsGroup", () => ({ podSecurityContext: { fsGroup: -1 } }), /^podSecurityContext\.fsGroup: -1 /],
    ["a bad supplemental group", () => ({ podSecurityContext: { supplementalGroups: [1000, -2] } }), /^podSecurityContext\.supplementalGroups\[1\]: -2 /],
];

describe("Pod Security profiles", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("the checker is not vacuous: today's default pod fails baseline on the init container's NET_ADMIN", async () => {
        const problems = violations(await podSpec({}), "baseline");
        assert.deepStrictEqual(problems, ["tls-init: adds NET_ADMIN"]);
    });

    it("none (the default) leaves the app's and the pod's security contexts as given: none by default", async () => {
        const spec = await podSpec({});
        assert.strictEqual(appContainer(spec).securityContext, undefined);
        assert.strictEqual(spec.securityContext, undefined);
        mocks = await installMocks();
        const given = await podSpec({ app: { ...APP, securityContext: { runAsUser: 1000, privileged: true } }, podSecurityContext: { fsGroup: 2000 } });
        assert.deepStrictEqual(appContainer(given).securityContext, { runAsUser: 1000, privileged: true });
        assert.deepStrictEqual(given.securityContext, { fsGroup: 2000 });
    });

    for (const level of ["baseline", "restricted"] as Level[]) {
        for (const nativeSidecar of [true, false]) {
            for (const tunnel of [undefined, tunnelTo("app"), tunnelTo("proxy")]) {
                const what = `${nativeSidecar ? "native sidecar" : "regular proxy container"}${tunnel ? `, tunnel to the ${tunnel.origin}` : ""}`;
                it(`${level}: every container passes ${level} (${what})`, async () => {
                    const spec = await podSpec(passing(level, { nativeSidecar, tunnel }));
                    assert.deepStrictEqual(violations(spec, level), []);
                    const names = [...(spec.initContainers ?? []), ...spec.containers].map((x: any) => x.name).sort();
                    assert.deepStrictEqual(names, ["app", ...(tunnel ? ["cloudflared"] : []), c.PROXY_CONTAINER].sort());
                });
            }
        }
    }

    it("restricted gives the app and the pod what the level requires", async () => {
        const spec = await podSpec(restricted());
        assert.deepStrictEqual(appContainer(spec).securityContext, {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
            capabilities: { drop: ["ALL"] },
        });
        assert.deepStrictEqual(spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    });

    it("restricted keeps the values given that it allows", async () => {
        const spec = await podSpec(
            restricted(
                { runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"] }, seccompProfile: { type: "Localhost", localhostProfile: "profiles/shop.json" } },
                { fsGroup: 2000, supplementalGroups: [3000] },
            ),
        );
        assert.deepStrictEqual(appContainer(spec).securityContext, {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            readOnlyRootFilesystem: true,
            seccompProfile: { type: "Localhost", localhostProfile: "profiles/shop.json" },
            capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
        });
        assert.deepStrictEqual(spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, fsGroup: 2000, supplementalGroups: [3000] });
        assert.deepStrictEqual(violations(spec, "restricted"), []);
    });

    it("baseline changes nothing it does not have to", async () => {
        const spec = await podSpec(passing("baseline"));
        assert.strictEqual(appContainer(spec).securityContext, undefined);
        assert.strictEqual(spec.securityContext, undefined);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));

    it("refuses every contradiction at once, in one ConfigError", () => {
        assert.throws(
            () => new c.TlsSidecarApp("hello", minimalArgs({ ...restricted({ allowPrivilegeEscalation: true, runAsUser: 0 }), interception: undefined })),
            (e: unknown) => {
                assert.ok(e instanceof c.ConfigError);
                assert.deepStrictEqual(
                    e.problems.map((p) => p.path),
                    ["interception", "app.securityContext.runAsUser", "app.securityContext.allowPrivilegeEscalation"],
                );
                return true;
            },
        );
        assert.deepStrictEqual(mocks.resources, []);
    });

    it("SidecarWorkload on its own refuses what its profile forbids, and creates nothing", () => {
        const args = { namespace: "shop", serviceName: "shop", app: APP, proxyImage: "p", initImage: "i", secretName: "tls", podSecurity: c.PodSecurityProfile.Restricted };
        assert.throws(
            () => new c.SidecarWorkload("shop", args),
            (e: unknown) => e instanceof c.ConfigError && /^interception: "iptables" .*use interception: service$/.test(e.message),
        );
        assert.deepStrictEqual(mocks.resources, []);
    });
});

describe("the program's Pod Security keys", () => {
    const deployedPod = (run: Awaited<ReturnType<typeof runProgram>>) => run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;

    it("declares podSecurity none and the app's optional settings unset (0, false)", () => {
        const d = declaredConfig();
        assert.deepStrictEqual(
            [d.podSecurity.default, d.appRunAsUser.default, d.appRunAsGroup.default, d.appReadOnlyRootFilesystem.default],
            ["none", 0, 0, false],
        );
    });

    it("the dev stack sets no security context on the app", async () => {
        assert.strictEqual(appContainer(deployedPod(await runProgram("dev"))).securityContext, undefined);
    });

    it("restricted with service interception and the app's UID, GID and read-only root: every container passes restricted", async () => {
        const run = await runProgram("dev", { podSecurity: "restricted", interception: "service", appRunAsUser: 10001, appRunAsGroup: 10002, appReadOnlyRootFilesystem: true });
        const spec = deployedPod(run);
        assert.deepStrictEqual(violations(spec, "restricted"), []);
        const sc = appContainer(spec).securityContext;
        assert.deepStrictEqual([sc.runAsUser, sc.runAsGroup, sc.readOnlyRootFilesystem, sc.runAsNonRoot], [10001, 10002, true, true]);
    });

    it("the app's settings apply without a profile too", async () => {
        const sc = appContainer(deployedPod(await runProgram("dev", { appRunAsUser: 1000 }))).securityContext;
        assert.deepStrictEqual(sc, { runAsUser: 1000 });
    });

    for (const [overrides, message] of [
        [{ podSecurity: "restricted" }, /^invalid configuration: tls-sidecar:interception: "iptables" .*"service" with podSecurity "restricted".*use interception: service$/],
        [{ podSecurity: "baseline", interception: "iptables" }, /^invalid configuration: tls-sidecar:interception: "iptables" .*podSecurity "baseline"/],
        [{ podSecurity: "strict" }, /^invalid configuration: tls-sidecar:podSecurity: "strict" .*one of "none", "baseline", "restricted"$/],
        [{ appRunAsUser: -5 }, /^invalid configuration: tls-sidecar:appRunAsUser: -5 .*from 0 to 2147483647/],
        [{ appReadOnlyRootFilesystem: "yes" }, /^invalid configuration: tls-sidecar:appReadOnlyRootFilesystem: "yes" .*true or false$/],
    ] as [Record<string, unknown>, RegExp][]) {
        it(`refuses ${JSON.stringify(overrides)} naming the key, and registers nothing`, async () => {
            assert.match(await refusal("dev", overrides), message);
        });
    }
});

/** A tunnel to this origin. */
function tunnelTo(origin: "app" | "proxy"): Components.Tunnel {
    return { token: TOKEN, origin: origin as Components.TunnelOrigin };
}
