// Records the URNs of URN_SCENARIOS' stacks as this checkout's components make them, for test/aliases.test.ts:
//   npx ts-node --transpile-only test/support/recordUrns.ts > test/support/urns.golden.json
// Run it on the release whose stacks must keep their resources, never to make the test pass.
import { execFileSync } from "child_process";
import { installMocks } from "./mocks";
import { runScenario, URN_SCENARIOS } from "./urns";

async function record(): Promise<void> {
    const scenarios: Record<string, string[]> = {};
    for (const [what, build] of Object.entries(URN_SCENARIOS)) {
        await installMocks();
        const c = await import("../../components");
        scenarios[what] = (await runScenario(c, build)).map((r) => r.urn).sort();
    }
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    process.stdout.write(`${JSON.stringify({ recordedFrom: commit, scenarios }, null, 2)}\n`);
}

record().catch((e) => {
    console.error(e);
    process.exit(1);
});
