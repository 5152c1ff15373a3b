// A stack created by an earlier release keeps every resource: each URN recorded from that release's components
// (test/support/urns.golden.json, by test/support/recordUrns.ts) is the URN of a resource today, or one of its
// aliases (its own or inherited from a parent's), so the engine matches it and a preview shows no replacement.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type * as Components from "../components";
import { installMocks } from "./support/mocks";
import { runScenario, URN_SCENARIOS } from "./support/urns";

const GOLDEN: { recordedFrom: string; scenarios: Record<string, string[]> } = JSON.parse(fs.readFileSync(path.join(__dirname, "support", "urns.golden.json"), "utf8"));

/** A URN's own type (the last of its type chain) and its name. */
function typeAndName(urn: string): [string, string] {
    const [, , typeChain, name] = urn.split("::");
    return [typeChain.split("$").pop()!, name];
}

describe("resources of stacks made by an earlier release (URNs and aliases)", () => {
    let c: typeof Components;

    beforeEach(async () => {
        await installMocks();
        c = await import("../components");
    });

    it("has a recorded stack for every scenario", () => {
        assert.deepStrictEqual(Object.keys(GOLDEN.scenarios).sort(), Object.keys(URN_SCENARIOS).sort());
    });

    for (const [what, build] of Object.entries(URN_SCENARIOS)) {
        it(`${what}: every recorded resource is matched by exactly one resource today, of the same type and name`, async () => {
            const today = await runScenario(c, build);
            const recorded = GOLDEN.scenarios[what];
            const unmatched = recorded.filter((urn) => !today.some((r) => r.answersTo.includes(urn)));
            assert.deepStrictEqual(unmatched, [], `recorded from ${GOLDEN.recordedFrom}: these would be deleted and created anew`);
            for (const urn of recorded) {
                const matches = today.filter((r) => r.answersTo.includes(urn));
                assert.strictEqual(matches.length, 1, `${urn} is matched by ${matches.map((r) => r.urn).join(", ")}`);
                // Same type and name: an alias only moves it under another parent.
                assert.deepStrictEqual(typeAndName(matches[0].urn), typeAndName(urn));
            }
        });
    }
});
