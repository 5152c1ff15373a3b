// What `docker build` reads from a build context: the files .dockerignore lets through, and the local sources each
// COPY/ADD of the Dockerfile names (not those of `--from=<stage>`, which come from another stage).
import dockerignore from "@balena/dockerignore";
import { DockerfileParser, JSONInstruction } from "dockerfile-ast";
import { minimatch } from "minimatch";
import * as path from "path";

/** A context's files (paths relative to it, `/`-separated) that .dockerignore lets into the build. */
export function contextFiles(files: string[], dockerignoreText: string | undefined): string[] {
    return dockerignoreText === undefined ? files : dockerignore({ ignorecase: false }).add(dockerignoreText).filter(files);
}

/** The local sources of every COPY and ADD, as written (relative to the context; `./` and a trailing `/` dropped). */
export function copySources(dockerfileText: string): string[] {
    const sources: string[] = [];
    for (const instruction of DockerfileParser.parse(dockerfileText).getInstructions()) {
        if (!(instruction instanceof JSONInstruction) || !["COPY", "ADD"].includes(instruction.getKeyword())) continue;
        if (instruction.getFlags().some((f) => f.getName() === "from")) continue;
        const args = instruction.getArguments().map((a) => a.getValue());
        sources.push(...args.slice(0, -1).map((s) => path.posix.normalize(s).replace(/\/$/, "")));
    }
    return sources;
}

/**
 * The context files a COPY source selects: the file itself, everything under a directory, or what a wildcard
 * matches (Go's filepath.Match, as Docker: `*` stops at `/`; a matched directory brings its contents).
 */
export function selectedBy(source: string, files: string[]): string[] {
    if (source === ".") return files;
    const matched = (candidate: string) => minimatch(candidate, source, { dot: true });
    return files.filter((f) => {
        const parts = f.split("/");
        return parts.some((_, i) => matched(parts.slice(0, i + 1).join("/")));
    });
}
