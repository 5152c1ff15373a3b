// The README's reference lists every config key and every argument of TlsSidecarApp.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { declaredConfig, ROOT } from "./support/program";
import { codeNames, section, tableRows } from "./support/readme";

/** Property names of an interface in components/, read with the TypeScript parser. */
function members(name: string): string[] {
    for (const file of fs.readdirSync(path.join(ROOT, "components"))) {
        const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, "components", file), "utf8"), ts.ScriptTarget.ES2020, true);
        const found = source.statements.find((n): n is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(n) && n.name.text === name);
        if (found !== undefined) {
            return found.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text);
        }
    }
    throw new Error(`interface ${name} not found`);
}

describe("the README's reference", () => {
    it("lists every key Pulumi.yaml declares in the configuration table", () => {
        const listed = new Set(tableRows("### The program's configuration").flatMap(([keys]) => codeNames(keys)));
        const missing = Object.keys(declaredConfig()).filter((key) => !listed.has(key));
        assert.deepStrictEqual(missing, []);
    });

    it("lists every argument of TlsSidecarApp and of its app in the arguments table", () => {
        const names = tableRows("### `TlsSidecarApp` arguments").flatMap(([args]) => codeNames(args));
        const text = section("### `TlsSidecarApp` arguments");
        const topLevel = members("TlsSidecarAppArgs").filter((m) => !names.some((n) => n === m || n.startsWith(`${m}.`)));
        assert.deepStrictEqual(topLevel, [], "top-level arguments missing");
        const app = members("AppContainer").filter((m) => !names.includes(`app.${m}`) && !text.includes(`\`${m}\``));
        assert.deepStrictEqual(app, [], "app.* arguments missing");
    });
});
