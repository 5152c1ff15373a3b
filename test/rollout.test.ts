// Zero-loss rollouts: the app (and a proxy that is not a native sidecar) sleeps in preStop while the endpoint is
// removed, and the pod's grace period covers that sleep, the proxy's drain and a margin.
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

const sleep = (seconds: number) => ({ preStop: { sleep: { seconds } } });

const CASES: RejectionCase[] = [
    ["a preStop sleep above 300 s", () => ({ app: { image: "nginx", port: 80, preStopSleepSeconds: 301 } }), /^app\.preStopSleepSeconds: 301 is not allowed; expected an integer from 0 to 300 \(.*0 for no preStop hook\)$/],
    ["a negative preStop sleep", () => ({ app: { image: "nginx", port: 80, preStopSleepSeconds: -1 } }), /^app\.preStopSleepSeconds: -1 .*from 0 to 300/],
    ["a fractional preStop sleep", () => ({ app: { image: "nginx", port: 80, preStopSleepSeconds: 2.5 } }), /^app\.preStopSleepSeconds: 2\.5 .*an integer/],
    ["a preStop sleep given as a string", () => ({ app: { image: "nginx", port: 80, preStopSleepSeconds: "5" as unknown as number } }), /^app\.preStopSleepSeconds: "5" .*an integer/],
];

describe("rollouts: the preStop sleep and the grace period", () => {
    beforeEach(async () => {
        mocks = await installMocks();
        c = await import("../components");
    });

    it("by default the app sleeps 5 s in preStop; the native-sidecar proxy has no hook (it stops after the app)", async () => {
        const spec = await podSpec();
        assert.deepStrictEqual(container(spec, "app").lifecycle, sleep(5));
        assert.strictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, undefined);
        assert.strictEqual(spec.terminationGracePeriodSeconds, 5 + 25 + 5);
    });

    it("0 leaves the hook out", async () => {
        const spec = await podSpec({ app: { image: "nginx", port: 80, preStopSleepSeconds: 0 } });
        assert.strictEqual(container(spec, "app").lifecycle, undefined);
        assert.strictEqual(spec.terminationGracePeriodSeconds, 25 + 5);
    });

    it("takes a custom sleep, and the grace period covers sleep + proxy shutdown timeout + margin", async () => {
        const spec = await podSpec({ app: { image: "nginx", port: 80, preStopSleepSeconds: 12 }, proxy: { shutdownTimeoutSeconds: 40 } });
        assert.deepStrictEqual(container(spec, "app").lifecycle, sleep(12));
        assert.strictEqual(spec.terminationGracePeriodSeconds, 12 + 40 + 5);
    });

    it("without native sidecars the proxy gets SIGTERM with the app, so it sleeps the same in preStop (sleep: its image has no shell)", async () => {
        const spec = await podSpec({ nativeSidecar: false, app: { image: "nginx", port: 80, preStopSleepSeconds: 7 } });
        assert.deepStrictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, sleep(7));
        assert.deepStrictEqual(container(spec, "app").lifecycle, sleep(7));
        assert.strictEqual(spec.terminationGracePeriodSeconds, 7 + 25 + 5);
    });

    it("without native sidecars and a sleep of 0, neither container has a hook", async () => {
        const spec = await podSpec({ nativeSidecar: false, app: { image: "nginx", port: 80, preStopSleepSeconds: 0 } });
        assert.strictEqual(container(spec, c.PROXY_CONTAINER).lifecycle, undefined);
        assert.strictEqual(container(spec, "app").lifecycle, undefined);
    });

    it("with a tunnel, the grace period is the longer of the two needs", async () => {
        const short = await podSpec({ app: { image: "nginx", port: 80, preStopSleepSeconds: 30 }, tunnel: { token: TOKEN, gracePeriodSeconds: 10 } });
        assert.strictEqual(short.terminationGracePeriodSeconds, 30 + 25 + 5);
        mocks = await installMocks();
        const long = await podSpec({ tunnel: { token: TOKEN, gracePeriodSeconds: 60 } });
        assert.strictEqual(long.terminationGracePeriodSeconds, 60 + 5);
    });

    itRejectsEach(CASES, () => ({ c, mocks }));
});

describe("the program's preStopSleepSeconds", () => {
    it("is declared with the component's default", async () => {
        const { WORKLOAD_DEFAULTS } = await import("../components/workload");
        assert.strictEqual(declaredConfig().preStopSleepSeconds.default, WORKLOAD_DEFAULTS.preStopSleepSeconds);
    });

    it("sets the app's preStop sleep; 0 removes it", async () => {
        const spec = (run: Awaited<ReturnType<typeof runProgram>>) => run.mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
        const app = (run: Awaited<ReturnType<typeof runProgram>>) => spec(run).containers.find((x: any) => x.name === "app");
        assert.deepStrictEqual(app(await runProgram("dev")).lifecycle, sleep(5));
        assert.deepStrictEqual(app(await runProgram("dev", { preStopSleepSeconds: 9 })).lifecycle, sleep(9));
        const none = await runProgram("dev", { preStopSleepSeconds: 0 });
        assert.strictEqual(app(none).lifecycle, undefined);
        assert.strictEqual(spec(none).terminationGracePeriodSeconds, 30);
    });

    it("refuses a value out of range, naming the key", async () => {
        const message = await refusal("dev", { preStopSleepSeconds: 400 });
        assert.match(message, /^invalid configuration: tls-sidecar:preStopSleepSeconds: 400 is not allowed; expected an integer from 0 to 300/);
    });
});
