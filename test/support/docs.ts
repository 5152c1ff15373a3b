// The documentation's pages (README.md, docs/*.md) and their reference tables, parsed, so tests hold the code to what
// the pages say.
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./program";

/** A page's text, by its path from the repository root ("docs/reference.md"). */
export function page(file: string): string {
    return fs.readFileSync(path.join(ROOT, file), "utf8");
}

/**
 * The text of the section of `file` under `heading` (e.g. "## Outputs"), up to the next heading of any level; a
 * `# …` line inside a fenced code block (a shell comment) is no heading.
 */
export function section(file: string, heading: string): string {
    const text = page(file);
    const start = text.indexOf(`\n${heading}\n`);
    if (start < 0) {
        throw new Error(`${file} has no section ${heading}`);
    }
    const lines = text.slice(start + heading.length + 2).split("\n");
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
export function tableRows(file: string, heading: string): string[][] {
    const lines = section(file, heading)
        .split("\n")
        .filter((l) => l.startsWith("|"));
    return lines.slice(2).map((l) => l.slice(1, -1).split("|").map((cell) => cell.trim()));
}

/** The names in backticks in a cell: "`proxyImage`, `initImage`" → ["proxyImage", "initImage"]. */
export function codeNames(cell: string): string[] {
    return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

