// What every container the component adds to the pod shares: CPU and memory as Kubernetes quantities (defaults that
// each field given overrides, and their checks), and the restricted security context.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checked, Problems } from "../validation";
import { checkQuantity } from "./quantity";

/** CPU and memory for one container, as Kubernetes quantities. Unset fields are left out. */
export interface ContainerResources {
    cpuRequest?: pulumi.Input<string>;
    memoryRequest?: pulumi.Input<string>;
    cpuLimit?: pulumi.Input<string>;
    memoryLimit?: pulumi.Input<string>;
}

/** @deprecated Renamed `ContainerResources`: every SDK adds its own `Args` (Python `ContainerResourcesArgs`). Kept for existing TypeScript programs. */
export type ResourcesArgs = ContainerResources;

/** The security context of the sidecars' containers: what Pod Security `restricted` asks, and a read-only root. */
export const RESTRICTED: k8s.types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

export function resourceRequirements(r: ContainerResources): k8s.types.input.core.v1.ResourceRequirements {
    const pick = (cpu?: pulumi.Input<string>, memory?: pulumi.Input<string>) => {
        const out: Record<string, pulumi.Input<string>> = {};
        if (cpu !== undefined) out.cpu = cpu;
        if (memory !== undefined) out.memory = memory;
        return Object.keys(out).length > 0 ? out : undefined;
    };
    return { requests: pick(r.cpuRequest, r.memoryRequest), limits: pick(r.cpuLimit, r.memoryLimit) };
}

/** Each field given overrides its default; fields left undefined keep it. */
export function withDefaultResources(defaults: ContainerResources, given: ContainerResources | undefined): ContainerResources {
    const set = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
    return { ...defaults, ...Object.fromEntries(set) };
}

const RESOURCE_FIELDS = ["cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit"];

/** A container's `ContainerResources`: known fields only, each a quantity. */
export function checkResources(path: string, r: ContainerResources | undefined): void {
    const problems = new Problems();
    for (const [key, value] of Object.entries(r ?? {})) {
        if (!RESOURCE_FIELDS.includes(key)) {
            problems.add({ path: `${path}.${key}`, value, allowed: `one of ${RESOURCE_FIELDS.join(", ")}` });
        } else if (value !== undefined) {
            problems.check(() => checked(value as pulumi.Input<string>, (v) => checkQuantity(`${path}.${key}`, v)));
        }
    }
    problems.throwIfAny();
}
