// The image's build and run steps, without a container engine: the Dockerfile's build stage runs
// `node scripts/build-services.mjs --stage /out` and the runtime stage copies /out alone, with no node_modules, and
// runs `node services/<name>/dist/main.mjs`. This test stages the same way into a directory with no node_modules
// above it and runs the compiled services from there against the environment's Kafka: a bundle that still needs
// a package, or a run-time file the stage left behind, fails here. (The base image, USER and EXPOSE are the
// Dockerfile's own and are held by test/unit/compose.test.ts; nothing here builds an image.)
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pki, freePort, httpGet, startProcess, waitReady, type Managed } from "@kubefed/localenv";
import { env, kubectl, uniqueName } from "./helpers.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

describe("the compiled services, staged as the Dockerfile stages them", () => {
  const fed = uniqueName("image");
  const token = `${fed}-token`;
  let stage: string;
  const procs: Managed[] = [];

  beforeAll(async () => {
    stage = mkdtempSync(join(tmpdir(), "kubefed-image-"));
    await run(process.execPath, [join(ROOT, "scripts/build-services.mjs"), "--stage", stage], { cwd: ROOT });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
  });

  it("has no node_modules to fall back on", () => {
    for (let d = stage; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, "node_modules")), d).toBe(false);
  });

  it("serve the federation API and propagate from compiled JavaScript alone", async () => {
    writeFileSync(join(stage, "tokens.csv"), `${token},admin,admin,"system:masters"\n`);
    const keys = JSON.stringify({ primary: "k1", keys: { k1: Buffer.alloc(32, 7).toString("base64") } });
    writeFileSync(join(stage, "keys.json"), keys);
    const port = await freePort();
    const pki = new Pki(join(env().runDir, "pki"));
    const serving = pki.issue(`image-${fed}`, { cn: `image-${fed}`, sans: ["IP:127.0.0.1"] });
    const common = {
      KUBEFED_FEDERATION_NAME: fed,
      KAFKA_BROKERS: env().kafka.bootstrap,
      LOG_LEVEL: "warn",
      PATH: process.env["PATH"] ?? "",
    };
    const ingest = startProcess({
      name: `image-ingest-${fed}`,
      command: process.execPath,
      args: ["services/ingest/dist/main.mjs", "--anonymous-auth=false"],
      runDir: env().runDir,
      cwd: stage,
      env: {
        ...common,
        INGEST_SECURE_PORT: String(port),
        INGEST_BIND_ADDRESS: "127.0.0.1",
        INGEST_TLS_CERT_FILE: serving.cert,
        INGEST_TLS_KEY_FILE: serving.key,
        INGEST_TOKEN_AUTH_FILE: join(stage, "tokens.csv"),
        INGEST_SECRETS_KEY_FILE: join(stage, "keys.json"),
      },
    });
    procs.push(ingest);
    const url = `https://127.0.0.1:${port}`;
    await waitReady(ingest, async () => (await httpGet(`${url}/readyz`, { ca: pki.ca.cert })).status === 200, 60_000);
    // A create through kubectl: discovery, the OpenAPI schemas the ingest validates with, its protobuf reader.
    const server = ["--server", url, "--certificate-authority", pki.ca.cert, "--token", token];
    await kubectl([...server, "create", "namespace", fed]);
    await kubectl([...server, "create", "configmap", "settings", "-n", fed, "--from-literal=k=v"]);
    const got = JSON.parse(
      (await kubectl([...server, "get", "configmap", "settings", "-n", fed, "-o", "json"])).stdout,
    );
    expect(got.data).toEqual({ k: "v" });

    const metrics = await freePort();
    const propagator = startProcess({
      name: `image-propagator-${fed}`,
      command: process.execPath,
      args: ["services/propagator/dist/main.mjs"],
      runDir: env().runDir,
      cwd: stage,
      env: {
        ...common,
        PROPAGATOR_METRICS_PORT: String(metrics),
        PROPAGATOR_SECRETS_KEY_FILE: join(stage, "keys.json"),
      },
    });
    procs.push(propagator);
    await waitReady(
      propagator,
      async () => (await httpGet(`http://127.0.0.1:${metrics}/readyz`)).status === 200,
      60_000,
    );
    expect(JSON.parse((await httpGet(`http://127.0.0.1:${metrics}/clusters`)).body)).toEqual([]);
  }, 180_000);
});
