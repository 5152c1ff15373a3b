// The program: one TlsSidecarApp per stack, configured by the stack's Pulumi.<stack>.yaml.
import { TlsSidecarApp } from "../components";
import { argsFromConfig, fromConfigError } from "./config";
import { StackOutputs, stackOutputs } from "./outputs";

export function main(): StackOutputs {
    try {
        const { name, args } = argsFromConfig();
        return stackOutputs(new TlsSidecarApp(name, args), args);
    } catch (e) {
        throw fromConfigError(e);
    }
}
