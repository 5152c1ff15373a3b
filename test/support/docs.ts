// The documentation's pages (README.md, docs/*.md) parsed: their reference tables, so tests hold the code to what the
// pages say, and their links and heading ids, so tests hold the pages to each other.
import * as fs from "fs";
import * as path from "path";
import GithubSlugger from "github-slugger";
import { Lexer, Token, walkTokens } from "marked";
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

/** The text a reader sees of inline tokens: code spans and emphasis without their marks, links by their text. */
function plainText(tokens: Token[]): string {
    return tokens.map((t) => ("tokens" in t && t.tokens ? plainText(t.tokens) : "text" in t ? String(t.text) : "")).join("");
}

/** The ids GitHub gives the headings of a Markdown file: each heading's text slugged, repeats numbered (-1, -2 …). */
export function anchorsOf(file: string): Set<string> {
    const slugger = new GithubSlugger();
    const ids = new Set<string>();
    walkTokens(Lexer.lex(page(file)), (t) => {
        if (t.type === "heading") ids.add(slugger.slug(plainText(t.tokens ?? [])));
    });
    return ids;
}

/** Targets of a page's links and images (none inside code), as written. */
export function linksOf(file: string): string[] {
    const hrefs: string[] = [];
    walkTokens(Lexer.lex(page(file)), (t) => {
        if (t.type === "link" || t.type === "image") hrefs.push(t.href);
    });
    return hrefs;
}

/** A link with a scheme (https:, mailto:) leaves the repository; the rest are relative. */
export const isExternal = (href: string) => /^[a-z][a-z0-9+.-]*:/i.test(href);

/** Where a relative link of `file` points: a path from the repository root (`file` itself for "#…"), and its anchor. */
export function linkTarget(file: string, href: string): { target: string; anchor?: string } {
    const [target, anchor] = href.split("#", 2);
    return { target: target === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(target))), anchor };
}
