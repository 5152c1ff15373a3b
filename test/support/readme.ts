// The README's reference tables, parsed, so tests hold the code to what the README says.
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./program";

export const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/**
 * The text of the section under `heading` (e.g. "### Outputs"), up to the next heading of any level; a `# …` line
 * inside a fenced code block (a shell comment) is no heading.
 */
export function section(heading: string): string {
    const start = README.indexOf(`\n${heading}\n`);
    if (start < 0) {
        throw new Error(`README has no section ${heading}`);
    }
    const lines = README.slice(start + heading.length + 2).split("\n");
    let fenced = false;
    const end = lines.findIndex((line) => {
        if (line.startsWith("```")) {
            fenced = !fenced;
        }
        return !fenced && /^#{1,6} /.test(line);
    });
    return (end < 0 ? lines : lines.slice(0, end)).join("\n");
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
