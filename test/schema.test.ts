// What `pulumi package add <this repo>` would expose to Python, Go, C#, Java and YAML: the schema that the
// inference shipped in @pulumi/pulumi (provider/experimental) derives from our TypeScript. Every component, every
// input with its type, the enums and the outputs must survive it; a construct it rejects or drops fails here.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { componentSources, ROOT } from "./support/program";
import * as components from "../components";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { generateSchema } = require("@pulumi/pulumi/provider/experimental/schema");

const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

/** Component classes the package entry exports, found at run time as the plugin host finds them. */
function exportedComponents(): string[] {
    return Object.entries(components)
        .filter(([, v]) => typeof v === "function" && v.prototype instanceof pulumi.ComponentResource)
        .map(([k]) => k)
        .sort();
}

/** Members of an interface, with those of the interfaces it extends, read from the source with the TypeScript parser. */
function interfaceMembers(name: string): { name: string; optional: boolean }[] {
    for (const file of componentSources()) {
        const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, "components", file), "utf8"), ts.ScriptTarget.ES2020, true);
        for (const node of source.statements) {
            if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
                const inherited = (node.heritageClauses ?? []).flatMap((clause) => clause.types.flatMap((t) => interfaceMembers(t.expression.getText(source))));
                const own = node.members.filter(ts.isPropertySignature).map((m) => ({ name: (m.name as ts.Identifier).text, optional: m.questionToken !== undefined }));
                return [...inherited, ...own];
            }
        }
    }
    throw new Error(`interface ${name} not found in components/`);
}

/** Public `readonly x: pulumi.Output<…>` fields of a component class. */
function classOutputs(name: string): string[] {
    for (const file of componentSources()) {
        const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, "components", file), "utf8"), ts.ScriptTarget.ES2020, true);
        for (const node of source.statements) {
            if (ts.isClassDeclaration(node) && node.name?.text === name) {
                return node.members
                    .filter(ts.isPropertyDeclaration)
                    .filter((m) => m.type?.getText(source).startsWith("pulumi.Output<"))
                    .map((m) => (m.name as ts.Identifier).text)
                    .sort();
            }
        }
    }
    throw new Error(`class ${name} not found in components/`);
}

describe("the cross-language component schema", function () {
    this.timeout(120_000);
    let schema: any;

    before(() => {
        const names = new Set(exportedComponents());
        const result = new Analyzer(ROOT, PACKAGE.name, PACKAGE, names).analyze();
        schema = generateSchema(PACKAGE.name, PACKAGE.version, PACKAGE.description, result.components, result.typeDefinitions, result.dependencies);
    });

    it("has a PulumiPlugin.yaml for the nodejs runtime", () => {
        assert.match(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
    });

    it("starts from the package entry that package.json names, not from the fallback index.ts (the program)", () => {
        const analyzer = new Analyzer(ROOT, PACKAGE.name, PACKAGE, new Set(exportedComponents()));
        assert.strictEqual(path.resolve(analyzer.findProgramEntryPoint().fileName), path.join(ROOT, "components", "index.ts"));
        // The plugin host requires the package directory, i.e. package.json's `main`: the same entry.
        assert.strictEqual(require.resolve(ROOT), path.join(ROOT, "components", "index.ts"));
    });

    it("names the package after package.json and every component `tls-sidecar:index:<Class>`", () => {
        assert.strictEqual(schema.name, "tls-sidecar");
        assert.deepStrictEqual(Object.keys(schema.resources).sort(), exportedComponents().map((n) => `tls-sidecar:index:${n}`));
        assert.ok(exportedComponents().includes("TlsSidecarApp"));
        for (const resource of Object.values<any>(schema.resources)) {
            assert.strictEqual(resource.isComponent, true);
        }
    });

    for (const component of ["TlsSidecarApp", "TlsSidecar", "SidecarImages", "SidecarCertificates", "SidecarWorkload"]) {
        it(`${component}: every argument is an input, required exactly when not optional`, () => {
            const resource = schema.resources[`tls-sidecar:index:${component}`];
            const members = interfaceMembers(`${component}Args`);
            assert.deepStrictEqual(Object.keys(resource.inputProperties).sort(), members.map((m) => m.name).sort());
            assert.deepStrictEqual([...resource.requiredInputs].sort(), members.filter((m) => !m.optional).map((m) => m.name).sort());
        });

        it(`${component}: every output field is a schema output`, () => {
            const resource = schema.resources[`tls-sidecar:index:${component}`];
            assert.deepStrictEqual(Object.keys(resource.properties).sort(), classOutputs(component));
        });
    }

    it("types every property: a primitive, an array, a map or a reference to a defined type", () => {
        const check = (where: string, prop: any) => {
            if (prop.$ref !== undefined) {
                const ref = prop.$ref.replace("#/types/", "");
                assert.ok(schema.types[ref], `${where} refers to a defined type ${ref}`);
                return;
            }
            assert.ok(["string", "integer", "number", "boolean", "array", "object"].includes(prop.type), `${where} has a type: ${JSON.stringify(prop)}`);
            if (prop.type === "array") check(`${where}[]`, prop.items);
            if (prop.type === "object") check(`${where}{}`, prop.additionalProperties);
        };
        for (const [token, resource] of Object.entries<any>(schema.resources)) {
            for (const [name, prop] of Object.entries(resource.inputProperties)) check(`${token}.${name}`, prop);
            for (const [name, prop] of Object.entries(resource.properties)) check(`${token}.${name} (output)`, prop);
        }
        for (const [token, type] of Object.entries<any>(schema.types)) {
            for (const [name, prop] of Object.entries(type.properties ?? {})) check(`${token}.${name}`, prop);
        }
    });

    it("carries the argument types of nested objects", () => {
        const app = schema.resources["tls-sidecar:index:TlsSidecarApp"].inputProperties;
        assert.strictEqual(app.app.$ref, "#/types/tls-sidecar:index:AppContainer");
        const appType = schema.types["tls-sidecar:index:AppContainer"];
        assert.strictEqual(appType.properties.image.type, "string");
        assert.strictEqual(appType.properties.port.type, "number");
        assert.deepStrictEqual(appType.properties.env.additionalProperties, { type: "string" });
        assert.deepStrictEqual(
            Object.keys(schema.types["tls-sidecar:index:ContainerResources"].properties).sort(),
            interfaceMembers("ContainerResources")
                .map((m) => m.name)
                .sort(),
        );
    });

    for (const [name, values] of [
        ["InterceptionMode", Object.values(components.InterceptionMode)],
        ["WorkloadKind", Object.values(components.WorkloadKind)],
        ["KeyAlgorithm", Object.values(components.KeyAlgorithm)],
        ["ClientAuth", Object.values(components.ClientAuth)],
        ["UpstreamProtocol", Object.values(components.UpstreamProtocol)],
        ["RedirectMode", Object.values(components.RedirectMode)],
        ["PodSecurityProfile", Object.values(components.PodSecurityProfile)],
        ["SeccompProfileType", Object.values(components.SeccompProfileType)],
        ["ProbeScheme", Object.values(components.ProbeScheme)],
        ["PortProtocol", Object.values(components.PortProtocol)],
        ["StorageMedium", Object.values(components.StorageMedium)],
        ["TolerationOperator", Object.values(components.TolerationOperator)],
        ["TaintEffect", Object.values(components.TaintEffect)],
        ["NodeSelectorOperator", Object.values(components.NodeSelectorOperator)],
        ["LabelSelectorOperator", Object.values(components.LabelSelectorOperator)],
        ["UnsatisfiableConstraintAction", Object.values(components.UnsatisfiableConstraintAction)],
        ["NodeInclusionPolicy", Object.values(components.NodeInclusionPolicy)],
        ["ServiceType", Object.values(components.ServiceType)],
        ["ExternalTrafficPolicy", Object.values(components.ExternalTrafficPolicy)],
        ["TlsMinVersion", Object.values(components.TlsMinVersion)],
        ["TlsProfile", Object.values(components.TlsProfile)],
    ] as const) {
        it(`exposes the enum ${name} with all its values`, () => {
            const type = schema.types[`tls-sidecar:index:${name}`];
            assert.ok(type, `${name} is a schema type`);
            assert.strictEqual(type.type, "string");
            assert.deepStrictEqual(
                type.enum.map((e: any) => e.value),
                [...values],
            );
        });
    }

    it("carries the proxy's traffic controls, each object with the fields of its interface", () => {
        const proxy = schema.types["tls-sidecar:index:TlsProxy"].properties;
        for (const [field, type] of [["rateLimit", "RateLimit"], ["timeouts", "ProxyTimeouts"], ["accessLog", "AccessLog"], ["tlsPolicy", "TlsPolicy"], ["hsts", "Hsts"]]) {
            assert.strictEqual(proxy[field].$ref, `#/types/tls-sidecar:index:${type}`, field);
            assert.deepStrictEqual(Object.keys(schema.types[`tls-sidecar:index:${type}`].properties).sort(), interfaceMembers(type).map((m) => m.name).sort(), type);
        }
        assert.strictEqual(proxy.maxConnections.type, "string");
        assert.strictEqual(proxy.maxConcurrentStreams.type, "number");
        assert.strictEqual(schema.types["tls-sidecar:index:RateLimit"].properties.perClient.$ref, "#/types/tls-sidecar:index:ClientRateLimit");
        assert.strictEqual(schema.types["tls-sidecar:index:TlsPolicy"].properties.minVersion.$ref, "#/types/tls-sidecar:index:TlsMinVersion");
    });

    it("carries the security contexts and the Pod Security profile", () => {
        const app = schema.resources["tls-sidecar:index:TlsSidecarApp"].inputProperties;
        assert.strictEqual(app.podSecurity.$ref, "#/types/tls-sidecar:index:PodSecurityProfile");
        assert.strictEqual(app.podSecurityContext.$ref, "#/types/tls-sidecar:index:PodSecurityContext");
        const appType = schema.types["tls-sidecar:index:AppContainer"].properties;
        assert.strictEqual(appType.securityContext.$ref, "#/types/tls-sidecar:index:ContainerSecurityContext");
        assert.strictEqual(appType.drainSeconds.type, "number");
        for (const [type, iface] of [
            ["ContainerSecurityContext", "ContainerSecurityContext"],
            ["PodSecurityContext", "PodSecurityContext"],
            ["Capabilities", "Capabilities"],
            ["SeccompProfile", "SeccompProfile"],
        ]) {
            assert.deepStrictEqual(
                Object.keys(schema.types[`tls-sidecar:index:${type}`].properties).sort(),
                interfaceMembers(iface)
                    .map((m) => m.name)
                    .sort(),
                type,
            );
        }
        assert.strictEqual(schema.types["tls-sidecar:index:SeccompProfile"].properties.type.$ref, "#/types/tls-sidecar:index:SeccompProfileType");
        const add = schema.types["tls-sidecar:index:Capabilities"].properties.add;
        assert.deepStrictEqual([add.type, add.items.type], ["array", "string"]);
    });

    it("carries the pod, the workload, the app's probes, hooks, ports, env sources and volumes, every field of each", () => {
        const app = schema.resources["tls-sidecar:index:TlsSidecarApp"].inputProperties;
        assert.strictEqual(app.pod.$ref, "#/types/tls-sidecar:index:Pod");
        assert.strictEqual(app.workload.$ref, "#/types/tls-sidecar:index:Workload");
        const appType = schema.types["tls-sidecar:index:AppContainer"].properties;
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) assert.strictEqual(appType[probe].$ref, "#/types/tls-sidecar:index:Probe");
        assert.strictEqual(appType.volumeMounts.items.$ref, "#/types/tls-sidecar:index:VolumeMount");
        const types = [
            "Pod", "Workload", "Probe", "HttpGetAction", "HttpHeader", "TcpSocketAction", "GrpcAction", "ExecAction", "SleepAction",
            "Lifecycle", "LifecycleHandler", "ContainerPort", "EnvFromSource", "EnvSourceRef", "Volume", "VolumeMount", "EmptyDirVolume",
            "ConfigMapVolume", "SecretVolume", "PersistentVolumeClaimVolume", "KeyToPath", "Toleration", "Affinity", "NodeAffinity",
            "NodeSelector", "NodeSelectorTerm", "NodeSelectorRequirement", "PreferredSchedulingTerm", "PodAffinity", "PodAffinityTerm",
            "WeightedPodAffinityTerm", "LabelSelector", "LabelSelectorRequirement", "TopologySpreadConstraint", "Service", "Registry",
            "NetworkPolicy", "NetworkPolicyPeer", "NetworkPolicyPort", "IpBlock",
        ];
        for (const type of types) {
            assert.ok(schema.types[`tls-sidecar:index:${type}`], `${type} is a schema type`);
            assert.deepStrictEqual(Object.keys(schema.types[`tls-sidecar:index:${type}`].properties).sort(), interfaceMembers(type).map((m) => m.name).sort(), type);
        }
        const pod = schema.types["tls-sidecar:index:Pod"].properties;
        assert.deepStrictEqual(pod.labels.additionalProperties, { type: "string" });
        assert.deepStrictEqual([pod.imagePullSecrets.type, pod.imagePullSecrets.items.type], ["array", "string"]);
        assert.strictEqual(schema.types["tls-sidecar:index:Workload"].properties.maxSurge.type, "string", "int-or-string as a string: the schema has no unions");
        assert.strictEqual(schema.types["tls-sidecar:index:HttpGetAction"].properties.scheme.$ref, "#/types/tls-sidecar:index:ProbeScheme");
        const service = schema.types["tls-sidecar:index:Service"].properties;
        assert.strictEqual(service.externalTrafficPolicy.$ref, "#/types/tls-sidecar:index:ExternalTrafficPolicy");
        assert.deepStrictEqual([service.loadBalancerSourceRanges.type, service.loadBalancerSourceRanges.items.type], ["array", "string"]);
        assert.deepStrictEqual(service.annotations.additionalProperties, { type: "string" });
        assert.strictEqual(schema.types["tls-sidecar:index:Registry"].properties.pullSecret.type, "boolean");
        assert.strictEqual(app.networkPolicy.$ref, "#/types/tls-sidecar:index:NetworkPolicy");
        assert.strictEqual(schema.types["tls-sidecar:index:NetworkPolicy"].properties.from.items.$ref, "#/types/tls-sidecar:index:NetworkPolicyPeer");
        assert.strictEqual(schema.types["tls-sidecar:index:NetworkPolicyPeer"].properties.namespaceSelector.$ref, "#/types/tls-sidecar:index:LabelSelector");
    });

    it("names no object type `…Args` but the components' own, so no SDK reads `…ArgsArgs`", () => {
        const componentArgs = exportedComponents().map((n) => `tls-sidecar:index:${n}Args`);
        const objects = Object.entries<any>(schema.types).filter(([, t]) => t.type === "object").map(([token]) => token);
        assert.ok(objects.length > 40, `${objects.length} object types`);
        assert.deepStrictEqual(objects.filter((t) => t.endsWith("Args") && !componentArgs.includes(t)), []);
        // TlsSidecarApp's `images` is its own type, not the SidecarImages component's args.
        assert.strictEqual(schema.resources["tls-sidecar:index:TlsSidecarApp"].inputProperties.images.$ref, "#/types/tls-sidecar:index:Images");
        assert.strictEqual(schema.resources["tls-sidecar:index:TlsSidecarApp"].inputProperties.app.$ref, "#/types/tls-sidecar:index:AppContainer");
    });

    it("keeps the former names as deprecated aliases for TypeScript programs", () => {
        const index = fs.readFileSync(path.join(ROOT, "components", "index.ts"), "utf8");
        const declared = componentSources().map((f) => fs.readFileSync(path.join(ROOT, "components", f), "utf8")).join("\n");
        for (const [old, renamed] of [["AppContainerArgs", "AppContainer"], ["ProbeArgs", "Probe"], ["ServiceArgs", "Service"], ["ResourcesArgs", "ContainerResources"], ["ProxyArgs", "TlsProxy"], ["PrebuiltImagesArgs", "PrebuiltImages"]]) {
            assert.match(index, new RegExp(`\\b${old}\\b`), `${old} is still exported`);
            assert.match(declared, new RegExp(`@deprecated[^\n]*\nexport type ${old} = ${renamed};`), `${old} is a deprecated alias of ${renamed}`);
        }
        const typed: components.AppContainerArgs = { image: "x", port: 80 } satisfies components.AppContainer;
        assert.strictEqual(typed.port, 80);
    });

    it("documents inputs and outputs from the doc comments", () => {
        const app = schema.resources["tls-sidecar:index:TlsSidecarApp"];
        assert.match(app.description, /TLS termination/);
        assert.match(app.properties.url.description, /https:\/\//);
    });
});
