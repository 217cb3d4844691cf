// microsandbox's official Node SDK (0.6.18), in cloud mode, on msb's volume routes: create with a quota and labels,
// get and list (names resolved by listing), the file routes (write, read, stream, stat, exists, list, mkdir, copy,
// rename, remove), the errors the SDK maps, and remove. Run by io.msb.e2e.NodeSdkIT; by hand:
// MSB_API_URL=... MSB_API_KEY=... node sdk-volumes.mjs (from a directory where `npm install microsandbox@0.6.18` ran).
import assert from "node:assert/strict";
import { Volume, VolumeAlreadyExistsError, VolumeNotFoundError, setDefaultBackend } from "microsandbox";
import { cloudBackend, run, step, text } from "./steps.mjs";

setDefaultBackend(cloudBackend());

const NAME = "sdk-volume";

await run("sdk-volumes", async () => {
  await step("create a volume with a quota and a label", async () => {
    const v = await Volume.builder(NAME).quota(2048).label("team", "sdk").create();
    assert.equal(v.name, NAME);
  });

  await step("a second create of the name is VolumeAlreadyExistsError", () =>
    assert.rejects(Volume.builder(NAME).create(), VolumeAlreadyExistsError));

  const handle = await step("get and list show it", async () => {
    const h = await Volume.get(NAME);
    assert.equal(h.name, NAME);
    assert.equal(h.capacityBytes, 2048 * 1024 * 1024);
    assert.deepEqual([...h.labels].map((l) => [...l]), [["team", "sdk"]]);
    const names = (await Volume.list()).map((v) => v.name);
    assert.ok(names.includes(NAME), `listed: ${names}`);
    return h;
  });

  const fs = handle.fs();
  await step("write a file and read it back", async () => {
    await fs.mkdir("/dir");
    await fs.write("/dir/a b.txt", "hello from the SDK");
    assert.equal(await fs.readToString("/dir/a b.txt"), "hello from the SDK");
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await fs.write("/big.bin", big);
    assert.ok(Buffer.from(await fs.read("/big.bin")).equals(big));
  });

  await step("streams both ways", async () => {
    const sink = await fs.writeStream("/streamed.txt");
    await sink.write("part one, ");
    await sink.write("part two");
    await sink.close();
    const stream = await fs.readStream("/streamed.txt");
    assert.equal(text(await stream.collect()), "part one, part two");
  });

  await step("stat, exists and list", async () => {
    const meta = await fs.stat("/dir/a b.txt");
    assert.equal(meta.size, "hello from the SDK".length);
    assert.equal(await fs.exists("/dir/a b.txt"), true);
    assert.equal(await fs.exists("/nope"), false);
    const entries = (await fs.list("/")).map((e) => e.path).sort();
    assert.deepEqual(entries, ["/big.bin", "/dir", "/streamed.txt"]);
  });

  await step("copy, rename, remove and removeDir", async () => {
    await fs.copy("/dir/a b.txt", "/copy.txt");
    await fs.rename("/copy.txt", "/dir/renamed.txt");
    assert.equal(await fs.readToString("/dir/renamed.txt"), "hello from the SDK");
    await fs.remove("/big.bin");
    await fs.removeDir("/dir");
    assert.deepEqual((await fs.list("/")).map((e) => e.path), ["/streamed.txt"]);
  });

  await step("a missing file and an escaping path are errors", async () => {
    await assert.rejects(fs.read("/missing"));
    await assert.rejects(fs.read("/../../etc/passwd"));
  });

  await step("remove, then it is VolumeNotFoundError", async () => {
    await Volume.remove(NAME);
    await assert.rejects(Volume.get(NAME), VolumeNotFoundError);
  });
}, async () => {
  try {
    await Volume.remove(NAME);
  } catch {
    // already removed
  }
});
