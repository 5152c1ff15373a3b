// Arguments given as Outputs (from other programs or languages) are checked when their values resolve. A problem
// found then fails with the message a plain value would have thrown at once, as a ResourceError (its stack hidden),
// which the Pulumi runtime reports once, as `error: <message>`: a component and every resource under it depend on
// the checks (dependsOn), so nothing is registered with a bad value; a function's result waits for them.
import * as pulumi from "@pulumi/pulumi";
import { collectLateChecks, ConfigError, ConfigProblem } from "./validation";

/** Resources that already wait for their component's checks, which cover those of components under it. */
const gated = new WeakSet<pulumi.Resource>();

/** Resolves (to no resources) when every check found nothing; else fails with one error naming every problem, on `resource()`. */
function checksPassed(late: pulumi.Output<ConfigProblem[]>[], resource: () => pulumi.Resource | undefined): pulumi.Output<pulumi.Resource[]> {
    return pulumi.all(late).apply((lists) => {
        const problems = lists.flat();
        if (problems.length > 0) {
            throw new pulumi.ResourceError(ConfigError.of(problems).message, resource(), true);
        }
        return [] as pulumi.Resource[];
    });
}

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
    const passed = checksPassed(late, () => component);
    // Applied to the component itself first (which is how it is known here), then to every resource under it.
    const dependOnChecks: pulumi.ResourceTransformation = (args) => {
        component ??= args.resource;
        gated.add(args.resource);
        return { props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: passed }) };
    };
    return { ...opts, transformations: [...(opts.transformations ?? []), dependOnChecks] };
}

/**
 * For a function that renders arguments rather than registering a component: `value` once the `late` checks (from
 * collectLateChecks) pass, failing as a ResourceError with a ConfigError's message if any of them finds a problem.
 */
export function afterLateChecks<T>(late: pulumi.Output<ConfigProblem[]>[], value: pulumi.Input<T>): pulumi.Input<T> {
    return late.length === 0 ? value : pulumi.all([checksPassed(late, () => undefined), pulumi.output(value)]).apply(([, v]) => v as T);
}
