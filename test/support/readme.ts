// The README's reference tables, parsed, so tests hold the code to what the README says.
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./program";

export const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The text of the section under `heading` (e.g. "### Outputs"), up to the next heading of any level. */
export function section(heading: string): string {
    const start = README.indexOf(`\n${heading}\n`);
    if (start < 0) {
        throw new Error(`README has no section ${heading}`);
    }
    const rest = README.slice(start + heading.length + 2);
    const next = rest.search(/^#{1,6} /m);
    return next < 0 ? rest : rest.slice(0, next);
}

/** Rows of the first table in a section, each as its cells (trimmed), without the header and separator rows. */
export function tableRows(heading: string): string[][] {
    const lines = section(heading)
        .split("\n")
        .filter((l) => l.startsWith("|"));
    return lines.slice(2).map((l) => l.slice(1, -1).split("|").map((cell) => cell.trim()));
}

/** The names in backticks in a cell: "`proxyImage`, `initImage`" → ["proxyImage", "initImage"]. */
export function codeNames(cell: string): string[] {
    return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}
