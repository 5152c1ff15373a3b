// The reference (docs/reference.md) lists every config key and every argument of TlsSidecarApp, and says what a user
// sees when the configuration is wrong: the CLI's own line for a value of the wrong type, the program's error for the
// rest.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { brought } from "./support/broughtCertificates";
import { componentSources, declaredConfig, DeclaredKey, refusal, ROOT } from "./support/program";
import { codeNames, section, tableRows } from "./support/docs";

const REFERENCE = "docs/reference.md";

/** Property names of an interface in components/, read with the TypeScript parser. */
function members(name: string): string[] {
    for (const file of componentSources()) {
        const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, "components", file), "utf8"), ts.ScriptTarget.ES2020, true);
        const found = source.statements.find((n): n is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(n) && n.name.text === name);
        if (found !== undefined) {
            return found.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text);
        }
    }
    throw new Error(`interface ${name} not found`);
}

describe("the reference, docs/reference.md", () => {
    it("lists every key Pulumi.yaml declares in the configuration table", () => {
        const listed = new Set(tableRows(REFERENCE, "## The program's configuration").flatMap(([keys]) => codeNames(keys)));
        const missing = Object.keys(declaredConfig()).filter((key) => !listed.has(key));
        assert.deepStrictEqual(missing, []);
    });

    it("lists every argument of TlsSidecarApp and of its app in the arguments table", () => {
        const names = tableRows(REFERENCE, "## `TlsSidecarApp` arguments").flatMap(([args]) => codeNames(args));
        const text = section(REFERENCE, "## `TlsSidecarApp` arguments");
        const topLevel = members("TlsSidecarAppArgs").filter((m) => !names.some((n) => n === m || n.startsWith(`${m}.`)));
        assert.deepStrictEqual(topLevel, [], "top-level arguments missing");
        const app = members("AppContainer").filter((m) => !names.includes(`app.${m}`) && !text.includes(`\`${m}\``));
        assert.deepStrictEqual(app, [], "app.* arguments missing");
    });

    describe("what a user sees when the configuration is wrong", () => {
        const text = section(REFERENCE, "## The program's configuration");

        /** The type name the CLI prints for a declared key (its InferFullTypeName: `array<string>` for a list). */
        function cliTypeName(decl: DeclaredKey): string {
            return decl.items === undefined ? decl.type : `array<${decl.items.type}>`;
        }

        it("quotes the CLI's line for a value of the wrong type, for a key Pulumi.yaml declares with that type", () => {
            const quoted = [...text.matchAll(/^ *error: validating stack config: Stack '([^']+)' with configuration key '([^']+)' must be of type '([^']+)'$/gm)];
            assert.strictEqual(quoted.length, 1, "the CLI's line, quoted once, in the CLI's format");
            const [, stack, key, type] = quoted[0];
            assert.ok(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)), `a stack ${stack}`);
            assert.strictEqual(cliTypeName(declaredConfig()[key]), type);
            assert.match(text, new RegExp(`pulumi config set ${key} \\S+\``), "with the command that leads to it");
        });

        it("shows the program's error for the commands it lists, verbatim", async () => {
            const example = text.slice(text.indexOf("<!-- docs:configuration-errors:start -->"), text.indexOf("<!-- docs:configuration-errors:end -->"));
            const [commands, shown] = [...example.matchAll(/```[a-z]*\n([\s\S]*?)\n *```/g)].map((m) => m[1].replace(/^ {3}/gm, ""));
            const overrides: Record<string, string> = { tlsCertificate: brought().cert };
            const secretKeys: string[] = [];
            for (const line of commands.split("\n")) {
                const [, secret, key, value] = /^pulumi config set (--secret )?(\S+) (\S+)$/.exec(line) ?? assert.fail(`not a config command: ${line}`);
                overrides[key] = value;
                if (secret !== undefined) secretKeys.push(key);
            }
            assert.strictEqual(await refusal("dev", overrides, secretKeys), shown);
        });
    });
});
