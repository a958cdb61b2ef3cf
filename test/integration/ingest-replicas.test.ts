// Two ingest replicas on one log: a conflict either can see is refused before anything is appended; a true race
// reaches the log, where the fold decides it the same way in both replicas: one wins, the other gets 409.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { LocalEnvError } from "@kubefed/localenv";
import { objectsTopic } from "@kubefed/names";
import { api, startFederation, type Federation } from "./federation.ts";
import { env, uniqueName } from "./helpers.ts";

let a: Federation;
let b: Federation;
let kafka: KafkaClient;

beforeAll(async () => {
  a = await startFederation(env(), uniqueName("rep"));
  b = await startFederation(env(), "ignored", { replicaOf: a });
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "replicas-test" });
}, 120_000);

afterAll(async () => {
  await kafka?.close();
  await b?.stop();
  await a?.stop();
});

const end = async () => BigInt((await kafka.endOffsets(objectsTopic(a.name)))[0]!.offset);
const cm = (name: string, v: string, resourceVersion?: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(resourceVersion ? { resourceVersion } : {}) },
    data: { v },
  });

describe("two ingest replicas on one log", () => {
  it("refuses a conflict the replica can already see without appending anything", async () => {
    expect((await api(a, "POST", "/api/v1/namespaces/default/configmaps", cm("seen", "a"))).status).toBe(201);
    // b has folded a's write by the time it answers a read of it.
    await expect.poll(async () => (await api(b, "GET", "/api/v1/namespaces/default/configmaps/seen")).status).toBe(200);
    const before = await end();
    const r = await api(b, "POST", "/api/v1/namespaces/default/configmaps", cm("seen", "b"));
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe("AlreadyExists");
    expect(await end()).toBe(before);
  });

  it("lets the fold decide true races: exactly one create and one update win, both replicas agree", async () => {
    // A race is the fold's to decide when both writes reached the log; a replica that had already folded the
    // other's write refuses up front and appends nothing. Only this federation writes to its objects log.
    let decidedByFold = 0;
    const appendedBy = async (race: () => Promise<void>) => {
      const before = await end();
      await race();
      const appended = (await end()) - before;
      expect([1n, 2n]).toContain(appended);
      if (appended === 2n) decidedByFold++;
    };
    for (let i = 0; i < 20; i++) {
      const name = `race-${i}`;
      let rv = "";
      await appendedBy(async () => {
        const [ra, rb] = await Promise.all([
          api(a, "POST", "/api/v1/namespaces/default/configmaps", cm(name, "a")),
          api(b, "POST", "/api/v1/namespaces/default/configmaps", cm(name, "b")),
        ]);
        expect([ra.status, rb.status].sort()).toEqual([201, 409]);
        expect((ra.status === 409 ? ra : rb).body.reason).toBe("AlreadyExists");
        rv = (ra.status === 201 ? ra : rb).body.metadata.resourceVersion as string;
      });
      let updated = "";
      await appendedBy(async () => {
        const [ua, ub] = await Promise.all([
          api(a, "PUT", `/api/v1/namespaces/default/configmaps/${name}`, cm(name, "ua", rv)),
          api(b, "PUT", `/api/v1/namespaces/default/configmaps/${name}`, cm(name, "ub", rv)),
        ]);
        expect([ua.status, ub.status].sort()).toEqual([200, 409]);
        expect((ua.status === 409 ? ua : ub).body.reason).toBe("Conflict");
        updated = ua.status === 200 ? "ua" : "ub";
      });
      for (const f of [a, b]) {
        await expect
          .poll(async () => (await api(f, "GET", `/api/v1/namespaces/default/configmaps/${name}`)).body?.data?.v)
          .toBe(updated);
      }
    }
    expect(decidedByFold, "races in which both writes reached the log").toBeGreaterThan(0);
    // Both replicas hold exactly the same objects.
    const list = async (f: Federation) =>
      (await api(f, "GET", "/api/v1/namespaces/default/configmaps")).body.items.map((o: any) => [
        o.metadata.name,
        o.metadata.resourceVersion,
        o.data,
      ]);
    await expect.poll(async () => JSON.stringify(await list(b))).toBe(JSON.stringify(await list(a)));
  }, 120_000);
});

describe("the objects log's one partition", () => {
  it("is required: an ingest refuses to start on an objects topic created with more, and says why", async () => {
    const name = uniqueName("parts");
    await kafka.ensureTopics([{ name: objectsTopic(name), partitions: 3, replicationFactor: 1 }]);
    const err = await startFederation(env(), name).then(
      (f) => f.stop().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalEnvError);
    expect((err as LocalEnvError).describe()).toContain(
      `topic ${objectsTopic(name)} has 3 partitions; the federation needs exactly 1`,
    );
  }, 120_000);
});
