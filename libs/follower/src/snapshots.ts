/**
 * Snapshots of the folded objects state, kept in the compacted topic `<fed>.snapshots`, so that a reader loads the
 * state at offset X and folds only the tail (Follower's `snapshot` option).
 *
 * A snapshot is chunks (`objects/<X>/<i>`, each under Kafka's default 1 MiB message limit) and then its manifest
 * (key `objects`: format, position, chunk count, SHA-256 of the body, encryption): the manifest is written last,
 * so a reader never takes a snapshot whose chunks are not all there, and the checksum catches anything else. Once
 * a newer manifest is acknowledged the older snapshot's chunks get tombstones, so compaction keeps one snapshot.
 *
 * Formats: 1, the first, is the JSON body as is; 2 (written now) is the same JSON gzipped. Both load. The body is
 * plain data (`partsOf`), never the in-memory layout, so the state's layout can change under old snapshots. With a
 * keyring the body is encrypted (AES-256-GCM, primary key, bound to the topic and position): no plaintext Secret
 * reaches the broker; without one, a state holding Secrets is not written at all.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { decryptPayload, encryptPayload, ErrorCode, FederationError, type Keyring } from "@kubefed/events";
import type { Appender, OutgoingMessage, TailSource } from "@kubefed/kafka";
import { partsOf, stateOf, type FederationState, type StateParts } from "@kubefed/state";
import { foldToEnd, type Snapshot, type SnapshotLoader } from "./follower.ts";

export const SNAPSHOT_FORMAT = 2;
const CHUNK_BYTES = 512 * 1024;
const MANIFEST_KEY = "objects";
const chunkKey = (position: bigint, i: number) => `${MANIFEST_KEY}/${position}/${i}`;

export interface SnapshotManifest {
  format: number;
  position: string;
  chunks: number;
  bytes: number;
  sha256: string;
  encryption: { keyId: string; iv: string; tag: string } | null;
  /** When and by whom it was written (for operators; readers do not use it). */
  writtenAt?: string;
  writer?: string;
}

/** An objects snapshot: the state before `position`, and what a reader keeps beside it (`extras`, plain data). */
export interface ObjectsSnapshot extends Snapshot<FederationState> {
  readonly extras: Readonly<Record<string, unknown>>;
}

interface Body {
  state: StateParts;
  extras?: Record<string, unknown>;
}

const aadOf = (topic: string, position: string) => Buffer.from(`kubefed-snapshot/${topic}/${position}`);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const invalid = (message: string) => new FederationError(ErrorCode.PoisonEvent, message);

/** Encodes a snapshot (format 2) as its manifest and body. */
export function encodeSnapshot(
  snap: ObjectsSnapshot,
  o: { topic: string; keyring: Keyring | undefined; writtenAt?: string; writer?: string },
): { manifest: SnapshotManifest; body: Buffer } {
  if (!o.keyring && snap.state.kinds["/Secret"])
    throw new FederationError(ErrorCode.KeyNotFound, "refusing to write a snapshot holding Secrets without a keyring");
  const json = JSON.stringify({ state: partsOf(snap.state), extras: snap.extras } satisfies Body);
  let body: Buffer = gzipSync(Buffer.from(json, "utf8"), { level: 1 });
  let encryption: SnapshotManifest["encryption"] = null;
  if (o.keyring) {
    const keyId = o.keyring.primaryKeyId;
    const enc = encryptPayload(body, keyId, o.keyring.key(keyId), aadOf(o.topic, String(snap.position)));
    body = enc.ciphertext;
    encryption = { keyId, iv: enc.iv.toString("base64"), tag: enc.tag.toString("base64") };
  }
  return {
    manifest: {
      format: SNAPSHOT_FORMAT,
      position: String(snap.position),
      chunks: Math.max(1, Math.ceil(body.length / CHUNK_BYTES)),
      bytes: body.length,
      sha256: sha256(body),
      encryption,
      ...(o.writtenAt ? { writtenAt: o.writtenAt } : {}),
      ...(o.writer ? { writer: o.writer } : {}),
    },
    body,
  };
}

/** Decodes a snapshot of any format this reader knows; throws what is corrupt, unknown or unreadable. */
export function decodeSnapshot(
  manifest: SnapshotManifest,
  body: Buffer,
  o: { topic: string; keyring: Keyring | undefined },
): ObjectsSnapshot {
  if (manifest.format !== 1 && manifest.format !== 2)
    throw invalid(`snapshot format ${manifest.format} is newer than this reader (knows 1 and 2)`);
  if (!/^\d+$/.test(manifest.position)) throw invalid(`snapshot position ${manifest.position} is not an offset`);
  if (body.length !== manifest.bytes || sha256(body) !== manifest.sha256)
    throw invalid(`snapshot at offset ${manifest.position} does not match its checksum`);
  let plain = body;
  if (manifest.encryption) {
    if (!o.keyring)
      throw new FederationError(ErrorCode.KeyNotFound, "the snapshot is encrypted and no keyring is configured");
    const e = manifest.encryption;
    plain = decryptPayload(
      { keyId: e.keyId, iv: Buffer.from(e.iv, "base64"), tag: Buffer.from(e.tag, "base64"), ciphertext: body },
      o.keyring.key(e.keyId),
      aadOf(o.topic, manifest.position),
    );
  }
  const json = manifest.format === 1 ? plain : gunzipSync(plain);
  const parsed = JSON.parse(json.toString("utf8")) as Body;
  const position = BigInt(manifest.position);
  const state = stateOf(parsed.state);
  if (state.lastOffset !== null && BigInt(state.lastOffset) >= position)
    throw invalid(`snapshot at offset ${position} holds a later offset ${state.lastOffset}`);
  return { position, state, extras: parsed.extras ?? {} };
}

/** The messages that store a snapshot: its chunks, then its manifest. */
export function snapshotMessages(manifest: SnapshotManifest, body: Buffer): OutgoingMessage[] {
  const position = BigInt(manifest.position);
  const chunks: OutgoingMessage[] = [];
  for (let i = 0; i < manifest.chunks; i++)
    chunks.push({ key: chunkKey(position, i), value: body.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES) });
  return [...chunks, { key: MANIFEST_KEY, value: Buffer.from(JSON.stringify(manifest)) }];
}

/** The snapshot topic: read the latest snapshot, write a newer one. */
export class SnapshotStore {
  /** The manifest this process last read or wrote: its chunks get tombstones once a newer one is written. */
  private previous: SnapshotManifest | undefined;

  constructor(
    private readonly o: {
      source: TailSource;
      /** The topic of the snapshots (`snapshotsTopic`). */
      topic: string;
      /** The objects topic the snapshots are of: part of what the encryption binds them to. */
      objectsTopic: string;
      keyring: Keyring | undefined;
    },
  ) {}

  /** The latest stored snapshot, or undefined when there is none; throws when it is corrupt or unreadable. */
  async latest(): Promise<ObjectsSnapshot | undefined> {
    const latest = await foldToEnd({
      source: this.o.source,
      topic: this.o.topic,
      initial: new Map<string, Buffer>(),
      decode: (r) => r,
      // What compaction keeps: the last value of each key; an empty value is a tombstone.
      fold: (kept, batch) => {
        for (const { event: r } of batch) {
          const key = r.key?.toString("utf8") ?? "";
          if (r.value.length === 0) kept.delete(key);
          else kept.set(key, r.value);
        }
        return { state: kept, changes: undefined };
      },
      onSkipped: () => undefined,
    });
    const raw = latest.get(MANIFEST_KEY);
    if (!raw) return undefined;
    const manifest = JSON.parse(raw.toString("utf8")) as SnapshotManifest;
    const position = BigInt(manifest.position);
    const chunks: Buffer[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const c = latest.get(chunkKey(position, i));
      if (!c) throw invalid(`chunk ${i} of the snapshot at offset ${position} is missing`);
      chunks.push(c);
    }
    const snap = decodeSnapshot(manifest, Buffer.concat(chunks), {
      topic: this.o.objectsTopic,
      keyring: this.o.keyring,
    });
    this.previous = manifest;
    return snap;
  }

  /** Stores a snapshot, then drops the previous one's chunks. Resolves with its manifest once the broker has it. */
  async write(
    appender: Pick<Appender, "append">,
    snap: ObjectsSnapshot,
    meta: { writtenAt?: string; writer?: string } = {},
  ): Promise<SnapshotManifest> {
    const { manifest, body } = encodeSnapshot(snap, { topic: this.o.objectsTopic, keyring: this.o.keyring, ...meta });
    await appender.append(this.o.topic, snapshotMessages(manifest, body));
    const old = this.previous;
    this.previous = manifest;
    if (old && old.position !== manifest.position) {
      const pos = BigInt(old.position);
      await appender.append(
        this.o.topic,
        Array.from({ length: old.chunks }, (_, i) => ({
          key: chunkKey(pos, i),
          value: Buffer.alloc(0),
          tombstone: true,
        })),
      );
    }
    return manifest;
  }

  /** The loader a follower of the objects log starts from; `onLoaded` gets the snapshot's extras. */
  loader(
    onFallback: (reason: string, err?: unknown) => void,
    onLoaded?: (snap: ObjectsSnapshot) => void,
  ): SnapshotLoader<FederationState> {
    return {
      load: async () => {
        const snap = await this.latest();
        if (snap) onLoaded?.(snap);
        return snap;
      },
      onFallback,
    };
  }
}
