// microsandbox's official Node SDK (0.6.18), in cloud mode, creates sandboxes with mounts (decision 1200): a host
// directory read-write and read-only, and a sized tmpfs, built with the SDK's own volume builder, so the create body
// carries `mounts` exactly as the SDK writes them. Run by io.msb.e2e.NodeSdkIT; the server runs on this host.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox, setDefaultBackend } from "microsandbox";
import { IMAGE, cloudBackend, run, step } from "./steps.mjs";

setDefaultBackend(cloudBackend());

const NAME = "sdk-mounts";
const dir = mkdtempSync(join(tmpdir(), "sdk-mounts-"));
chmodSync(dir, 0o777); // QEMU may run as another user (msb-qemu under a root server, decision 1201)
writeFileSync(join(dir, "from-host.txt"), "written on the host\n");

await run("sdk-mounts", async () => {
  const sb = await step("create with a bind mount, a read-only bind and a tmpfs", () =>
    Sandbox.builder(NAME).image(IMAGE)
      .volume("/work", (v) => v.bind(dir))
      .volume("/ro", (v) => v.bind(dir).readonly())
      .volume("/scratch", (v) => v.tmpfs().size(16).noexec())
      .create());

  await step("the guest reads the host's file and writes one the host reads", async () => {
    assert.equal((await sb.exec("cat", ["/work/from-host.txt"])).stdout(), "written on the host\n");
    const w = await sb.shell("echo written in the guest > /work/from-guest.txt");
    assert.equal(w.code, 0, w.stderr());
    assert.equal(readFileSync(join(dir, "from-guest.txt"), "utf8"), "written in the guest\n");
  });

  await step("the read-only mount refuses writes", async () => {
    const out = await sb.shell("touch /ro/nope");
    assert.notEqual(out.code, 0);
    assert.match(out.stderr(), /Read-only file system/);
  });

  await step("the tmpfs has its size and noexec", async () => {
    const out = await sb.shell("grep ' /scratch ' /proc/mounts");
    assert.match(out.stdout(), /size=16384k/);
    assert.match(out.stdout(), /noexec/);
  });

  await step("remove", () => sb.stop().then(() => Sandbox.remove(NAME)));
}, async () => {
  await Sandbox.remove(NAME).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});
