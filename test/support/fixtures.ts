import * as pulumi from "@pulumi/pulumi";
import type { TlsSidecarAppArgs } from "../../components";

/** The smallest valid arguments: an app and prebuilt images. */
export function minimalArgs(overrides: Partial<TlsSidecarAppArgs> = {}): TlsSidecarAppArgs {
    return {
        app: { image: "nginx:1.27", port: 80 },
        images: { prebuilt: { proxy: "registry.example/tls-sidecar/proxy@sha256:aaa", init: "registry.example/tls-sidecar/init@sha256:bbb" } },
        ...overrides,
    };
}

/** Captures each resource's properties as the component passes them (Outputs intact, so secrecy can be checked). */
export function captureProps(): { captured: Map<string, pulumi.Inputs>; transformation: pulumi.ResourceTransformation } {
    const captured = new Map<string, pulumi.Inputs>();
    return {
        captured,
        transformation: (args) => {
            captured.set(`${args.type}::${args.name}`, args.props);
            return undefined;
        },
    };
}
