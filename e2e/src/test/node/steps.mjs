// Shared by the SDK end-to-end scripts: named steps that print "ok"/"FAIL" lines, and the environment they run in.
import assert from "node:assert/strict";

/** The image every sandbox boots (the server makes builtin:busybox itself; no registry needed). */
export const IMAGE = process.env.MSB_E2E_IMAGE ?? "builtin:busybox";

/** The server under test, as `setDefaultBackend({kind: "cloud", ...})` takes it. */
export function cloudBackend() {
  const url = process.env.MSB_API_URL;
  const apiKey = process.env.MSB_API_KEY;
  assert.ok(url, "MSB_API_URL is not set");
  assert.ok(apiKey, "MSB_API_KEY is not set");
  return { kind: "cloud", url, apiKey };
}

/** Runs one step; a failure prints the step's name and the cause, and ends the script with status 1. */
export async function step(name, body) {
  const started = Date.now();
  try {
    const value = await body();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (e) {
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    process.exitCode = 1;
    throw new StepFailed(name);
  }
}

/** Runs the steps, then always the cleanup; prints the summary line the JUnit test looks for. */
export async function run(title, steps, cleanup) {
  try {
    await steps();
    console.log(`PASSED ${title}`);
  } catch (e) {
    if (!(e instanceof StepFailed)) {
      console.log(`FAIL ${title}: ${e?.stack ?? e}`);
      process.exitCode = 1;
    }
  } finally {
    try {
      await cleanup();
    } catch (e) {
      console.log(`cleanup: ${e?.message ?? e}`);
    }
  }
}

class StepFailed extends Error {}

/** Decodes bytes the SDK hands back (Uint8Array or Buffer) as UTF-8. */
export function text(bytes) {
  return Buffer.from(bytes).toString("utf8");
}
