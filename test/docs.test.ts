// The documentation holds together: README.md is a front page of at most 15 KB, every relative link in it and in
// docs/*.md reaches a file of the repository and, with an #anchor, a heading of that file (the id GitHub gives the
// heading), and the README's benchmark figures are those of docs/benchmark.md.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { anchorsOf, isExternal, linkTarget, linksOf, page, section } from "./support/docs";
import { ROOT } from "./support/program";

/** README.md and every Markdown page of docs/, by their paths from the repository root. */
const PAGES = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Why a relative link from `file` does not resolve, or undefined when it does. */
function brokenLink(file: string, href: string): string | undefined {
    const { target: resolved, anchor } = linkTarget(file, href);
    if (resolved.startsWith("../")) return `${href}: leaves the repository`;
    if (!fs.existsSync(path.join(ROOT, resolved))) return `${href}: ${resolved} does not exist`;
    if (anchor === undefined) return undefined;
    if (!resolved.endsWith(".md")) return `${href}: an anchor into ${resolved}, which is not Markdown`;
    return anchorsOf(resolved).has(anchor) ? undefined : `${href}: ${resolved} has no heading with the id "${anchor}"`;
}

describe("the documentation", () => {
    it("keeps README.md a front page of at most 15 KB", () => {
        const bytes = fs.statSync(path.join(ROOT, "README.md")).size;
        assert.ok(bytes <= 15 * 1024, `README.md is ${bytes} bytes`);
    });

    it("has docs/ pages for the reference, certificates, tunnel, security, development and the benchmark", () => {
        for (const name of ["reference", "certificates", "tunnel", "security", "development", "benchmark"]) {
            assert.ok(PAGES.includes(`docs/${name}.md`), `docs/${name}.md`);
        }
    });

    for (const file of PAGES) {
        it(`resolves every relative link and anchor of ${file}`, () => {
            const relative = linksOf(file).filter((href) => !isExternal(href));
            assert.ok(relative.length > 0, `${file} links to something in the repository`);
            const broken = relative.map((href) => brokenLink(file, href)).filter((why) => why !== undefined);
            assert.deepStrictEqual(broken, []);
        });
    }

    it("finds the ids GitHub gives headings, and a broken link or anchor", () => {
        const ids = anchorsOf("docs/reference.md");
        for (const id of ["tlssidecarapp-arguments", "the-programs-configuration", "the-pod-and-the-deployment"]) assert.ok(ids.has(id), id);
        assert.strictEqual(brokenLink("README.md", "docs/reference.md#outputs"), undefined);
        assert.match(brokenLink("README.md", "docs/reference.md#no-such-heading") ?? "", /has no heading with the id "no-such-heading"/);
        assert.match(brokenLink("docs/tunnel.md", "nowhere.md") ?? "", /docs\/nowhere\.md does not exist/);
        assert.match(brokenLink("README.md", "../outside.md") ?? "", /leaves the repository/);
    });

    it("quotes in the README's Performance section only figures of docs/benchmark.md", () => {
        const figures = section("README.md", "## Performance").match(/\d{4}-\d{2}-\d{2}|\d+\.\d+/g) ?? [];
        assert.ok(figures.length >= 8, `figures: ${figures.join(", ")}`);
        const benchmark = page("docs/benchmark.md");
        assert.deepStrictEqual(figures.filter((f) => !benchmark.includes(f)), []);
    });
});
