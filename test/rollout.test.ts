// Zero-loss rollouts: the app's preStop hook (and that of a proxy that is not a native sidecar) drains the proxy for
// drainSeconds before the app is stopped, and the pod's grace period covers the drain, the proxy's shutdown and a margin.
import * as assert from "assert";
import { EngineMocks, installMocks, promiseOf } from "./support/mocks";
import { itRejectsEach, minimalArgs, RejectionCase, TUNNEL_TOKEN as TOKEN } from "./support/fixtures";
import { declaredConfig, refusal, runProgram } from "./support/program";
import type * as Components from "../components";

let c: typeof Components;
let mocks: EngineMocks;

/** The pod spec of a TlsSidecarApp made with these arguments, once every child is registered. */
async function podSpec(args: Partial<Components.TlsSidecarAppArgs> = {}): Promise<any> {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await promiseOf(app.workloadName);
    return mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
}

function container(spec: any, name: string): any {
    return [...(spec.initContainers ?? []), ...spec.containers].find((x: any) => x.name === name);
}

/** The hook: kubelet calls the proxy's GET /drain on its admin port; the proxy's --drain-delay says how long it holds. */
const DRAIN = { preStop: { httpGet: { path: "/drain", port: 9901, scheme: "HTTPS" } } };
const drainDelayOf = (spec: any) => container(spec, c.PROXY_CONTAINER).args.find((a: string) => a.startsWith("--drain-delay="));

const CASES: RejectionCase[] = [
    ["a drain above 300 s", () => ({ app: { image: "nginx", port: 80, drainSeconds: 301 } }), /^app\.drainSeconds: 301 is not allowed; expected an integer from 0 to 300 \(.*0 for no preStop drain\)$/],
    ["a negative drain", () => ({ app: { image: "nginx", port: 80, drainSeconds: -1 } }), /^app\.drainSeconds: -1 .*from 0 to 300/],
    ["a fractional drain", () => ({ app: { image: "nginx", port: 80, drainSeconds: 2.5 } }), /^app\.drainSeconds: 2\.5 .*an integer/],
    ["a drain given as a string", () => ({ app: { image: "nginx", port: 80, drainSeconds: "5" as unknown as number } }), /^app\.drainSeconds: "5" .*an integer/],
];

describe("rollouts: the drain and the grace period", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("by default the app's preStop hook drains the proxy for 5 s; the native-sidecar proxy has no hook (it stops after the app)", async () => {
        const spec = await podSpec();
        assert.deepStrictEqual(container(spec, "app").lifecycle, DRAIN);
        assert.strictEqual(drainDelayOf(spec), "--drain-delay=5s");
        assert.strictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, undefined);
        assert.strictEqual(spec.terminationGracePeriodSeconds, 5 + 25 + 5);
    });

    it("0 leaves the hook out", async () => {
        const spec = await podSpec({ app: { image: "nginx", port: 80, drainSeconds: 0 } });
        assert.strictEqual(container(spec, "app").lifecycle, undefined);
        assert.strictEqual(drainDelayOf(spec), "--drain-delay=0s");
        assert.strictEqual(spec.terminationGracePeriodSeconds, 25 + 5);
    });

    it("takes a custom drain on a custom admin port, and the grace period covers drain + proxy shutdown timeout + margin", async () => {
        const spec = await podSpec({ app: { image: "nginx", port: 80, drainSeconds: 12 }, proxy: { shutdownTimeoutSeconds: 40, adminPort: 9911 } });
        assert.deepStrictEqual(container(spec, "app").lifecycle, { preStop: { httpGet: { ...DRAIN.preStop.httpGet, port: 9911 } } });
        assert.strictEqual(drainDelayOf(spec), "--drain-delay=12s");
        assert.strictEqual(spec.terminationGracePeriodSeconds, 12 + 40 + 5);
    });

    it("without native sidecars the proxy gets SIGTERM with the app, so its own preStop hook runs the same drain", async () => {
        const spec = await podSpec({ nativeSidecar: false, app: { image: "nginx", port: 80, drainSeconds: 7 } });
        assert.deepStrictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, DRAIN);
        assert.deepStrictEqual(container(spec, "app").lifecycle, DRAIN);
        assert.strictEqual(drainDelayOf(spec), "--drain-delay=7s");
        assert.strictEqual(spec.terminationGracePeriodSeconds, 7 + 25 + 5);
    });

    it("without native sidecars and a drain of 0, neither container has a hook", async () => {
        const spec = await podSpec({ nativeSidecar: false, app: { image: "nginx", port: 80, drainSeconds: 0 } });
        assert.strictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, undefined);
        assert.strictEqual(container(spec, "app").lifecycle, undefined);
    });

    it("with a tunnel, the grace period is the longer of the two needs", async () => {
        const short = await podSpec({ app: { image: "nginx", port: 80, drainSeconds: 30 }, tunnel: { token: TOKEN, gracePeriodSeconds: 10 } });
        assert.strictEqual(short.terminationGracePeriodSeconds, 30 + 25 + 5);
        mocks = await installMocks();
        const long = await podSpec({ tunnel: { token: TOKEN, gracePeriodSeconds: 60 } });
        assert.strictEqual(long.terminationGracePeriodSeconds, 60 + 5);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});

describe("the program's drainSeconds", () => {
    it("is declared with the component's default", async () => {
        const { APP_DEFAULTS } = await import("../components/app");
        assert.strictEqual(declaredConfig().drainSeconds.default, APP_DEFAULTS.drainSeconds);
    });

    it("sets the app's preStop drain; 0 removes it", async () => {
        const spec = (run: Awaited<ReturnType<typeof runProgram>>) => run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const app = (run: Awaited<ReturnType<typeof runProgram>>) => spec(run).containers.find((x: any) => x.name === "app");
        assert.deepStrictEqual(app(await runProgram("dev")).lifecycle, DRAIN);
        const nine = await runProgram("dev", { drainSeconds: 9 });
        assert.deepStrictEqual(app(nine).lifecycle, DRAIN);
        assert.ok(spec(nine).initContainers.some((x: any) => (x.args ?? []).includes("--drain-delay=9s")));
        const none = await runProgram("dev", { drainSeconds: 0 });
        assert.strictEqual(app(none).lifecycle, undefined);
        assert.strictEqual(spec(none).terminationGracePeriodSeconds, 30);
    });

    it("refuses a value out of range, naming the key", async () => {
        const message = await refusal("dev", { drainSeconds: 400 });
        assert.match(message, /^invalid configuration: tls-sidecar:drainSeconds: 400 is not allowed; expected an integer from 0 to 300/);
    });
});
