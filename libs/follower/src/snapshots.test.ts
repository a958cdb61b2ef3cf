// Folding from offset 0 and from a snapshot give identical states, on a recorded log with every event type (and a
// record that can never be decoded); old formats load; a missing or corrupt snapshot falls back to the log.
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeEvent, Keyring, type FederationEvent } from "@kubefed/events";
import { partsOf, type FederationState } from "@kubefed/state";
import type { OutgoingMessage } from "@kubefed/kafka";
import recorded from "../../state/src/fixtures/shop.log.json" with { type: "json" };
import { followObjects } from "./objects.ts";
import { decodeSnapshot, encodeSnapshot, SnapshotStore, type SnapshotManifest } from "./snapshots.ts";
import { MemoryLog } from "./testing.ts";

const keyring = Keyring.fromKeys("k1", { k1: new Uint8Array(32).fill(7) });
const events = (recorded.events as unknown as { event: FederationEvent }[]).map((e) => e.event);

/** The recorded log with an undecodable record in the middle, as every replica skips it. */
function recordedLog(): MemoryLog {
  const log = new MemoryLog();
  events.forEach((e, i) => {
    if (i === 7) log.append("not an event");
    log.append(encodeEvent(e, { keyring }));
  });
  return log;
}

function prefix(log: MemoryLog, n: number): MemoryLog {
  const p = new MemoryLog();
  p.records.push(...log.records.slice(0, n));
  return p;
}

async function foldAll(log: MemoryLog, snapshot?: Parameters<typeof followObjects>[0]["snapshot"]) {
  const f = followObjects({
    source: log,
    topic: "t",
    keyring,
    onSkipped: () => undefined,
    ...(snapshot ? { snapshot } : {}),
  });
  await f.start();
  await f.stop();
  return f;
}

/** Everything a query can see, as plain data. */
const plain = (s: FederationState) => JSON.parse(JSON.stringify(partsOf(s)));

/** A snapshot store over an in-memory topic, with the appender the ingest would use. */
function memoryStore() {
  const topic = new MemoryLog();
  const store = new SnapshotStore({ source: topic, topic: "fed.snapshots", objectsTopic: "fed.objects", keyring });
  const appender = {
    append: async (_t: string, messages: OutgoingMessage[]) => {
      for (const m of messages)
        topic.append({ key: String(m.key), value: m.tombstone ? Buffer.alloc(0) : m.value, headers: {} });
      return [];
    },
  };
  return { topic, store, appender };
}

describe("snapshots", () => {
  it("every cut of the recorded log: snapshot + tail folds to the state of a fold from offset 0", async () => {
    const log = recordedLog();
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set(["ObjectCreated", "ObjectUpdated", "ObjectStatusUpdated", "ObjectDeleted"]),
    );
    const full = await foldAll(log);
    for (let x = 0; x <= log.records.length; x++) {
      const head = await foldAll(prefix(log, x));
      const { store, appender } = memoryStore();
      await store.write(appender, { position: BigInt(x), state: head.state, extras: { at: x } });
      let loaded: unknown;
      const fallbacks: string[] = [];
      const f = await foldAll(
        log,
        store.loader(
          (r) => fallbacks.push(r),
          (s) => (loaded = s.extras),
        ),
      );
      expect(fallbacks).toEqual([]);
      expect(loaded).toEqual({ at: x });
      expect(f.startedAt).toBe(BigInt(x));
      expect(plain(f.state)).toEqual(plain(full.state));
    }
  });

  it("keeps one snapshot: a newer one's write drops the older one's chunks", async () => {
    const log = recordedLog();
    const { topic, store, appender } = memoryStore();
    await store.write(appender, { position: 5n, state: (await foldAll(prefix(log, 5))).state, extras: {} });
    await store.write(appender, { position: 9n, state: (await foldAll(prefix(log, 9))).state, extras: {} });
    const tombstoned = topic.records.filter((r) => r.value.length === 0).map((r) => r.key!.toString());
    expect(tombstoned).toEqual(["objects/5/0"]);
    expect((await store.latest())!.position).toBe(9n);
  });

  it("loads format 1 (uncompressed JSON), the first format written", async () => {
    const log = recordedLog();
    const head = await foldAll(prefix(log, 10));
    const { manifest, body } = encodeSnapshot(
      { position: 10n, state: head.state, extras: {} },
      { topic: "fed.objects", keyring: undefined },
    );
    const v1Body = gunzipSync(body);
    const { createHash } = await import("node:crypto");
    const v1: SnapshotManifest = {
      ...manifest,
      format: 1,
      bytes: v1Body.length,
      sha256: createHash("sha256").update(v1Body).digest("hex"),
    };
    const snap = decodeSnapshot(v1, v1Body, { topic: "fed.objects", keyring: undefined });
    expect(plain(snap.state)).toEqual(plain(head.state));
  });

  it("a missing or corrupt snapshot falls back to the log and says why", async () => {
    const log = recordedLog();
    const full = await foldAll(log);
    const empty = memoryStore();
    const reasons: string[] = [];
    const fromNothing = await foldAll(
      log,
      empty.store.loader((r) => reasons.push(r)),
    );
    expect(plain(fromNothing.state)).toEqual(plain(full.state));

    const corrupt = memoryStore();
    await corrupt.store.write(corrupt.appender, {
      position: 4n,
      state: (await foldAll(prefix(log, 4))).state,
      extras: {},
    });
    const chunk = corrupt.topic.records.find((r) => r.key?.toString() === "objects/4/0")!;
    chunk.value[chunk.value.length - 1]! ^= 0xff;
    const fromCorrupt = await foldAll(
      log,
      corrupt.store.loader((r) => reasons.push(r)),
    );
    expect(fromCorrupt.startedAt).toBe(0n);
    expect(plain(fromCorrupt.state)).toEqual(plain(full.state));
    expect(reasons).toEqual([
      "no snapshot stored",
      "the snapshot could not be read (snapshot at offset 4 does not match its checksum)",
    ]);
  });

  it("never writes Secrets in plaintext", async () => {
    const log = recordedLog();
    // Offset 13 is past the Secret's create (12, plus the undecodable record) and before its deletion.
    const state = (await foldAll(prefix(log, 14))).state;
    expect(state.kinds["/Secret"]).toBeDefined();
    expect(() => encodeSnapshot({ position: 1n, state, extras: {} }, { topic: "t", keyring: undefined })).toThrow(
      "refusing to write a snapshot holding Secrets without a keyring",
    );
    const { body } = encodeSnapshot({ position: 1n, state, extras: {} }, { topic: "t", keyring });
    expect(() => gunzipSync(body)).toThrow();
  });
});
