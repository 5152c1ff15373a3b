// The consumer program under mocks, fed the outputs a tls-sidecar stack exports (from the real program, run
// under mocks too), as its StackReference would read them.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EngineMocks, promiseOf, settled } from "../../test/support/mocks";
import { runExample, runProgram } from "../../test/support/program";
import { takeUnhandledRejections } from "../../test/support/unhandledRejections";

const PROJECT = "tls-sidecar-consumer";
const PRODUCER = "acme/tls-sidecar/dev";

/** Answers the StackReference with a producer's outputs; everything else as the engine mocks do. */
class ConsumerMocks extends EngineMocks {
    constructor(private readonly producerOutputs: Record<string, unknown>, private readonly secretOutputs: string[]) {
        super();
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: any } {
        if (args.type === "pulumi:pulumi:StackReference") {
            const state = { name: args.inputs.name, outputs: this.producerOutputs, secretOutputNames: this.secretOutputs };
            this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, secretPaths: [], state, id: args.inputs.name, step: "create" });
            return { id: args.inputs.name, state };
        }
        return super.newResource(args);
    }
}

/**
 * What the Pulumi runtime raised for the resources that waited on a failed output (it reports a failed resource
 * operation through Node's unhandled-rejection event): ResourceErrors on the StackReference, one per missing output,
 * which the CLI prints as `error: <message>` without a stack trace.
 */
async function reportedOnTheStackReference(message: RegExp): Promise<void> {
    const errors = [...new Set(await takeUnhandledRejections())] as pulumi.ResourceError[];
    for (const error of errors) {
        assert.ok(pulumi.ResourceError.isInstance(error) && error.hideStack, String(error));
        assert.ok(error.resource instanceof pulumi.StackReference, "on the StackReference");
    }
    assert.ok(errors.some((e) => message.test(e.message)), errors.join("\n"));
}

async function runConsumer(producerOutputs: Record<string, unknown>, config: Record<string, string> = {}, secretOutputs: string[] = []) {
    const mocks = new ConsumerMocks(producerOutputs, secretOutputs);
    const program = await runExample(__dirname, PROJECT, mocks, { producerStack: PRODUCER, namespace: "clients", curlImage: "curlimages/curl:8.11.1", ...config });
    await settled(program.targetUrl);
    await settled(program.jobName);
    return { mocks, program };
}

describe("examples/consumer: reading a tls-sidecar stack through a StackReference", () => {
    let producer: Record<string, unknown>;

    before(async () => {
        // The producer's real outputs: the program on its dev stack, under mocks.
        producer = (await runProgram("dev")).outputs;
    });

    it("references the producer stack by its full name", async () => {
        const { mocks } = await runConsumer(producer);
        assert.strictEqual(mocks.one("pulumi:pulumi:StackReference").inputs.name, PRODUCER);
    });

    it("trusts exactly the producer's CA and calls its in-cluster URL", async () => {
        const { mocks, program } = await runConsumer(producer);
        const ca = mocks.one("kubernetes:core/v1:ConfigMap");
        assert.strictEqual(ca.inputs.data["ca.crt"], producer.caCertPem);
        assert.strictEqual(await promiseOf(program.targetUrl), producer.clusterUrl);
        const job = mocks.one("kubernetes:batch/v1:Job").inputs.spec.template.spec;
        const curl = job.containers[0];
        assert.deepStrictEqual(curl.args.slice(-3), ["--cacert", "/etc/producer/ca.crt", producer.clusterUrl]);
        assert.ok(!curl.args.includes("--insecure") && !curl.args.includes("-k"));
        const mount = curl.volumeMounts.find((m: any) => m.mountPath === "/etc/producer");
        const volume = job.volumes.find((v: any) => v.name === mount.name);
        assert.strictEqual(volume.configMap.name, ca.state.metadata.name);
        assert.strictEqual(mocks.ofType("kubernetes:core/v1:Secret").length, 0, "no client certificate without mTLS");
    });

    it("with mTLS, presents the client certificate the producer issued, kept secret", async () => {
        const clientCertificates = { billing: { certPem: "-----BEGIN CERTIFICATE-----\nb\n-----END CERTIFICATE-----\n", privateKeyPem: "-----BEGIN EC PRIVATE KEY-----\nk\n-----END EC PRIVATE KEY-----\n" } };
        const { mocks } = await runConsumer({ ...producer, clientCertificates }, { clientName: "billing" }, ["clientCertificates"]);
        const secret = mocks.one("kubernetes:core/v1:Secret");
        assert.deepStrictEqual(secret.inputs.stringData, { "tls.crt": clientCertificates.billing.certPem, "tls.key": clientCertificates.billing.privateKeyPem });
        assert.deepStrictEqual(secret.secretPaths, ["stringData"]);
        const curl = mocks.one("kubernetes:batch/v1:Job").inputs.spec.template.spec.containers[0];
        assert.ok(curl.args.join(" ").includes("--cert /etc/client/tls.crt --key /etc/client/tls.key"));
    });

    it("fails naming the stack and the output when the producer lacks one", async () => {
        await assert.rejects(
            () => runConsumer({ url: "https://x:30443" }),
            /stack acme\/tls-sidecar\/dev: output "clusterUrl" is missing/,
        );
        await reportedOnTheStackReference(/stack acme\/tls-sidecar\/dev: output "clusterUrl" is missing/);
    });

    it("fails naming the consumer when the producer issued it no client certificate", async () => {
        await assert.rejects(() => runConsumer({ ...producer, clientCertificates: {} }, { clientName: "billing" }), /no client certificate for "billing"/);
        await reportedOnTheStackReference(/no client certificate for "billing"/);
    });
});
