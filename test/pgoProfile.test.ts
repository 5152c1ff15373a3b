// The proxy's release builds read a profile (images/proxy/pgo/proxy.profdata, made by bench/pgo.sh) for
// profile-guided optimisation. A function changed since the profile was made silently loses its profile, so the
// profile must follow the sources: pgo/sources.sha256 lists the sources it was made from, and this test fails once
// any of them changes, is added or is removed.
import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./support/program";

const CRATE = path.join(ROOT, "images/proxy");
const PROFILE = path.join(CRATE, "pgo/proxy.profdata");
const MANIFEST = path.join(CRATE, "pgo/sources.sha256");
const SOURCES = path.join(CRATE, "pgo/sources.sh");
/** The first bytes of an LLVM indexed profile (the format rustc's -C profile-use reads). */
const INDEXED_PROFILE_MAGIC = Buffer.from("\xfflprofi\x81", "latin1");

/** The files that shape the proxy's code, as bench/pgo.sh records them (pgo/sources.sh): crate-relative, sorted. */
function profiledSources(): string[] {
    return execFileSync(SOURCES, { encoding: "utf8" }).split("\n").filter((l) => l !== "");
}

function recorded(): Map<string, string> {
    const lines = fs.readFileSync(MANIFEST, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    return new Map(lines.map((l) => {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(l);
        assert.ok(m, `${MANIFEST}: not a sha256sum line: ${l}`);
        return [m[2], m[1]];
    }));
}

/** How the crate's sources differ from those the profile was made from, one line per file. */
export function staleSources(then: Map<string, string>, files: string[], read: (f: string) => Buffer): string[] {
    const problems: string[] = [];
    for (const f of files) {
        const sum = createHash("sha256").update(read(f)).digest("hex");
        if (!then.has(f)) problems.push(`${f}: new since the profile was made`);
        else if (then.get(f) !== sum) problems.push(`${f}: changed since the profile was made`);
    }
    for (const f of then.keys()) if (!files.includes(f)) problems.push(`${f}: removed since the profile was made`);
    return problems;
}

describe("the proxy's PGO profile", () => {
    it("is an indexed LLVM profile", () => {
        const head = fs.readFileSync(PROFILE).subarray(0, 8);
        assert.ok(head.equals(INDEXED_PROFILE_MAGIC), `${PROFILE} is not an indexed profile (llvm-profdata merge output)`);
    });

    it("was made from today's sources (else run bench/pgo.sh)", () => {
        const problems = staleSources(recorded(), profiledSources(), (f) => fs.readFileSync(path.join(CRATE, f)));
        assert.deepStrictEqual(problems, [], `images/proxy changed since pgo/proxy.profdata was made: run bench/pgo.sh\n${problems.join("\n")}`);
    });

    it("follows the crate's build inputs and not its unit tests (pgo/sources.sh)", () => {
        const files = profiledSources();
        for (const f of ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "src/main.rs", "os/src/lib.rs"]) assert.ok(files.includes(f), `${f} is not listed`);
        assert.ok(fs.existsSync(path.join(CRATE, "src/config/tests.rs")), "no src/config/tests.rs: this check needs a unit-test file to see it left out");
        assert.deepStrictEqual(files.filter((f) => path.basename(f) === "tests.rs"), []);
    });

    it("would report an edited, a new and a removed source", () => {
        const then = new Map([["src/a.rs", createHash("sha256").update("old").digest("hex")], ["src/gone.rs", "0".repeat(64)]]);
        const problems = staleSources(then, ["src/a.rs", "src/new.rs"], () => Buffer.from("new"));
        assert.deepStrictEqual(problems, [
            "src/a.rs: changed since the profile was made",
            "src/new.rs: new since the profile was made",
            "src/gone.rs: removed since the profile was made",
        ]);
    });
});
