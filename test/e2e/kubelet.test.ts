// Unit tests of the e2e's kubelet stand-in (no Docker needed): docker flags from a container spec, and
// Secret volumes written and rotated the way kubelet's AtomicWriter does.
import { strict as assert } from "node:assert";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerRunArgs, containerRunFlags, materialiseSecret, MountedVolume, rotateSecretDir, secretFiles } from "./kubelet";

describe("e2e kubelet stand-in", () => {
    it("maps a container's securityContext, env, mounts and command to docker run flags", () => {
        const volumes = new Map<string, MountedVolume>([["tls", { hostPath: "/tmp/v", kind: "secret" }]]);
        const flags = containerRunFlags({
            name: "p", image: "i", command: ["/proxy", "--x"], args: ["--y"], env: [{ name: "A", value: "1" }],
            securityContext: { capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] }, readOnlyRootFilesystem: true, runAsUser: 65532, runAsGroup: 65532, allowPrivilegeEscalation: false },
            volumeMounts: [{ name: "tls", mountPath: "/etc/sidecar/tls" }],
        }, { containers: [], securityContext: { fsGroup: 2000 } }, volumes);
        assert.deepEqual(flags, ["--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "--read-only", "--security-opt", "no-new-privileges",
            "--user", "65532:65532", "--group-add", "2000", "--env", "A=1",
            "--mount", "type=bind,source=/tmp/v,target=/etc/sidecar/tls,readonly", "--entrypoint", "/proxy"]);
        assert.deepEqual(containerRunArgs({ name: "p", image: "i", command: ["/proxy", "--x"], args: ["--y"] }), ["--x", "--y"]);
        assert.throws(() => containerRunFlags({ name: "p", image: "i", env: [{ name: "A", valueFrom: { secretKeyRef: {} } }] }, { containers: [] }, volumes), /valueFrom/);
        assert.deepEqual(containerRunFlags({ name: "p", image: "i", env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }] },
            { containers: [] }, volumes, { "status.podIP": "172.17.0.9" }), ["--env", "IP=172.17.0.9"]);
        assert.throws(() => containerRunFlags({ name: "p", image: "i", volumeMounts: [{ name: "nope", mountPath: "/x" }] }, { containers: [] }, volumes), /no volume/);
    });

    it("writes and rotates a secret volume like kubelet: ..<ts> dir, ..data symlink, key symlinks", () => {
        const root = mkdtempSync(join(tmpdir(), "kubelet-test-"));
        try {
            materialiseSecret(root, secretFiles({ stringData: { "tls.crt": "one", "tls.key": "k1" }, data: { "ca.crt": Buffer.from("ca1").toString("base64") } }));
            const first = readlinkSync(join(root, "..data"));
            assert.match(first, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+/);
            assert.equal(readlinkSync(join(root, "tls.crt")), "..data/tls.crt");
            assert.equal(readFileSync(join(root, "ca.crt"), "utf8"), "ca1");
            assert.equal(statSync(join(root, first, "tls.key")).mode & 0o777, 0o644);

            rotateSecretDir(root, secretFiles({ stringData: { "tls.crt": "two", "tls.key": "k2", "ca.crt": "ca2" } }));
            const second = readlinkSync(join(root, "..data"));
            assert.notEqual(second, first);
            assert.equal(readFileSync(join(root, "tls.crt"), "utf8"), "two");
            assert.ok(lstatSync(join(root, "tls.crt")).isSymbolicLink());
            assert.deepEqual(readdirSync(root).sort(), [second, "..data", "ca.crt", "tls.crt", "tls.key"].sort(), "old dir removed, no temp link left");
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });
});
