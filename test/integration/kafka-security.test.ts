// Kafka as an authenticated boundary: a Kafka of this file's own with a SASL_SSL listener only, SCRAM principals
// and the StandardAuthorizer (the shared environment's Kafka stays plaintext, as every other file wants it). The
// whole propagation path works through it; nobody but the ingest can append desired state; a service given a
// wrong password, a missing CA or a broker that is not TLS stops at start with one line that says so.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient, KafkaSecurityError, type KafkaSecurity } from "@kubefed/kafka";
import {
  binaryPaths,
  freePort,
  kafkaSecurityAs,
  kafkaSecurityEnv,
  Pki,
  REPO_ROOT,
  startFederation,
  startKafka,
  startPropagator,
  type EnvironmentInfo,
  type Federation,
  type KafkaInfo,
  type Managed,
  type Propagator,
} from "@kubefed/localenv";
import { currentSchema, encodeEvent, EventType, PreconditionType } from "@kubefed/events";
import { objectsTopic, statusTopic } from "@kubefed/names";
import { env, uniqueName } from "./helpers.ts";
import { eventually, fedctl, join as joinMember, memberctl } from "./propagation-helpers.ts";

const execFileP = promisify(execFile);
const MEMBER = "member1";

let kafkaProc: Managed | undefined;
let kafka: KafkaInfo;
let secured: EnvironmentInfo;
let fed: Federation | undefined;
let worker: Propagator | undefined;
let admin: KafkaClient;
const clients: KafkaClient[] = [];

const client = (security: KafkaSecurity | undefined, name: string) => {
  const c = new KafkaClient({
    brokers: [kafka.bootstrap],
    clientId: `${name}-${randomBytes(3).toString("hex")}`,
    security,
    retries: 1,
  });
  clients.push(c);
  return c;
};
const logEnd = async (topic: string) => BigInt((await admin.endOffsets(topic))[0]!.offset);

beforeAll(async () => {
  const runDir = join(env().runDir, `kafka-sasl-${randomBytes(3).toString("hex")}`);
  mkdirSync(runDir, { recursive: true });
  // The environment's CA: the ingest's serving certificate and the members' come from it too.
  const pki = new Pki(join(env().runDir, "pki"));
  const started = await startKafka(binaryPaths(), runDir, await freePort(), await freePort(), 180_000, {
    secure: { pki },
  });
  kafkaProc = started.proc;
  kafka = started.info;
  secured = { ...env(), kafka };
  admin = client(kafkaSecurityAs(kafka.security, "admin"), "admin");
  fed = await startFederation(secured, uniqueName("ksec"));
  await joinMember(fed, { name: MEMBER });
  worker = await startPropagator(secured, fed, {
    clusters: [MEMBER],
    env: { PROPAGATOR_HEALTH_PROBE_INTERVAL: "500ms", PROPAGATOR_SUCCESSES_TO_READY: "1" },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await worker?.stop();
  await fed?.stop();
  await kafkaProc?.stop();
});

describe("with Kafka in SASL_SSL mode", () => {
  it("serves the federation: the ingest connected as its own principal and created its topics", async () => {
    expect(kafka.security).toMatchObject({ protocol: "sasl_ssl", mechanism: "scram-sha-512" });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([objectsTopic(fed!.name), statusTopic(fed!.name)]));
  });

  it("propagates a ConfigMap and a Secret written through the federation API to the member", async () => {
    const ns = uniqueName("ks");
    await fedctl(fed!, ["create", "namespace", ns]);
    await fedctl(fed!, ["-n", ns, "create", "configmap", "settings", "--from-literal=mode=secured"]);
    await fedctl(fed!, ["-n", ns, "create", "secret", "generic", "creds", "--from-literal=password=through-sasl"]);
    await eventually(async () => {
      const cm = await memberctl(MEMBER, ["-n", ns, "get", "configmap", "settings", "-o", "jsonpath={.data.mode}"]);
      expect(cm.stdout).toBe("secured");
      const secret = await memberctl(MEMBER, ["-n", ns, "get", "secret", "creds", "-o", "jsonpath={.data.password}"]);
      expect(Buffer.from(secret.stdout, "base64").toString("utf8")).toBe("through-sasl");
    }, 60_000);
  });

  it("refuses appends to the objects log from a client without credentials or with another service's", async () => {
    const topic = objectsTopic(fed!.name);
    const before = await logEnd(topic);
    const forged = [{ key: "core/ConfigMap/x/forged", value: Buffer.from("not an event") }];

    // TLS without SASL, and no TLS at all: the listener drops the connection before any request.
    for (const security of [{ protocol: "ssl", tls: { caFile: kafka.security!.caFile } } as const, undefined]) {
      await expect(client(security, "anonymous").appender()).rejects.toThrow(/closed the connection/);
    }
    // Authenticated, but not as the ingest: the broker's authorizer refuses the produce.
    for (const principal of ["propagator", "dns-sync"] as const) {
      const refused = (async () => {
        const appender = await client(kafkaSecurityAs(kafka.security, principal), principal).appender();
        await appender.append(topic, forged);
      })();
      await expect(refused, principal).rejects.toThrow(/not authorized|authorization failed/i);
    }
    // Status is the propagators' alone: the ingest's principal cannot append there either.
    const ingestAppender = await client(kafkaSecurityAs(kafka.security, "ingest"), "ingest").appender();
    await expect(ingestAppender.append(statusTopic(fed!.name), forged)).rejects.toThrow(/not authorized/i);

    // A later legitimate write lands at the very offset the refused ones would have taken.
    const ns = uniqueName("ka");
    const { stdout: rv } = await fedctl(fed!, [
      "create",
      "namespace",
      ns,
      "-o",
      "jsonpath={.metadata.resourceVersion}",
    ]);
    expect(BigInt(rv)).toBe(before);
    expect(await logEnd(topic)).toBe(before + 1n);
  });

  it("skips a plaintext Secret event appended past the ingest, as any undecodable record", async () => {
    const ns = uniqueName("kp");
    await fedctl(fed!, ["create", "namespace", ns]);
    // A principal with broker rights (admin) appends what only a writer bypassing the ingest would: a Secret event
    // with the right schema and a plaintext payload. Encoded as a ConfigMap's (plaintext), then made a Secret's.
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "forged", namespace: ns },
      data: { k: "dg==" },
    };
    const ref = { group: "", version: "v1", kind: "ConfigMap", namespace: ns, name: "forged" };
    const encoded = encodeEvent({
      type: EventType.ObjectCreated,
      data: { ref, precondition: { type: PreconditionType.MustNotExist }, object: secret },
      metadata: {
        eventId: `forged-${ns}`,
        time: new Date().toISOString(),
        actor: { user: "mallory", groups: [] },
        requestId: "r",
      },
    });
    const type = currentSchema(EventType.ObjectCreated).type;
    const record = type.fromBuffer(encoded.value) as { ref: { kind: string } };
    record.ref.kind = "Secret";
    const appender = await admin.appender();
    const [forged] = await appender.append(objectsTopic(fed!.name), [
      { key: `core/Secret/${ns}/forged`, value: type.toBuffer(record), headers: encoded.headers },
    ]);
    await appender.close();
    // A later write reaches the member: the ingest and the propagator have both folded past the forged record.
    const { stdout: rv } = await fedctl(fed!, [
      "-n",
      ns,
      "create",
      "configmap",
      "after",
      "--from-literal=k=v",
      "-o",
      "jsonpath={.metadata.resourceVersion}",
    ]);
    expect(BigInt(rv)).toBeGreaterThan(BigInt(forged!.offset));
    await eventually(async () => {
      expect((await memberctl(MEMBER, ["-n", ns, "get", "configmap", "after", "-o", "name"])).stdout.trim()).toBe(
        "configmap/after",
      );
    }, 60_000);
    const listed = async (ctl: Promise<{ stdout: string }>) =>
      JSON.parse((await ctl).stdout).items.map((o: any) => o.metadata.name);
    expect(await listed(fedctl(fed!, ["-n", ns, "get", "secrets", "-o", "json"]))).not.toContain("forged");
    expect(await listed(memberctl(MEMBER, ["-n", ns, "get", "secrets", "-o", "json"]))).not.toContain("forged");
  });

  describe("a service that cannot connect stops at start with one line on stderr", () => {
    const startIngest = async (security: Record<string, string>) => {
      const run = execFileP(process.execPath, ["--import", "tsx", join(REPO_ROOT, "services/ingest/src/main.ts")], {
        cwd: REPO_ROOT,
        timeout: 90_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          KUBEFED_FEDERATION_NAME: fed!.name,
          KAFKA_BROKERS: kafka.bootstrap,
          INGEST_BIND_ADDRESS: "127.0.0.1",
          INGEST_SECURE_PORT: "0",
          LOG_LEVEL: "silent",
          ...security,
        },
      });
      const failed = (await run.then(
        () => ({ code: 0, stderr: "" }),
        (e: { code?: number; stderr?: string }) => e,
      )) as { code?: number; stderr?: string };
      return { code: failed.code, lines: (failed.stderr ?? "").trimEnd().split("\n") };
    };

    it("for a wrong password", async () => {
      const wrong = join(env().runDir, `wrong-${randomBytes(3).toString("hex")}.password`);
      writeFileSync(wrong, "not-the-password\n", { mode: 0o600 });
      const res = await startIngest({ ...kafkaSecurityEnv(kafka.security, "ingest"), KAFKA_SASL_PASSWORD_FILE: wrong });
      expect(res).toEqual({
        code: 1,
        lines: [
          `ingest: Kafka at ${kafka.bootstrap} refused the SASL credentials of user "ingest" (scram-sha-512): wrong username or password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE)`,
        ],
      });
    });
  });

  // The same lines as the ingest's above come from the client library; one process start is enough to hold that
  // they reach stderr alone (each start costs seconds of CPU on a shared machine).
  describe("a client that cannot connect fails with a reason that says what to fix", () => {
    it("for a CA file that does not exist", () => {
      const missing = join(env().runDir, "no-such-ca.crt");
      const security = { ...kafkaSecurityAs(kafka.security, "ingest")!, tls: { caFile: missing } };
      expect(() => client(security, "no-ca")).toThrow(
        new KafkaSecurityError(`cannot read the Kafka CA file (KAFKA_TLS_CA_FILE) ${missing}: no such file`),
      );
    });

    it("for a broker that is not TLS (the shared environment's plaintext Kafka)", async () => {
      const plaintext = env().kafka.bootstrap;
      const c = new KafkaClient({
        brokers: [plaintext],
        clientId: "not-tls",
        retries: 1,
        security: kafkaSecurityAs(kafka.security, "ingest"),
      });
      clients.push(c);
      await expect(c.listTopics()).rejects.toThrow(
        new KafkaSecurityError(
          `Kafka at ${plaintext} does not speak TLS: is KAFKA_SECURITY_PROTOCOL=sasl_ssl right for this listener, or is it a plaintext one?`,
        ),
      );
    });

    it("for a broker whose certificate the client's CA did not sign", async () => {
      const other = new Pki(join(env().runDir, `other-ca-${randomBytes(3).toString("hex")}`));
      const security = { ...kafkaSecurityAs(kafka.security, "ingest")!, tls: { caFile: other.ca.cert } };
      await expect(client(security, "foreign-ca").listTopics()).rejects.toThrow(
        /presented a certificate that is not signed by a trusted CA \(\w+\): set KAFKA_TLS_CA_FILE/,
      );
    });
  });
});
