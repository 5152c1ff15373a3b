import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type * as Components from "../../components";
import type { TlsSidecarAppArgs } from "../../components";
import { EngineMocks, promiseOf } from "./mocks";

/** Shaped like a real tunnel token (base64 of {"a":…,"t":…,"s":…}); not a real one. */
export const TUNNEL_TOKEN = Buffer.from(JSON.stringify({ a: "0123456789abcdef0123456789abcdef", t: "6ff42ae2-765d-4adf-8112-31c55c1551ef", s: "c2VjcmV0LXNlY3JldA==" })).toString("base64");

/** The smallest valid arguments: an app and prebuilt images. */
export function minimalArgs(overrides: Partial<TlsSidecarAppArgs> = {}): TlsSidecarAppArgs {
    return {
        app: { image: "nginx:1.27", port: 80 },
        images: { prebuilt: { proxy: "registry.example/tls-sidecar/proxy@sha256:aaa", init: "registry.example/tls-sidecar/init@sha256:bbb" } },
        ...overrides,
    };
}

/** A TlsSidecarApp ("hello") made with `minimalArgs(args)`, once every child is registered. */
export async function deployed(c: typeof Components, args: Partial<TlsSidecarAppArgs> = {}): Promise<Components.TlsSidecarApp> {
    const app = new c.TlsSidecarApp("hello", minimalArgs(args));
    await promiseOf(app.workloadName);
    await promiseOf(app.url);
    return app;
}

/** The Deployment's pod spec for these arguments. */
export async function deployedPodSpec(c: typeof Components, mocks: EngineMocks, args: Partial<TlsSidecarAppArgs> = {}): Promise<any> {
    await deployed(c, args);
    return mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
}

/** The args of the proxy container of the one Deployment registered. */
export function deployedProxyArgs(mocks: EngineMocks, proxyContainer: string): string[] {
    const spec = mocks.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec;
    return [...(spec.initContainers ?? []), ...spec.containers].find((x: { name: string }) => x.name === proxyContainer).args;
}

/** Captures each resource's properties as the component passes them (Outputs intact, so secrecy can be checked). */
export function captureProps(): { captured: Map<string, pulumi.Inputs>; transformation: pulumi.ResourceTransformation } {
    const captured = new Map<string, pulumi.Inputs>();
    return {
        captured,
        transformation: (args) => {
            captured.set(`${args.type}::${args.name}`, args.props);
            return undefined;
        },
    };
}

/** A bad-argument case: what it is, the arguments, and what the message must say (argument, value, what is allowed). */
export type RejectionCase = [string, () => Partial<TlsSidecarAppArgs>, RegExp];

/**
 * One test per case: TlsSidecarApp throws a ConfigError whose message matches, and no resource was registered.
 * `current` gives the components module and the mocks installed by the suite's beforeEach.
 */
export function itRejectsEach(cases: RejectionCase[], current: () => { c: typeof Components; mocks: EngineMocks }): void {
    for (const [what, args, message] of cases) {
        it(`rejects ${what}, naming the argument, the value and what is allowed, and creates nothing`, () => {
            const { c, mocks } = current();
            assert.throws(
                () => new c.TlsSidecarApp("hello", minimalArgs(args())),
                (e: unknown) => {
                    assert.ok(e instanceof c.ConfigError, `a ConfigError, got ${e}`);
                    assert.match((e as Error).message, message);
                    return true;
                },
            );
            assert.deepStrictEqual(
                mocks.resources.map((r) => r.type),
                [],
            );
        });
    }
}
