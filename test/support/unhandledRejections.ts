// A suite-wide guard (loaded by .mocharc.json): any promise rejection that nothing handles fails the run. Without
// it mocha swallows them, and an error that a real `pulumi up` prints as an unhandled exception would pass unseen.
// Each is attributed to the test during which it arrived; the run fails after the last test, listing them all, so
// that one stray rejection does not stop the other suites from running.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as util from "util";

const arrived: unknown[] = [];
const attributed: string[] = [];

process.on("unhandledRejection", (reason) => {
    arrived.push(reason);
});

/** Lets rejections already settled be reported: Node emits them once the microtask queue drains. */
function nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

async function attribute(when: string): Promise<void> {
    await nextTurn();
    await nextTurn();
    attributed.push(...arrived.splice(0).map((r) => `${when}: ${util.inspect(r, { depth: 1 })}`));
}

/**
 * For a test of an error the Pulumi runtime raises through Node's unhandled-rejection event, which is how it
 * reports every failed resource operation (its language host logs it as the program's error): the rejections that
 * arrived so far in this test, taken so that the guard does not count them. The test asserts what they are.
 */
export async function takeUnhandledRejections(): Promise<unknown[]> {
    await nextTurn();
    await nextTurn();
    return arrived.splice(0);
}

/**
 * The one error the runtime raised for `resource` and everything that waited on it: a ResourceError on it, its stack
 * hidden, which the Node language host logs once (it dedupes by identity) as `error: <message>`. Returns its message.
 */
export async function reportedOnceOn(resource: pulumi.Resource | undefined): Promise<string> {
    const reported = await takeUnhandledRejections();
    assert.ok(reported.length > 0, "the runtime raised the failure");
    assert.strictEqual(new Set(reported).size, 1, "one error, however many resources waited on it");
    const error = reported[0] as pulumi.ResourceError;
    assert.ok(pulumi.ResourceError.isInstance(error) && error.hideStack, `a ResourceError with its stack hidden, got ${util.inspect(error, { depth: 0 })}`);
    assert.strictEqual(error.resource, resource);
    return error.message;
}

export const mochaHooks = {
    async afterEach(this: Mocha.Context): Promise<void> {
        await attribute(`during "${this.currentTest?.fullTitle()}"`);
    },
    async afterAll(): Promise<void> {
        await attribute("after the last test");
        if (attributed.length > 0) {
            throw new Error(`${attributed.length} unhandled promise rejection(s):\n${attributed.join("\n")}`);
        }
    },
};
