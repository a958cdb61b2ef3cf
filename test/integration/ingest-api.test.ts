import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient, type LogRecord } from "@kubefed/kafka";
import { objectsTopic } from "@kubefed/names";
import { CoreV1Api, makeInformer, type KubernetesObject, type V1ConfigMap } from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node";
import { env } from "./helpers.ts";
import { api, startFederation, type Federation } from "./federation.ts";

let fed: Federation;
let kafka: KafkaClient;
const endOffset = async () => (await kafka.endOffsets(objectsTopic(fed.name)))[0]!.offset;
const cm = (name: string, data: Record<string, string> = { a: "1" }, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...extra }, data });

beforeAll(async () => {
  fed = await startFederation(env(), "api");
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "ingest-api-test" });
});
afterAll(async () => {
  await kafka?.close();
  await fed?.stop();
});

describe("bad input is refused with the right Status and appends nothing", () => {
  const big = Buffer.alloc(4 * 1024 * 1024, "a");
  const CASES: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    ["malformed JSON", () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", "{not json"), 400, "BadRequest"],
    [
      "malformed YAML",
      () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", "a: [b\n", { contentType: "application/yaml" }),
      400,
      "BadRequest",
    ],
    ["unknown kind", () => api(fed, "POST", "/api/v1/namespaces/default/widgets", cm("x")), 404, "NotFound"],
    [
      "wrong apiVersion in the body",
      () =>
        api(
          fed,
          "POST",
          "/api/v1/namespaces/default/configmaps",
          JSON.stringify({ apiVersion: "apps/v1", kind: "ConfigMap", metadata: { name: "x" } }),
        ),
      400,
      "BadRequest",
    ],
    ["invalid name", () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("Not_A_Name")), 422, "Invalid"],
    [
      "a 4 MiB body",
      () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", big),
      413,
      "RequestEntityTooLarge",
    ],
    [
      "a malformed cluster-selector",
      () =>
        api(
          fed,
          "POST",
          "/api/v1/namespaces/default/configmaps",
          cm(
            "sel",
            {},
            {
              annotations: {
                "federation.alpha.kubernetes.io/cluster-selector": '[{"key":"region","operator":"Near"}]',
              },
            },
          ),
        ),
      422,
      "Invalid",
    ],
    [
      "no credentials",
      () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("anon"), { token: null }),
      401,
      "Unauthorized",
    ],
    [
      "a wrong token",
      () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("anon"), { token: "wrong" }),
      401,
      "Unauthorized",
    ],
    [
      "an unsupported content type",
      () => api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("x"), { contentType: "text/plain" }),
      415,
      "UnsupportedMediaType",
    ],
  ];

  it.each(CASES)("%s", async (_what, send, code, reason) => {
    const before = await endOffset();
    const res = await send();
    expect(res.status).toBe(code);
    expect(res.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason });
    expect(await endOffset()).toBe(before);
  });

  it("create of an existing name (409 AlreadyExists) and update with a stale resourceVersion (409 Conflict)", async () => {
    const created = await api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("dup"));
    expect(created.status).toBe(201);
    const rv = created.body.metadata.resourceVersion as string;
    const upd = await api(
      fed,
      "PUT",
      "/api/v1/namespaces/default/configmaps/dup",
      JSON.stringify({ ...JSON.parse(cm("dup", { a: "2" })), metadata: { name: "dup", resourceVersion: rv } }),
    );
    expect(upd.status).toBe(200);
    const before = await endOffset();
    const again = await api(fed, "POST", "/api/v1/namespaces/default/configmaps", cm("dup"));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: "AlreadyExists", message: 'configmaps "dup" already exists' });
    const stale = await api(
      fed,
      "PUT",
      "/api/v1/namespaces/default/configmaps/dup",
      JSON.stringify({ ...JSON.parse(cm("dup", { a: "3" })), metadata: { name: "dup", resourceVersion: rv } }),
    );
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect(await endOffset()).toBe(before);
  });
});

describe("the event log", () => {
  it("holds no Secret plaintext", async () => {
    const secret = "s3cr3t-" + Date.now();
    const res = await api(
      fed,
      "POST",
      "/api/v1/namespaces/default/secrets",
      JSON.stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "db" },
        stringData: { password: secret },
        data: { token: Buffer.from(`tok-${secret}`).toString("base64") },
      }),
    );
    expect(res.status).toBe(201);
    const got = await api(fed, "GET", "/api/v1/namespaces/default/secrets/db");
    expect(Buffer.from(got.body.data.token, "base64").toString()).toBe(`tok-${secret}`);
    const records: LogRecord[] = [];
    const end = Number(await endOffset());
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const tail = await kafka.tail({
      topic: objectsTopic(fed.name),
      from: "earliest",
      onBatch: async (batch) => {
        records.push(...batch);
        if (records.length >= end) done();
      },
    });
    await all;
    await tail.stop();
    const bytes = Buffer.concat(records.map((r) => r.value));
    for (const needle of [secret, `tok-${secret}`, Buffer.from(`tok-${secret}`).toString("base64")])
      expect(bytes.includes(needle)).toBe(false);
    expect(records.some((r) => r.headers["kf-key-id"]?.toString() === "k1")).toBe(true);
  });

  it("rebuilds exactly the same state after an ingest restart", async () => {
    const listAll = async () => {
      const out: Record<string, unknown> = {};
      for (const p of ["/api/v1/namespaces", "/api/v1/configmaps", "/api/v1/secrets", "/apis/apps/v1/deployments"])
        out[p] = (await api(fed, "GET", p)).body.items;
      return out;
    };
    await api(
      fed,
      "POST",
      "/api/v1/namespaces",
      JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "rebuild" } }),
    );
    await api(fed, "POST", "/api/v1/namespaces/rebuild/configmaps", cm("one"));
    const before = await listAll();
    await fed.restart();
    expect(await listAll()).toEqual(before);
  });
});

describe("@kubernetes/client-node informer", () => {
  it("receives adds, updates and deletes in order", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(fed.kubeconfig);
    kc.setCurrentContext("federation");
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "informed" } } });
    const seen: string[] = [];
    const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/informed/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "informed" }),
    );
    const record = (type: string) => (o: KubernetesObject & { data?: Record<string, string> }) =>
      seen.push(`${type} ${o.metadata?.name} ${o.data?.v ?? ""}`);
    informer.on("add", record("add"));
    informer.on("update", record("update"));
    informer.on("delete", record("delete"));
    await informer.start();
    await core.createNamespacedConfigMap({
      namespace: "informed",
      body: { metadata: { name: "i1" }, data: { v: "1" } },
    });
    const current = await core.readNamespacedConfigMap({ namespace: "informed", name: "i1" });
    await core.replaceNamespacedConfigMap({
      namespace: "informed",
      name: "i1",
      body: { ...current, data: { v: "2" } },
    });
    await core.deleteNamespacedConfigMap({ namespace: "informed", name: "i1" });
    for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    await informer.stop();
    expect(seen).toEqual(["add i1 1", "update i1 2", "delete i1 2"]);
  });
});
