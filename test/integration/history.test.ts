// History: audit queries, point-in-time reads, restore and replay against a real federation (ingest + Kafka),
// through the CLI and the API; every refusal is checked to append nothing (the objects topic's end offset).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "@kubefed/kafka";
import { objectsTopic } from "@kubefed/names";
import { env, kubectl, uniqueName } from "./helpers.ts";
import { api, startFederation, type Federation } from "./federation.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");
const NS = uniqueName("hist");

let fed: Federation;
let kafka: KafkaClient;
const endOffset = async () => (await kafka.endOffsetOfOnlyPartition(objectsTopic(fed.name))).toString();
const cm = (name: string, data: Record<string, string>) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
const cmPath = (name = "") => `/api/v1/namespaces/${NS}/configmaps${name ? `/${name}` : ""}`;

async function kubefed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [...args, "--kubeconfig", fed.kubeconfig, "--context", "federation"];
  try {
    const { stdout, stderr } = await run(join(ROOT, "cli/bin/kubefed"), argv, { cwd: ROOT, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function ok(args: string[]): Promise<string> {
  const r = await kubefed(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** A refused command: exit 1, one line on stderr, and nothing appended to the objects log. */
async function refused(args: string[], message: string | RegExp): Promise<void> {
  const before = await endOffset();
  const r = await kubefed(args);
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(await endOffset()).toBe(before);
}

const onFed = async (args: string[]) =>
  JSON.parse((await kubectl(["--context", "federation", ...args], { kubeconfig: fed.kubeconfig })).stdout);

/** A moment strictly after every write so far and strictly before the next (the ingest stamps events with this clock). */
async function now(): Promise<string> {
  const t = Date.now();
  while (Date.now() <= t + 1) await new Promise((r) => setTimeout(r, 1));
  const at = new Date().toISOString();
  while (Date.now() <= Date.parse(at) + 1) await new Promise((r) => setTimeout(r, 1));
  return at;
}

beforeAll(async () => {
  fed = await startFederation(env(), uniqueName("history"));
  kafka = new KafkaClient({ brokers: [env().kafka.bootstrap], clientId: "history-test" });
  const ns = await api(fed, "POST", "/api/v1/namespaces", JSON.stringify({ metadata: { name: NS } }));
  expect(ns.status).toBe(201);
});
afterAll(async () => {
  await kafka?.close();
  await fed?.stop();
});

describe("audit queries", () => {
  it("kubefed history lists every revision with actor, time, resourceVersion and a readable diff", async () => {
    const created = await api(fed, "POST", cmPath(), cm("audited", { a: "1" }));
    const rv1 = created.body.metadata.resourceVersion as string;
    const upd = await api(fed, "PATCH", cmPath("audited"), JSON.stringify({ data: { a: "2", b: "3" } }), {
      contentType: "application/merge-patch+json",
    });
    const rv2 = upd.body.metadata.resourceVersion as string;
    // A write refused up front is not a revision.
    expect((await api(fed, "POST", cmPath(), cm("audited", {}))).status).toBe(409);
    expect((await api(fed, "DELETE", cmPath("audited"))).status).toBe(200);

    const json = JSON.parse(await ok(["history", "configmap/audited", "-n", NS, "-o", "json"]));
    expect(json.revisions.map((r: any) => [r.operation, r.user])).toEqual([
      ["create", "admin"],
      ["update", "admin"],
      ["delete", "admin"],
    ]);
    expect(json.revisions.slice(0, 2).map((r: any) => r.resourceVersion)).toEqual([rv1, rv2]);
    expect(json.revisions[1].changes).toEqual([
      { op: "changed", path: "/data/a", from: '"1"', to: '"2"' },
      { op: "added", path: "/data/b", to: '"3"' },
    ]);
    const table = (await ok(["history", "configmap/audited", "-n", NS])).trim().split("\n");
    expect(table[0]).toMatch(/^REVISION\s+TIME\s+USER\s+OPERATION\s+CHANGES$/);
    expect(table[2]).toContain('~/data/a: "1" → "2", +/data/b: "3"');

    // The API pages: one revision per page, continue tokens to the end.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ resource: "configmaps", name: "audited", namespace: NS, limit: "1" });
      if (token) q.set("continue", token);
      const page = await api(fed, "GET", `/federation/history?${q}`);
      expect(page.status).toBe(200);
      expect(page.body.revisions).toHaveLength(1);
      seen.push(page.body.revisions[0].resourceVersion);
      token = page.body.metadata.continue;
    } while (token);
    expect(seen).toEqual(json.revisions.map((r: any) => r.resourceVersion));
    await refused(
      ["history", "configmap/never-existed", "-n", NS],
      /^kubefed: configmaps "never-existed" has no history$/,
    );
  });

  it("kubefed history --actor --since --until lists one user's changes across objects in a window", async () => {
    const since = await now();
    await api(fed, "POST", cmPath(), cm("actor-a", { x: "1" }));
    await api(fed, "POST", cmPath(), cm("actor-b", { y: "1" }));
    const until = await now();
    await api(fed, "POST", cmPath(), cm("actor-c", { z: "1" }));
    const rows = JSON.parse(
      await ok(["history", "--actor", "admin", "--since", since, "--until", until, "-n", NS, "-o", "json"]),
    );
    expect(rows.map((r: any) => `${r.operation} ${r.object.kind}/${r.object.name}`)).toEqual([
      "create ConfigMap/actor-a",
      "create ConfigMap/actor-b",
    ]);
    const all = JSON.parse(
      await ok(["history", "--actor", "admin", "--since", since, "-A", "--kind", "cm", "-o", "json"]),
    );
    expect(all.map((r: any) => r.object.name)).toEqual(["actor-a", "actor-b", "actor-c"]);
    const nobody = JSON.parse(await ok(["history", "--actor", "nobody", "--since", since, "-A", "-o", "json"]));
    expect(nobody).toEqual([]);
    const table = (await ok(["history", "--actor", "admin", "--since", since, "--until", until, "-n", NS])).split("\n");
    expect(table[0]).toMatch(/^REVISION\s+TIME\s+USER\s+OPERATION\s+NAMESPACE\s+OBJECT\s+CHANGES$/);
    expect(table[1]).toMatch(new RegExp(`admin\\s+create\\s+${NS}\\s+configmap/actor-a`));
    // The API pages a window too.
    const page = await api(fed, "GET", `/federation/changes?actor=admin&since=${since}&namespace=${NS}&limit=2`);
    expect(page.body.changes.map((c: any) => c.object.name)).toEqual(["actor-a", "actor-b"]);
    const next = await api(
      fed,
      "GET",
      `/federation/changes?continue=${page.body.metadata.continue}&actor=admin&since=${since}&namespace=${NS}&limit=2`,
    );
    expect(next.body.changes.map((c: any) => c.object.name)).toEqual(["actor-c"]);
    expect(next.body.metadata.continue).toBeUndefined();
  });
});

describe("point-in-time reads", () => {
  it("a list at a past resourceVersion equals what kubectl get returned at that moment", async () => {
    for (const n of ["pit-1", "pit-2"]) await api(fed, "POST", cmPath(), cm(n, { v: "1" }));
    // kubectl get as the server answered it (-o json would print a client-side List without resourceVersion).
    const then = await onFed(["get", "--raw", cmPath()]);
    expect(then.items.map((i: any) => i.metadata.name)).toEqual(expect.arrayContaining(["pit-1", "pit-2"]));
    const at = await now();
    await api(fed, "PATCH", cmPath("pit-1"), JSON.stringify({ data: { v: "2" } }), {
      contentType: "application/merge-patch+json",
    });
    await api(fed, "DELETE", cmPath("pit-2"));
    await api(fed, "POST", cmPath(), cm("pit-3", { v: "1" }));
    const rv = then.metadata.resourceVersion as string;

    const exact = await api(fed, "GET", `${cmPath()}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    expect(exact.status).toBe(200);
    expect(exact.body.metadata.resourceVersion).toBe(rv);
    expect(exact.body.items).toEqual(then.items);
    // The current list differs, so the comparison above could fail.
    expect((await onFed(["get", "configmaps", "-n", NS, "-o", "json"])).items).not.toEqual(then.items);

    // Paged, every page reads the same moment (later pages name no resourceVersion: the token carries it).
    const paged: unknown[] = [];
    let page = await api(fed, "GET", `${cmPath()}?resourceVersion=${rv}&resourceVersionMatch=Exact&limit=2`);
    paged.push(...page.body.items);
    while (page.body.metadata.continue) {
      page = await api(fed, "GET", `${cmPath()}?limit=2&continue=${page.body.metadata.continue}`);
      expect(page.body.metadata.resourceVersion).toBe(rv);
      paged.push(...page.body.items);
    }
    expect(paged).toEqual(then.items);

    // The CLI, by resourceVersion and by time, as a list and as one object.
    const byRv = JSON.parse(await ok(["get", "configmaps", "-n", NS, "--at", rv, "-o", "json"]));
    expect(byRv.items).toEqual(then.items);
    const byTime = JSON.parse(await ok(["get", "configmaps", "-n", NS, "--at", at, "-o", "json"]));
    expect(byTime.items).toEqual(then.items);
    const one = JSON.parse(await ok(["get", "configmap/pit-2", "-n", NS, "--at", at, "-o", "json"]));
    expect(one).toEqual(then.items.find((i: any) => i.metadata.name === "pit-2"));
    expect(await ok(["get", "cm", "-n", NS, "--at", at])).toMatch(/^NAMESPACE\s+NAME\s+RESOURCEVERSION\n/);
  });

  it("refuses what the log cannot answer: future, malformed and too early", async () => {
    const end = Number(await endOffset());
    const future = await api(fed, "GET", `${cmPath()}?resourceVersion=${end + 1000}&resourceVersionMatch=Exact`);
    expect(future.status).toBe(504);
    expect(future.body).toMatchObject({ kind: "Status", reason: "Timeout" });
    expect(future.body.message).toMatch(/^Too large resource version/);
    const bad = await api(fed, "GET", `${cmPath()}?resourceVersion=abc&resourceVersionMatch=Exact`);
    expect(bad.status).toBe(400);
    const malformed = await api(fed, "GET", "/federation/resourceversion?time=yesterday");
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toBe('time "yesterday" is not an RFC 3339 time (e.g. 2026-01-01T10:00:00Z)');
    await refused(["get", "configmaps", "-n", NS, "--at", "2000-01-01T00:00:00Z"], /is before the first change/);
    await refused(
      ["get", "configmaps", "-n", NS, "--at", "yesterday"],
      /^kubefed: --at "yesterday" is not an RFC 3339 time/,
    );
    await refused(["history", "--since", "last week", "-A"], /--since "last week" is not an RFC 3339 time/);
    await refused(
      ["get", "configmap/pit-3", "-n", NS, "--at", "1"],
      /configmaps "pit-3" did not exist at resourceVersion 1/,
    );
  });
});

describe("restore", () => {
  it("restores an earlier revision as a new write, and recreates a deleted object", async () => {
    const v1 = await api(fed, "POST", cmPath(), cm("restored", { mode: "safe" }));
    const rv1 = v1.body.metadata.resourceVersion as string;
    await api(
      fed,
      "PUT",
      cmPath("restored"),
      JSON.stringify({
        ...JSON.parse(cm("restored", { mode: "fast" })),
        metadata: { name: "restored", resourceVersion: rv1 },
      }),
    );

    // Dry run: the diff, nothing appended.
    const before = await endOffset();
    const dry = await ok(["restore", "configmap/restored", "-n", NS, "--to-revision", rv1, "--dry-run"]);
    expect(dry).toBe(
      `configmap/restored would be restored from revision ${rv1} (dry run, nothing written):\n  ~/data/mode: "fast" → "safe"\n`,
    );
    expect(await endOffset()).toBe(before);

    const out = await ok(["restore", "configmap/restored", "-n", NS, "--to-revision", rv1]);
    expect(out).toMatch(new RegExp(`^configmap/restored restored from revision ${rv1}: resourceVersion \\d+\\n`));
    expect((await api(fed, "GET", cmPath("restored"))).body.data).toEqual({ mode: "safe" });

    // Deleted, then restored: it exists again with that content (a new incarnation).
    expect((await api(fed, "DELETE", cmPath("restored"))).status).toBe(200);
    expect((await api(fed, "GET", cmPath("restored"))).status).toBe(404);
    const again = await ok(["restore", "configmap/restored", "-n", NS, "--to-revision", rv1]);
    expect(again).toMatch(/^configmap\/restored recreated from revision/);
    const back = await api(fed, "GET", cmPath("restored"));
    expect(back.status).toBe(200);
    expect(back.body.data).toEqual({ mode: "safe" });
    expect(back.body.metadata.uid).not.toBe(v1.body.metadata.uid);

    // The restores are audited like any write, history stays append-only.
    const h = JSON.parse(await ok(["history", "configmap/restored", "-n", NS, "-o", "json"]));
    expect(h.revisions.map((r: any) => r.operation)).toEqual(["create", "update", "update", "delete", "create"]);
    expect(h.revisions.every((r: any) => r.user === "admin")).toBe(true);
  });

  it("refuses an unknown revision, a deletion, and a restore raced by a newer write, appending nothing", async () => {
    const v1 = await api(fed, "POST", cmPath(), cm("raced", { n: "1" }));
    const rv1 = v1.body.metadata.resourceVersion as string;
    const v2 = await api(fed, "PATCH", cmPath("raced"), JSON.stringify({ data: { n: "2" } }), {
      contentType: "application/merge-patch+json",
    });
    await refused(["restore", "configmap/raced", "-n", NS, "--to-revision", "999999999"], /has no revision 999999999/);
    await refused(["restore", "configmap/raced", "-n", NS, "--to-revision", "v1"], /is not a resourceVersion/);
    // The caller saw rv1; the object has moved on: 409, as a stale update gets.
    await refused(
      ["restore", "configmap/raced", "-n", NS, "--to-revision", rv1, "--resource-version", rv1],
      /^kubefed: Operation cannot be fulfilled on configmaps "raced": the object has been modified/,
    );
    const before = await endOffset();
    const conflict = await api(
      fed,
      "POST",
      `/federation/restore?resource=configmaps&name=raced&namespace=${NS}&revision=${rv1}&resourceVersion=${rv1}`,
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ kind: "Status", reason: "Conflict" });
    expect(await endOffset()).toBe(before);
    expect((await api(fed, "GET", cmPath("raced"))).body.metadata.resourceVersion).toBe(
      v2.body.metadata.resourceVersion,
    );
  });
});

describe("replay", () => {
  it("prints the ordered changes of a window, as a table and as JSON", async () => {
    const from = await now();
    await api(fed, "POST", cmPath(), cm("replayed", { step: "1" }));
    await api(fed, "PATCH", cmPath("replayed"), JSON.stringify({ data: { step: "2" } }), {
      contentType: "application/merge-patch+json",
    });
    await api(fed, "DELETE", cmPath("replayed"));
    const to = await now();
    await api(fed, "POST", cmPath(), cm("after-window", {}));
    const rows = JSON.parse(await ok(["replay", "--from", from, "--to", to, "-n", NS, "-o", "json"]));
    expect(rows.map((r: any) => `${r.operation} ${r.object.name}`)).toEqual([
      "create replayed",
      "update replayed",
      "delete replayed",
    ]);
    expect(rows[1].changes).toEqual([{ op: "changed", path: "/data/step", from: '"1"', to: '"2"' }]);
    const rvs = rows.map((r: any) => Number(r.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    const table = (await ok(["replay", "--from", from, "--to", to, "-n", NS])).trim().split("\n");
    expect(table).toHaveLength(4);
    expect(table[2]).toContain('~/data/step: "1" → "2"');
    await refused(["replay", "--from", to, "--to", from], /--to .* must be after --from/);
  });
});

describe("snapshots", () => {
  it("an ingest restarted with a snapshot present answers the same lists, and history still reaches back", async () => {
    const snapFed = await startFederation(env(), uniqueName("snap"), { env: { INGEST_SNAPSHOT_INTERVAL: "10" } });
    try {
      const ns = uniqueName("snap");
      const call = (m: string, p: string, b?: string, o?: { contentType?: string }) => api(snapFed, m, p, b, o);
      expect((await call("POST", "/api/v1/namespaces", JSON.stringify({ metadata: { name: ns } }))).status).toBe(201);
      const path = `/api/v1/namespaces/${ns}`;
      for (let i = 0; i < 12; i++)
        expect((await call("POST", `${path}/configmaps`, cm(`c${i}`, { i: String(i) }))).status).toBe(201);
      const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { password: "p" } };
      expect((await call("POST", `${path}/secrets`, JSON.stringify(secret))).status).toBe(201);
      await call("PATCH", `${path}/configmaps/c1`, JSON.stringify({ data: { i: "one" } }), {
        contentType: "application/merge-patch+json",
      });
      await call("DELETE", `${path}/configmaps/c2`);

      // The ingest wrote a snapshot past the first interval (a positive signal: its manifest in the topic).
      const { SnapshotStore } = await import("@kubefed/follower");
      const { snapshotsTopic } = await import("@kubefed/names");
      const { parseKeyring } = await import("@kubefed/events");
      const { readFileSync } = await import("node:fs");
      const store = new SnapshotStore({
        source: kafka,
        topic: snapshotsTopic(snapFed.name),
        objectsTopic: objectsTopic(snapFed.name),
        keyring: parseKeyring(readFileSync(snapFed.keyFile, "utf8")),
      });
      let position = 0n;
      for (let i = 0; i < 100 && position < 10n; i++) {
        position = (await store.latest().catch(() => undefined))?.position ?? 0n;
        if (position < 10n) await new Promise((r) => setTimeout(r, 100));
      }
      expect(position).toBeGreaterThanOrEqual(10n);

      const lists = async () =>
        Promise.all(
          [`${path}/configmaps`, `${path}/secrets`, "/api/v1/namespaces"].map(async (p) => (await call("GET", p)).body),
        );
      const before = await lists();
      await snapFed.restart();
      expect(await lists()).toEqual(before);

      // It started from the snapshot: a watch from before it is told 410 Gone (and relists), as past a window.
      const watch = await call("GET", `${path}/configmaps?watch=true&resourceVersion=1&timeoutSeconds=1`);
      expect(watch.text).toMatch(/"code":410/);
      // History before the snapshot is read in the background; once in, an object's history reaches its create.
      let h = await call("GET", `/federation/history?resource=configmaps&name=c1&namespace=${ns}`);
      for (let i = 0; i < 100 && h.status === 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        h = await call("GET", `/federation/history?resource=configmaps&name=c1&namespace=${ns}`);
      }
      expect(h.status).toBe(200);
      expect(h.body.revisions.map((r: any) => r.operation)).toEqual(["create", "update"]);
      // Point-in-time lists reach before the snapshot too.
      const rv = before[0].metadata.resourceVersion;
      const exact = await call("GET", `${path}/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      expect(exact.body.items).toEqual(before[0].items);
    } finally {
      await snapFed.stop();
    }
  });
});
