// Arguments given as Outputs (from other programs or languages) are checked when their values resolve. A problem
// found then fails the component with the message a plain value would have thrown at once: the component and every
// resource under it depend on the checks (dependsOn), so nothing is registered with a bad value, and the Pulumi
// runtime reports the error once, as `error: <message>` on the component (a ResourceError with its stack hidden).
import * as pulumi from "@pulumi/pulumi";
import { collectLateChecks, ConfigError } from "./validation";

/** Resources that already wait for their component's checks, which cover those of components under it. */
const gated = new WeakSet<pulumi.Resource>();

/**
 * Runs `validate` now (it throws a ConfigError for values known now) and returns the component's options: when some
 * arguments are Outputs, the component and its resources depend on their checks, which fail it with a ConfigError's
 * message if any of them finds a problem.
 */
export function withLateChecks(validate: () => void, opts: pulumi.ComponentResourceOptions = {}): pulumi.ComponentResourceOptions {
    const late = collectLateChecks(validate);
    if (late.length === 0 || (opts.parent !== undefined && gated.has(opts.parent))) {
        return opts;
    }
    let component: pulumi.Resource | undefined;
    const checksPassed = pulumi.all(late).apply((lists) => {
        const problems = lists.flat();
        if (problems.length > 0) {
            throw new pulumi.ResourceError(ConfigError.of(problems).message, component, true);
        }
        return [] as pulumi.Resource[];
    });
    // Applied to the component itself first (which is how it is known here), then to every resource under it.
    const dependOnChecks: pulumi.ResourceTransformation = (args) => {
        component ??= args.resource;
        gated.add(args.resource);
        return { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: checksPassed }) };
    };
    return { ...opts, transformations: [...(opts.transformations ?? []), dependOnChecks] };
}
