// CloudflareTunnelSidecar's argument checks (and TlsSidecarApp's `tunnel`): every independent check runs.
import * as pulumi from "@pulumi/pulumi";
import type { CloudflareTunnelSidecarArgs } from "./tunnel";
import { MAX_TUNNEL_GRACE_PERIOD_SECONDS, TUNNEL_TOKEN_KEY } from "./tunnel";
import { checkResources } from "../pod/containers";
import { checked, checkHostname, checkIntegerRange, checkNonEmptyString, checkPort, checkPositiveInteger, ConfigError, Problems, SECRET_NOT_SHOWN } from "../validation";

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An image reference pinned by a tag other than `latest`, or by a digest. */
export function checkPinnedImage(path: string, value: unknown): void {
    const allowed = 'an image reference pinned by a tag other than "latest" or by a digest, e.g. "cloudflare/cloudflared:2026.8.2"';
    if (typeof value !== "string" || value.trim() === "" || /\s/.test(value)) {
        throw new ConfigError(path, value, allowed);
    }
    const [nameAndTag, digest, ...more] = value.split("@");
    if (more.length > 0 || (digest !== undefined && !DIGEST.test(digest))) {
        throw new ConfigError(path, value, allowed);
    }
    const slash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    const tag = colon > slash ? nameAndTag.slice(colon + 1) : undefined;
    const name = colon > slash ? nameAndTag.slice(0, colon) : nameAndTag;
    if (name === "" || (tag !== undefined && !TAG.test(tag)) || (tag === undefined && digest === undefined) || (tag === "latest" && digest === undefined)) {
        throw new ConfigError(path, value, allowed);
    }
}

const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkSecretName(path: string, value: unknown): void {
    if (typeof value !== "string" || value.length > 253 || !OBJECT_NAME.test(value)) {
        throw new ConfigError(path, value, "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters");
    }
}

/** A tunnel token is one base64 string (an account tag, tunnel ID and secret). Never echoed. */
export function checkTunnelToken(path: string, value: unknown): void {
    if (typeof value !== "string" || !/^[A-Za-z0-9+/=_-]{16,}$/.test(value.trim())) {
        throw new ConfigError(path, SECRET_NOT_SHOWN, "the tunnel token: the base64 string after `--token` in the dashboard's install command");
    }
}

/** cloudflared exits at start on a longer `--grace-period`: the pod would crash-loop. */
function checkGracePeriod(path: string, value: unknown): void {
    checkIntegerRange(path, value, 1, MAX_TUNNEL_GRACE_PERIOD_SECONDS, ` seconds (cloudflared refuses a --grace-period over 3m0s)`);
}

function checkOriginService(path: string, value: unknown): void {
    let ok = false;
    if (typeof value === "string") {
        try {
            const url = new URL(value);
            ok = (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && (url.pathname === "/" || url.pathname === "");
        } catch {
            ok = false;
        }
    }
    if (!ok) {
        throw new ConfigError(path, value, 'an http or https URL of the origin, e.g. "http://127.0.0.1:8080"');
    }
}

/** The checks shared by `CloudflareTunnelSidecar` and `TlsSidecarApp`'s `tunnel`; `prefix` is e.g. "tunnel.". */
export function validateTunnelCommon(
    prefix: string,
    args: Pick<CloudflareTunnelSidecarArgs, "token" | "existingSecretName" | "hostname" | "image" | "metricsPort" | "gracePeriodSeconds" | "resources">,
): void {
    const problems = new Problems();
    if (args.token === undefined && args.existingSecretName === undefined) {
        problems.add({ path: `${prefix}token`, value: undefined, allowed: `the tunnel token (a Pulumi secret), or ${prefix}existingSecretName naming a Secret with a "${TUNNEL_TOKEN_KEY}" key` });
    }
    if (args.token !== undefined && args.existingSecretName !== undefined) {
        problems.add({ path: `${prefix}existingSecretName`, value: args.existingSecretName, allowed: `either ${prefix}token or ${prefix}existingSecretName, not both` });
    }
    const each: [pulumi.Input<unknown> | undefined, string, (path: string, v: unknown) => void][] = [
        [args.token, "token", checkTunnelToken],
        [args.existingSecretName, "existingSecretName", checkSecretName],
        [args.hostname, "hostname", checkHostname],
        [args.image, "image", checkPinnedImage],
        [args.metricsPort, "metricsPort", checkPort],
        [args.gracePeriodSeconds, "gracePeriodSeconds", checkGracePeriod],
    ];
    for (const [value, key, check] of each) {
        if (value !== undefined) problems.check(() => checked(value, (v) => check(`${prefix}${key}`, v)));
    }
    problems.check(() => checkResources(`${prefix}resources`, args.resources));
    problems.throwIfAny();
}

/** Throws one ConfigError naming every bad argument of `CloudflareTunnelSidecar`. */
export function validateTunnelSidecarArgs(prefix: string, args: CloudflareTunnelSidecarArgs): void {
    const problems = new Problems();
    if (args.namespace === undefined) {
        problems.add({ path: `${prefix}namespace`, value: undefined, allowed: "the namespace of the pod" });
    } else {
        problems.check(() => checked(args.namespace, (v) => checkNonEmptyString(`${prefix}namespace`, v)));
    }
    problems.check(() => validateTunnelCommon(prefix, args));
    if (args.originService === undefined) {
        problems.add({ path: `${prefix}originService`, value: undefined, allowed: 'the URL the tunnel routes to, e.g. "http://127.0.0.1:8080"' });
    } else {
        problems.check(() => checked(args.originService, (v) => checkOriginService(`${prefix}originService`, v)));
    }
    if (args.originServerName !== undefined) problems.check(() => checked(args.originServerName!, (v) => checkHostname(`${prefix}originServerName`, v)));
    problems.throwIfAny();
}
