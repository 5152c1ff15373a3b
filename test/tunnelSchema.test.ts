// The tunnel's part of the cross-language schema (see schema.test.ts): its component, arguments and enums survive.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ROOT } from "./support/program";
import * as components from "../components";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { generateSchema } = require("@pulumi/pulumi/provider/experimental/schema");

describe("the cross-language schema of the tunnel", function () {
    this.timeout(120_000);
    let schema: any;

    before(() => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        const names = new Set(
            Object.entries(components)
                .filter(([, v]) => typeof v === "function" && v.prototype instanceof pulumi.ComponentResource)
                .map(([k]) => k),
        );
        const result = new Analyzer(ROOT, pkg.name, pkg, names).analyze();
        schema = generateSchema(pkg.name, pkg.version, pkg.description, result.components, result.typeDefinitions, result.dependencies);
    });

    it("has CloudflareTunnelSidecar with its arguments and outputs", () => {
        const r = schema.resources["tls-sidecar:index:CloudflareTunnelSidecar"];
        assert.ok(r, "the component is in the schema");
        assert.deepStrictEqual([...r.requiredInputs].sort(), ["namespace", "originService"]);
        for (const input of ["token", "existingSecretName", "hostname", "image", "metricsPort", "gracePeriodSeconds", "resources", "originServerName", "originCaSecretName"]) {
            assert.ok(r.inputProperties[input], `input ${input}`);
        }
        assert.deepStrictEqual(Object.keys(r.properties).sort(), ["image", "metricsPort", "originCaPool", "originServerName", "originService", "secretName", "url"]);
    });

    it("has TlsSidecarApp's tunnel and service.type, and the tunnel outputs", () => {
        const app = schema.resources["tls-sidecar:index:TlsSidecarApp"];
        assert.strictEqual(app.inputProperties.tunnel.$ref, "#/types/tls-sidecar:index:Tunnel");
        const tunnel = schema.types["tls-sidecar:index:Tunnel"].properties;
        assert.strictEqual(tunnel.origin.$ref, "#/types/tls-sidecar:index:TunnelOrigin");
        assert.strictEqual(schema.types["tls-sidecar:index:Service"].properties.type.$ref, "#/types/tls-sidecar:index:ServiceType");
        for (const output of ["tunnelSecretName", "tunnelOriginService", "tunnelOriginServerName", "tunnelOriginCaPool"]) {
            assert.ok(app.properties[output], `output ${output}`);
        }
    });

    for (const [name, values] of [
        ["ServiceType", Object.values(components.ServiceType)],
        ["TunnelOrigin", Object.values(components.TunnelOrigin)],
    ] as const) {
        it(`exposes the enum ${name} with all its values`, () => {
            assert.deepStrictEqual(
                schema.types[`tls-sidecar:index:${name}`].enum.map((e: any) => e.value),
                [...values],
            );
        });
    }
});
