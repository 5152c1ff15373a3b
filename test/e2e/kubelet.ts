// A tiny kubelet on Docker: runs a Kubernetes core/v1 PodSpec the way the kubelet would, for the pod-level e2e.
//
// - one network (and IPC) namespace held by a pause container, which also publishes the pod's ports on 127.0.0.1;
// - init containers in order, each with exactly its image, command/args, env, capabilities and user, each having
//   to exit 0 before the next starts; an init container with restartPolicy: Always is a native sidecar: started,
//   left running, and the next one starts once it runs;
// - then the containers;
// - Secret volumes materialised like kubelet's AtomicWriter (a `..<timestamp>` dir, `..data` -> it, each key a
//   symlink into `..data`), bind-mounted read-only; emptyDir volumes are temp dirs;
// - every container is named `<prefix>-<name>`, so cleanup removes exactly what this pod made.
//
// Not emulated: probes, resource limits, restarts on failure, service/kube-proxy, hostNetwork, projected volumes.
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { docker, eventually, run } from "./docker";

// --- the PodSpec shape (core/v1 fields this harness understands) ---------------------------------------------
export interface Capabilities { add?: string[]; drop?: string[] }
export interface SeccompProfile { type: string; localhostProfile?: string }
export interface SecurityContext {
    capabilities?: Capabilities;
    readOnlyRootFilesystem?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    seccompProfile?: SeccompProfile;
}
export interface PodSecurityContext {
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    fsGroup?: number;
    supplementalGroups?: number[];
    seccompProfile?: SeccompProfile;
}
export interface EnvVar { name: string; value?: string; valueFrom?: unknown }
export interface ContainerPort { containerPort: number; name?: string; protocol?: string }
export interface VolumeMount { name: string; mountPath: string; readOnly?: boolean; subPath?: string }
export interface Container {
    name: string;
    image: string;
    command?: string[];
    args?: string[];
    env?: EnvVar[];
    ports?: ContainerPort[];
    securityContext?: SecurityContext;
    volumeMounts?: VolumeMount[];
    workingDir?: string;
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never" | string;
    /** "Always" on an init container makes it a native sidecar (Kubernetes >= 1.29). */
    restartPolicy?: string;
    [other: string]: unknown; // probes, resources, lifecycle...: accepted, not emulated
}
export interface KeyToPath { key: string; path: string; mode?: number }
export interface Volume {
    name: string;
    secret?: { secretName?: string; defaultMode?: number; items?: KeyToPath[]; optional?: boolean };
    emptyDir?: { medium?: string; sizeLimit?: string };
    [other: string]: unknown;
}
export interface PodSpec {
    initContainers?: Container[];
    containers: Container[];
    volumes?: Volume[];
    securityContext?: PodSecurityContext;
    hostNetwork?: boolean;
    shareProcessNamespace?: boolean;
    terminationGracePeriodSeconds?: number;
    [other: string]: unknown;
}
/** A Secret's payload: `data` is base64 (as in the API), `stringData` plain. */
export interface SecretPayload { data?: Record<string, string>; stringData?: Record<string, string> }

export function secretFiles(s: SecretPayload): Record<string, Buffer> {
    const out: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, "base64");
    for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = Buffer.from(v, "utf8");
    return out;
}

// --- Secret volumes like kubelet's AtomicWriter ------------------------------------------------------------------
let tsCounter = 0;
function timestampDirName(): string {
    // kubelet: ..2006_01_02_15_04_05.<nanoseconds>
    const d = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, "0");
    tsCounter = (tsCounter + 1) % 1000;
    return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${p(tsCounter, 3)}${randomBytes(2).toString("hex")}`;
}

export interface SecretVolumeOptions { defaultMode?: number; items?: KeyToPath[]; fsGroup?: number }

/** The files a secret volume shows: item paths (or the keys) with their modes. */
function projection(files: Record<string, Buffer>, opts: SecretVolumeOptions): { path: string; content: Buffer; mode: number }[] {
    const defaultMode = opts.defaultMode ?? 0o644;
    const items: KeyToPath[] = opts.items ?? Object.keys(files).sort().map((key) => ({ key, path: key }));
    return items.map((it) => {
        const content = files[it.key];
        if (content === undefined) {
            throw new Error(`secret has no key ${it.key}`);
        }
        if (it.path.startsWith("..") || it.path.startsWith("/") || it.path.split("/").includes("..")) {
            throw new Error(`invalid item path ${it.path}`);
        }
        return { path: it.path, content, mode: it.mode ?? defaultMode };
    });
}

function writeTimestampDir(root: string, files: { path: string; content: Buffer; mode: number }[], fsGroup?: number): string {
    const ts = timestampDirName();
    const dir = join(root, ts);
    mkdirSync(dir, { mode: 0o755 });
    for (const f of files) {
        const p = join(dir, f.path);
        mkdirSync(join(p, ".."), { recursive: true, mode: 0o755 });
        writeFileSync(p, f.content);
        chmodSync(p, f.mode);
        if (fsGroup !== undefined) chownSync(p, 0, fsGroup);
    }
    return ts;
}

/** Writes a fresh secret volume into root (an empty dir): `..<ts>/`, `..data` -> it, and a symlink per top-level name. */
export function materialiseSecret(root: string, files: Record<string, Buffer>, opts: SecretVolumeOptions = {}): void {
    const proj = projection(files, opts);
    const ts = writeTimestampDir(root, proj, opts.fsGroup);
    symlinkSync(ts, join(root, "..data"));
    for (const top of new Set(proj.map((f) => f.path.split("/")[0]))) {
        symlinkSync(posix.join("..data", top), join(root, top));
    }
    chmodSync(root, 0o1777); // kubelet's secret tmpfs root
}

/**
 * Kubelet's update: write `..<ts2>/`, point a new `..data_tmp` symlink at it and rename it over `..data` (one atomic
 * rename, so a reader sees the old or the new set, never a mix), fix the top-level symlinks, remove the old dir.
 */
export function rotateSecretDir(root: string, files: Record<string, Buffer>, opts: SecretVolumeOptions = {}): void {
    const proj = projection(files, opts);
    const old = readlinkSync(join(root, "..data"));
    const ts = writeTimestampDir(root, proj, opts.fsGroup);
    const tmp = join(root, "..data_tmp");
    rmSync(tmp, { force: true });
    symlinkSync(ts, tmp);
    renameSync(tmp, join(root, "..data"));
    const tops = new Set(proj.map((f) => f.path.split("/")[0]));
    for (const top of tops) {
        if (!existsSync(join(root, top)) && !isSymlink(join(root, top))) symlinkSync(posix.join("..data", top), join(root, top));
    }
    rmSync(join(root, old), { recursive: true, force: true });
}

function isSymlink(p: string): boolean {
    try {
        return lstatSync(p).isSymbolicLink();
    } catch {
        return false;
    }
}

// --- docker run arguments for one container -----------------------------------------------------------------------
export interface MountedVolume { hostPath: string; kind: "secret" | "emptyDir" }

/** `docker run` flags (without name, network, image) for a container, as kubelet would configure it. */
export function containerRunFlags(c: Container, pod: PodSpec, volumes: Map<string, MountedVolume>, fieldRefs: Record<string, string> = {}): string[] {
    const flags: string[] = [];
    const sc = c.securityContext ?? {};
    const psc = pod.securityContext ?? {};
    if (sc.privileged) flags.push("--privileged");
    // Kubernetes starts from the runtime's default capability set; drop then add, like the CRI does.
    for (const cap of sc.capabilities?.drop ?? []) flags.push("--cap-drop", cap.toUpperCase() === "ALL" ? "ALL" : cap);
    for (const cap of sc.capabilities?.add ?? []) flags.push("--cap-add", cap);
    if (sc.readOnlyRootFilesystem) flags.push("--read-only");
    if (sc.allowPrivilegeEscalation === false) flags.push("--security-opt", "no-new-privileges");
    const seccomp = sc.seccompProfile ?? psc.seccompProfile;
    if (seccomp?.type === "Unconfined") flags.push("--security-opt", "seccomp=unconfined");
    const uid = sc.runAsUser ?? psc.runAsUser;
    const gid = sc.runAsGroup ?? psc.runAsGroup;
    if (uid !== undefined) flags.push("--user", gid !== undefined ? `${uid}:${gid}` : String(uid));
    else if (gid !== undefined) throw new Error(`${c.name}: runAsGroup without runAsUser is not supported here`);
    for (const g of [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])]) flags.push("--group-add", String(g));
    for (const e of c.env ?? []) {
        if (e.valueFrom !== undefined) {
            // the downward API's fieldRef (metadata.name, status.podIP, ...); other sources are not emulated
            const path = (e.valueFrom as { fieldRef?: { fieldPath?: string } }).fieldRef?.fieldPath;
            if (path === undefined || !(path in fieldRefs)) throw new Error(`${c.name}: env ${e.name} uses an unsupported valueFrom`);
            flags.push("--env", `${e.name}=${fieldRefs[path]}`);
            continue;
        }
        flags.push("--env", `${e.name}=${e.value ?? ""}`);
    }
    for (const m of c.volumeMounts ?? []) {
        const v = volumes.get(m.name);
        if (!v) throw new Error(`${c.name}: volumeMount ${m.name} has no volume`);
        // secret volumes are always read-only; subPath is resolved once, at start (and so never sees rotations)
        const ro = m.readOnly || v.kind === "secret";
        const src = m.subPath ? join(v.hostPath, m.subPath) : v.hostPath;
        flags.push("--mount", `type=bind,source=${src},target=${m.mountPath}${ro ? ",readonly" : ""}`);
    }
    if (c.workingDir) flags.push("--workdir", c.workingDir);
    if (c.command && c.command.length > 0) flags.push("--entrypoint", c.command[0]);
    return flags;
}

/** What follows the image on the docker command line: the rest of `command`, then `args`. */
export function containerRunArgs(c: Container): string[] {
    return [...(c.command ?? []).slice(1), ...(c.args ?? [])];
}

// --- the pod ------------------------------------------------------------------------------------------------------
export interface PodOptions {
    /** Payloads of the Secrets the volumes name, by secretName. */
    secrets?: Record<string, SecretPayload>;
    /** Image for the network-namespace holder; it is run with the single argument "pause". */
    pauseImage: string;
    /** Publish every container port on 127.0.0.1 from the holder (the stand-in for a NodePort). Default true. */
    publishPorts?: boolean;
    log?: (msg: string) => void;
}

export class Pod {
    readonly prefix: string;
    ip = "";
    /** The address the pod sees for connections from this machine (the Docker bridge's gateway). */
    hostSideIp = "";
    private readonly dirs: string[] = [];
    private readonly volumes = new Map<string, MountedVolume>();
    private readonly secretVolumeOpts = new Map<string, SecretVolumeOptions>();
    private readonly created: string[] = [];
    private readonly log: (msg: string) => void;

    constructor(readonly spec: PodSpec, private readonly opts: PodOptions) {
        this.prefix = `tls-e2e-${randomBytes(4).toString("hex")}`;
        this.log = opts.log ?? (() => undefined);
        if (spec.hostNetwork) throw new Error("hostNetwork pods are not supported here");
    }

    get holder(): string {
        return `${this.prefix}-pause`;
    }

    dockerName(container: string): string {
        return `${this.prefix}-${container}`;
    }

    private allContainers(): Container[] {
        return [...(this.spec.initContainers ?? []), ...this.spec.containers];
    }

    container(name: string): Container {
        const c = this.allContainers().find((x) => x.name === name);
        if (!c) throw new Error(`no container ${name} in the pod spec`);
        return c;
    }

    async start(): Promise<void> {
        this.makeVolumes();
        await this.startHolder();
        for (const c of this.spec.initContainers ?? []) {
            if (c.restartPolicy === "Always") {
                await this.startContainer(c);
                await this.waitRunning(c.name);
            } else {
                const code = await this.runToCompletion(c);
                if (code !== 0) {
                    throw new Error(`init container ${c.name} exited ${code}:\n${await this.logs(c.name)}`);
                }
            }
        }
        for (const c of this.spec.containers) {
            await this.startContainer(c);
        }
    }

    private makeVolumes(): void {
        for (const v of this.spec.volumes ?? []) {
            const dir = mkdtempSync(join(tmpdir(), `${this.prefix}-vol-${v.name}-`));
            this.dirs.push(dir);
            if (v.secret) {
                const name = v.secret.secretName ?? v.name;
                const payload = this.opts.secrets?.[name];
                if (!payload) {
                    if (v.secret.optional) {
                        chmodSync(dir, 0o1777);
                        this.volumes.set(v.name, { hostPath: dir, kind: "secret" });
                        continue;
                    }
                    throw new Error(`volume ${v.name}: no payload for Secret ${name}`);
                }
                const o: SecretVolumeOptions = { defaultMode: v.secret.defaultMode, items: v.secret.items, fsGroup: this.spec.securityContext?.fsGroup };
                materialiseSecret(dir, secretFiles(payload), o);
                this.secretVolumeOpts.set(v.name, o);
                this.volumes.set(v.name, { hostPath: dir, kind: "secret" });
            } else if (v.emptyDir) {
                chmodSync(dir, 0o777); // kubelet's emptyDir is world-writable
                this.volumes.set(v.name, { hostPath: dir, kind: "emptyDir" });
            } else {
                throw new Error(`volume ${v.name}: only secret and emptyDir volumes are supported here`);
            }
        }
    }

    private async startHolder(): Promise<void> {
        const publish: string[] = [];
        if (this.opts.publishPorts ?? true) {
            for (const c of this.allContainers()) {
                for (const p of c.ports ?? []) {
                    publish.push("--publish", `127.0.0.1::${p.containerPort}/${(p.protocol ?? "TCP").toLowerCase()}`);
                }
            }
        }
        this.created.push(this.holder);
        await docker(["run", "--detach", "--name", this.holder, "--hostname", this.prefix, "--ipc", "shareable",
            "--label", "tls-sidecar-e2e=1", ...publish, this.opts.pauseImage, "pause"]);
        this.ip = await docker(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", this.holder]);
        this.hostSideIp = await docker(["inspect", "-f", "{{.NetworkSettings.Gateway}}", this.holder]);
        if (!this.ip) throw new Error("the pod's holder container has no IP address");
        this.log(`pod ${this.prefix}: ip ${this.ip}`);
    }

    /** The 127.0.0.1 port that a container port is published on (our NodePort stand-in). */
    async hostPort(containerPort: number): Promise<number> {
        const out = await docker(["port", this.holder, `${containerPort}/tcp`]);
        const m = /127\.0\.0\.1:(\d+)/.exec(out);
        if (!m) throw new Error(`port ${containerPort} is not published: ${out}`);
        return Number(m[1]);
    }

    private fieldRefs(): Record<string, string> {
        return { "metadata.name": this.prefix, "metadata.namespace": "default", "spec.nodeName": "docker", "status.podIP": this.ip, "status.hostIP": this.hostSideIp };
    }

    private async pull(c: Container): Promise<void> {
        const tagless = !/:[^/]+$/.test(c.image.split("@")[0]);
        const policy = c.imagePullPolicy ?? (c.image.includes("@") ? "IfNotPresent" : tagless || c.image.endsWith(":latest") ? "Always" : "IfNotPresent");
        if (policy === "Never") return;
        if (policy === "IfNotPresent") {
            const present = await run("docker", ["image", "inspect", c.image], { allowFail: true });
            if (present.code === 0) return;
        }
        this.log(`pulling ${c.image}`);
        await docker(["pull", "--quiet", c.image], { timeoutMs: 180_000 });
    }

    private async checkNonRoot(c: Container): Promise<void> {
        const sc = c.securityContext ?? {};
        const psc = this.spec.securityContext ?? {};
        if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) return;
        const uid = sc.runAsUser ?? psc.runAsUser;
        if (uid !== undefined) {
            if (uid === 0) throw new Error(`${c.name}: runAsNonRoot and runAsUser 0 (kubelet refuses to start it)`);
            return;
        }
        const user = await docker(["image", "inspect", "-f", "{{.Config.User}}", c.image]);
        const name = user.split(":")[0];
        if (name === "" || name === "0" || name === "root") throw new Error(`${c.name}: runAsNonRoot but the image runs as root`);
        if (!/^\d+$/.test(name)) throw new Error(`${c.name}: runAsNonRoot and non-numeric image user ${name} (kubelet cannot verify it)`);
    }

    private async createArgs(c: Container): Promise<string[]> {
        await this.pull(c);
        await this.checkNonRoot(c);
        const name = this.dockerName(c.name);
        return ["--name", name, "--network", `container:${this.holder}`, "--ipc", `container:${this.holder}`,
            "--label", "tls-sidecar-e2e=1", ...containerRunFlags(c, this.spec, this.volumes, this.fieldRefs()), c.image, ...containerRunArgs(c)];
    }

    private async startContainer(c: Container): Promise<void> {
        const args = await this.createArgs(c);
        this.created.push(this.dockerName(c.name));
        this.log(`start ${c.name}: docker run ${args.join(" ")}`);
        await docker(["run", "--detach", ...args]);
    }

    private async runToCompletion(c: Container): Promise<number> {
        await this.startContainer(c);
        const out = await docker(["wait", this.dockerName(c.name)], { timeoutMs: 60_000 });
        return Number(out);
    }

    private async waitRunning(name: string): Promise<void> {
        await eventually(`${name} running`, async () => {
            const state = await docker(["inspect", "-f", "{{.State.Status}}", this.dockerName(name)]);
            if (state === "exited" || state === "dead") {
                throw new Error(`${name} exited:\n${await this.logs(name)}`);
            }
            return state === "running" ? true : undefined;
        }, 50, 100);
    }

    /** Runs an init container again, as kubelet does when the pod sandbox restarts; returns its exit code. */
    async rerunInit(name: string): Promise<number> {
        const c = this.container(name);
        await docker(["rm", "--force", this.dockerName(name)]);
        return this.runToCompletion(c);
    }

    async logs(name: string): Promise<string> {
        const r = await run("docker", ["logs", "--tail", "200", this.dockerName(name)], { allowFail: true });
        return r.stdout + r.stderr;
    }

    /** docker stop: SIGTERM, then SIGKILL after the grace period. */
    async stop(name: string, graceSeconds = this.spec.terminationGracePeriodSeconds ?? 30): Promise<void> {
        await docker(["stop", "--time", String(graceSeconds), this.dockerName(name)], { timeoutMs: (graceSeconds + 30) * 1000 });
    }

    /** Starts a stopped container again (kubelet's restart: same spec, same namespaces). */
    async restart(name: string): Promise<void> {
        await docker(["start", this.dockerName(name)]);
        await this.waitRunning(name);
    }

    async signal(name: string, sig: string): Promise<void> {
        await docker(["kill", "--signal", sig, this.dockerName(name)]);
    }

    async state(name: string): Promise<{ status: string; exitCode: number }> {
        const out = await docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", this.dockerName(name)]);
        const [status, code] = out.split(" ");
        return { status, exitCode: Number(code) };
    }

    /** Replaces a secret volume's files the way kubelet does when the Secret changes. */
    rotateSecret(volumeName: string, payload: SecretPayload): void {
        const v = this.volumes.get(volumeName);
        if (!v || v.kind !== "secret") throw new Error(`no secret volume ${volumeName}`);
        rotateSecretDir(v.hostPath, secretFiles(payload), this.secretVolumeOpts.get(volumeName));
    }

    /** Runs a helper in the pod's network namespace (e.g. iptables-save), with the given capabilities. */
    async inNetns(image: string, args: string[], caps: string[] = [], entrypoint?: string): Promise<string> {
        const name = `${this.prefix}-helper-${randomBytes(3).toString("hex")}`;
        this.created.push(name);
        try {
            return await docker(["run", "--rm", "--name", name, "--network", `container:${this.holder}`, "--cap-drop", "ALL",
                ...caps.flatMap((c) => ["--cap-add", c]), ...(entrypoint ? ["--entrypoint", entrypoint] : []), image, ...args]);
        } finally {
            await run("docker", ["rm", "--force", name], { allowFail: true });
        }
    }

    /** Removes every container and directory this pod made; never throws. */
    async cleanup(): Promise<void> {
        const listed = await run("docker", ["ps", "--all", "--format", "{{.Names}}", "--filter", `name=^/${this.prefix}-`], { allowFail: true });
        const ids = listed.stdout.split("\n").map((s) => s.trim()).filter(Boolean);
        const targets = [...new Set([...this.created, ...ids])];
        if (targets.length > 0) {
            // containers sharing the holder's namespaces first, the holder last
            const rest = targets.filter((t) => t !== this.holder);
            if (rest.length > 0) await run("docker", ["rm", "--force", "--volumes", ...rest], { allowFail: true, timeoutMs: 60_000 });
            await run("docker", ["rm", "--force", "--volumes", this.holder], { allowFail: true, timeoutMs: 60_000 });
        }
        for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    }
}
