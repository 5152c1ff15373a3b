import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkNonEmptyString, ConfigError, isKnown, Problems } from "../validation";
import { withLateChecks } from "../lateChecks";

/** A container registry to push the built images to. */
export interface Registry {
    /** Host (and port) of the registry, e.g. "localhost:5000" or "ghcr.io". */
    server: pulumi.Input<string>;
    username?: pulumi.Input<string>;
    /** Stored as a Pulumi secret. */
    password?: pulumi.Input<string>;
    /**
     * Also create a `kubernetes.io/dockerconfigjson` Secret from `server`, `username` and `password` in the pods'
     * namespace, and name it in the pods' imagePullSecrets, so the kubelet can pull what was pushed (the app's image
     * too, when it is in this registry). The password stays a Pulumi secret. Needs `username` and `password`. With
     * `prebuilt` images nothing is pushed and the registry is read only for this: give the `server` the prebuilt
     * references name. Default false.
     */
    pullSecret?: boolean;
}

/** @deprecated Renamed `Registry`: every SDK adds its own `Args` (Python `RegistryArgs`). Kept for existing TypeScript programs. */
export type RegistryArgs = Registry;

/** Images published elsewhere (e.g. once, by a platform stack): nothing is built. */
export interface PrebuiltImages {
    /** Reference of the TLS proxy image, best pinned by digest ("repo@sha256:…"). */
    proxy: pulumi.Input<string>;
    /** Reference of the redirect init image. */
    init: pulumi.Input<string>;
}

/** @deprecated Renamed `PrebuiltImages`: every SDK adds its own `Args` (Python `PrebuiltImagesArgs`). Kept for existing TypeScript programs. */
export type PrebuiltImagesArgs = PrebuiltImages;

/** The proxy and init images: built from this package's Dockerfiles and pushed to `registry`, or `prebuilt`. */
export interface Images {
    /**
     * Where to push the images built from `images/proxy` and `images/init`. Required unless `prebuilt` is set; with
     * `prebuilt`, only read for `pullSecret`.
     */
    registry?: Registry;
    /** Repository path under the registry; the images are `<server>/<repository>/proxy` and `…/init`. Default "tls-sidecar". */
    repository?: pulumi.Input<string>;
    /** Tag to push. The pods use the pushed digest, so a rebuilt image rolls them whatever the tag. Default "latest". */
    tag?: pulumi.Input<string>;
    /** Go build-stage image of the init image, passed as its GO_IMAGE build arg (for air-gapped builds). Default: the Dockerfile's own. */
    goImage?: pulumi.Input<string>;
    /** Rust build-stage image of the proxy image, passed as its RUST_IMAGE build arg (for air-gapped builds). Default: the Dockerfile's own. */
    rustImage?: pulumi.Input<string>;
    /** Base image passed as the BASE_IMAGE build arg where a final stage is not `scratch`. Default: the Dockerfiles' own. */
    baseImage?: pulumi.Input<string>;
    /**
     * Target platform of both images, `os/arch[/variant]`, e.g. "linux/arm64": the cluster nodes' platform. Default
     * `linux/<architecture of the machine running Pulumi>` (`linux/amd64` on x86-64, `linux/arm64` on ARM64), which
     * its Docker daemon builds natively; set it when the nodes differ.
     */
    platform?: pulumi.Input<string>;
    /** Use these references instead of building. */
    prebuilt?: PrebuiltImages;
}

/** The arguments of the SidecarImages component: the images of a TlsSidecarApp's `images`. */
export interface SidecarImagesArgs extends Images {}

/** Node's names of CPU architectures (`process.arch`) that differ from Docker's platform names. */
const DOCKER_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm/v7", ppc64: "ppc64le" };

/** `linux/<this machine's architecture>` in Docker's terms: the default build platform. */
export function defaultPlatform(arch: string = process.arch): string {
    return `linux/${DOCKER_ARCH[arch] ?? arch}`;
}

/** Directory holding `proxy/` and `init/` build contexts, found from this file whether run from source or compiled. */
export function imagesDir(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "images");
        if (fs.existsSync(path.join(candidate, "proxy", "Dockerfile"))) {
            return candidate;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`cannot find the images/ build contexts above ${__dirname}`);
        }
    }
}

/**
 * The proxy and init images: built from this package's Dockerfiles and pushed, or taken as given.
 * `proxyImage` and `initImage` are what pod specs use: the pushed repo digest when built.
 */
export class SidecarImages extends pulumi.ComponentResource {
    readonly proxyImage: pulumi.Output<string>;
    readonly initImage: pulumi.Output<string>;

    constructor(name: string, args: SidecarImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("tls-sidecar:index:SidecarImages", name, {}, withLateChecks(() => validateImagesArgs(args), opts));

        if (args.prebuilt) {
            this.proxyImage = pulumi.output(args.prebuilt.proxy);
            this.initImage = pulumi.output(args.prebuilt.init);
        } else {
            const registry = args.registry!;
            const repository = args.repository ?? "tls-sidecar";
            const tag = args.tag ?? "latest";
            // Each Dockerfile gets the build args it declares: the proxy is Rust, the init image Go.
            const buildArgs: Record<"proxy" | "init", Record<string, pulumi.Input<string>>> = { proxy: {}, init: {} };
            if (args.rustImage !== undefined) {
                buildArgs.proxy.RUST_IMAGE = args.rustImage;
            }
            if (args.goImage !== undefined) {
                buildArgs.init.GO_IMAGE = args.goImage;
            }
            if (args.baseImage !== undefined) {
                buildArgs.init.BASE_IMAGE = args.baseImage;
            }
            const registryInput = {
                server: registry.server,
                username: registry.username,
                password: registry.password === undefined ? undefined : pulumi.secret(registry.password),
            };
            const build = (component: "proxy" | "init") =>
                new docker.Image(
                    `${name}-${component}`,
                    {
                        imageName: pulumi.interpolate`${registry.server}/${repository}/${component}:${tag}`,
                        build: {
                            context: path.join(imagesDir(), component),
                            dockerfile: path.join(imagesDir(), component, "Dockerfile"),
                            args: buildArgs[component],
                            platform: args.platform ?? defaultPlatform(),
                        },
                        registry: registryInput,
                    },
                    { parent: this },
                );
            this.proxyImage = build("proxy").repoDigest;
            this.initImage = build("init").repoDigest;
        }
        this.registerOutputs({ proxyImage: this.proxyImage, initImage: this.initImage });
    }
}

/** `images.registry`: a server, both credentials or neither, and a pull Secret only with credentials. */
function checkRegistry(registry: Registry, problems: Problems): void {
    if (isKnown(registry.server)) {
        problems.check(() => checkNonEmptyString("images.registry.server", registry.server));
    }
    if ((registry.username === undefined) !== (registry.password === undefined)) {
        problems.add({
            path: registry.username === undefined ? "images.registry.username" : "images.registry.password",
            value: undefined,
            allowed: "both images.registry.username and images.registry.password, or neither",
        });
    }
    const pullSecret = registry.pullSecret;
    if (pullSecret !== undefined && typeof pullSecret !== "boolean") {
        problems.add({ path: "images.registry.pullSecret", value: pullSecret, allowed: "true or false" });
    } else if (pullSecret === true && registry.username === undefined) {
        problems.add({
            path: "images.registry.pullSecret",
            value: pullSecret,
            allowed: "false without images.registry.username and images.registry.password: a pull Secret holds the registry's credentials (for an anonymous registry the kubelet needs none)",
        });
    }
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

export function validateImagesArgs(args: Images): void {
    const problems = new Problems();
    if (args.prebuilt) {
        for (const key of ["proxy", "init"] as const) {
            const ref = args.prebuilt[key];
            if (isKnown(ref)) {
                problems.check(() => checkNonEmptyString(`images.prebuilt.${key}`, ref));
            }
        }
        // With prebuilt images a registry is only read for its pull Secret, and ignored without one.
        if (args.registry?.pullSecret !== undefined) {
            checkRegistry(args.registry, problems);
        }
    } else if (!args.registry) {
        problems.add({ path: "images.registry", value: undefined, allowed: "a registry to push the built images to, or images.prebuilt with both image references" });
    } else {
        checkRegistry(args.registry, problems);
    }
    if (args.platform !== undefined && isKnown(args.platform) && (typeof args.platform !== "string" || !PLATFORM.test(args.platform))) {
        problems.add({ path: "images.platform", value: args.platform, allowed: 'a platform "os/arch" or "os/arch/variant", e.g. "linux/amd64" or "linux/arm64"' });
    }
    problems.throwIfAny();
}
