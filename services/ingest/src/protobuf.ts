/**
 * Reads Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the JSON object the JSON
 * API would have received. kubectl 1.36's typed clients (`create namespace|configmap|secret|deployment`, ...) send
 * protobuf and do not retry with JSON on 415; the server still answers in JSON, which they accept.
 *
 * Wire format: the magic `k8s\0`, then a `runtime.Unknown` envelope whose typeMeta names the kind and whose raw
 * holds the object's message. Definitions are the snapshotted .proto files in services/ingest/proto/
 * (scripts/snapshot-protobuf.ts), plus json-fields.json for what the .proto files cannot say about JSON.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { toFederationError } from "@kubefed/events";
import { findKind, groupVersion } from "./resources.ts";

const PROTO_DIR = new URL("../proto/", import.meta.url);
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const MEDIA_TYPE = "application/vnd.kubernetes.protobuf";

/** The proto package of each group version whose bodies we read. */
const PACKAGES: Readonly<Record<string, string>> = {
  v1: "k8s.io.api.core.v1",
  "apps/v1": "k8s.io.api.apps.v1",
  "batch/v1": "k8s.io.api.batch.v1",
  "networking.k8s.io/v1": "k8s.io.api.networking.v1",
  "autoscaling/v1": "k8s.io.api.autoscaling.v1",
  "autoscaling/v2": "k8s.io.api.autoscaling.v2",
  "rbac.authorization.k8s.io/v1": "k8s.io.api.rbac.v1",
  "authorization.k8s.io/v1": "k8s.io.api.authorization.v1",
  "authentication.k8s.io/v1": "k8s.io.api.authentication.v1",
};
const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

/** How a field's JSON form differs from "proto name, zero value omitted" (see scripts/snapshot-protobuf.ts). */
interface FieldNote {
  inline?: boolean;
  json?: string;
  keepZero?: boolean;
}

interface Schema {
  root: protobuf.Root;
  notes: Record<string, Record<string, FieldNote>>;
}

let schema: Schema | undefined;

/** Parsing ~16k lines of .proto takes a few hundred ms: only servers that receive protobuf pay for it, once. */
function load(): Schema {
  if (schema) return schema;
  const root = new protobuf.Root();
  // Imports are written as Go import paths ("k8s.io/api/core/v1/generated.proto"); the snapshot keeps that layout.
  root.resolvePath = (_origin, target) => fileURLToPath(new URL(target, PROTO_DIR));
  // A package "k8s.io.api.core.v1" lives in "k8s.io/api/core/v1/generated.proto"; imports bring in the rest.
  const files = [...Object.values(PACKAGES), META].map(
    (p) => `k8s.io/${p.slice("k8s.io.".length).replaceAll(".", "/")}/generated.proto`,
  );
  // keepCase: the proto names are already the JSON names (FieldsV1.Raw aside), so no camel-casing.
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  const notes = JSON.parse(readFileSync(new URL("json-fields.json", PROTO_DIR), "utf8")) as Schema["notes"];
  schema = { root, notes };
  return schema;
}

export function isKubeProtobuf(contentType: string): boolean {
  // Media types are case-insensitive and may carry parameters ("; charset=..." never appears, but is legal).
  return contentType.split(";")[0]!.trim().toLowerCase() === MEDIA_TYPE;
}

/** The message that carries `kind` of `apiVersion`: a served resource, or a body kubectl sends besides objects. */
function messageType(root: protobuf.Root, apiVersion: string, kind: string): protobuf.Type {
  let name: string | undefined;
  // Every group version registers meta/v1's DeleteOptions; typed clients tag it with the resource's group version.
  if (kind === "DeleteOptions" && (apiVersion in PACKAGES || apiVersion === "meta.k8s.io/v1"))
    name = `${META}.DeleteOptions`;
  else if (apiVersion === "autoscaling/v1" && kind === "Scale") name = `${PACKAGES[apiVersion]}.Scale`;
  else {
    const r = findKind(apiVersion, kind);
    const pkg = r && PACKAGES[groupVersion(r)];
    if (pkg) name = `${pkg}.${kind}`;
  }
  const type = name === undefined ? undefined : root.lookup(name);
  if (!(type instanceof protobuf.Type))
    throw new Error(`protobuf bodies of ${apiVersion} ${kind} are not supported; send JSON`);
  return type;
}

export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error(`not a Kubernetes protobuf body: it does not start with the magic "k8s\\0"`);
  }
  const { root, notes } = load();
  let envelope: protobuf.Message & Record<string, unknown>;
  try {
    envelope = root
      .lookupType("k8s.io.apimachinery.pkg.runtime.Unknown")
      .decode(body.subarray(MAGIC.length)) as typeof envelope;
  } catch (e) {
    throw new Error(`malformed Kubernetes protobuf envelope: ${toFederationError(e).message}`);
  }
  const typeMeta = (envelope["typeMeta"] ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? "";
  const kind = typeMeta.kind ?? "";
  if (!apiVersion || !kind) throw new Error("Kubernetes protobuf body without apiVersion or kind");
  const contentEncoding = (envelope["contentEncoding"] as string | undefined) ?? "";
  const contentType = (envelope["contentType"] as string | undefined) ?? "";
  if (contentEncoding !== "")
    throw new Error(`Kubernetes protobuf body with contentEncoding "${contentEncoding}" is not supported`);
  if (contentType !== "" && !isKubeProtobuf(contentType))
    throw new Error(`Kubernetes protobuf body carrying "${contentType}" is not supported`);
  const type = messageType(root, apiVersion, kind);
  let message: protobuf.Message;
  try {
    message = type.decode((envelope["raw"] as Uint8Array | undefined) ?? new Uint8Array());
  } catch (e) {
    throw new Error(`malformed ${apiVersion} ${kind} protobuf body: ${toFederationError(e).message}`);
  }
  return { apiVersion, kind, ...(toJson(type, message, notes) as Record<string, unknown>) };
}

type Notes = Schema["notes"];

/** A message's JSON value, or undefined where JSON would say null (zero Time, empty RawExtension). */
function toJson(type: protobuf.Type, msg: protobuf.Message, notes: Notes): unknown {
  const m = msg as protobuf.Message & Record<string, unknown>;
  const has = (f: string) => Object.hasOwn(m, f);
  // Types with hand-written JSON marshalling in Go: their JSON is not their fields.
  switch (type.fullName) {
    case `.${META}.Time`:
      // Go keeps only seconds of a Time (JSON has no fractions), and writes a zero Time as an empty message.
      return has("seconds") || has("nanos") ? rfc3339(toBigInt(m["seconds"] ?? 0)) : undefined;
    case `.${META}.MicroTime`:
      return has("seconds") || has("nanos")
        ? rfc3339(toBigInt(m["seconds"] ?? 0), Math.floor(Number(m["nanos"] ?? 0) / 1000))
        : undefined;
    case `.${META}.Duration`:
      return goDuration(toBigInt(m["duration"] ?? 0));
    case `.${META}.FieldsV1`:
      return embeddedJson(m["Raw"]);
    case `.${META}.Verbs`:
      return m["items"] ?? [];
    case ".k8s.io.apimachinery.pkg.runtime.RawExtension":
      return embeddedJson(m["raw"]);
    case ".k8s.io.apimachinery.pkg.util.intstr.IntOrString":
      // type is an int64 on the wire: 0 = Int, 1 = String.
      return toBigInt(m["type"] ?? 0) === 1n ? (m["strVal"] ?? "") : (m["intVal"] ?? 0);
    case ".k8s.io.apimachinery.pkg.api.resource.Quantity":
    case ".k8s.io.apimachinery.pkg.api.resource.QuantityValue":
      return m["string"] ?? "0";
  }
  const typeNotes = notes[type.fullName.slice(1)] ?? {};
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!has(field.name)) continue;
    const note = typeNotes[field.name] ?? {};
    const v = m[field.name];
    let json: unknown;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      // omitempty on maps; and an empty map is indistinguishable from none on the wire.
      if (entries.length === 0) continue;
      json = Object.fromEntries(entries.map(([k, x]) => [k, value(field, x, notes)]));
    } else if (field.repeated) {
      const items = v as unknown[];
      if (items.length === 0) continue;
      json = items.map((x) => value(field, x, notes));
    } else {
      // Go writes every non-pointer scalar; JSON drops the zero ones unless the field is a pointer or not omitempty.
      if (!(field.resolvedType instanceof protobuf.Type) && isZero(v) && !note.keepZero) continue;
      json = value(field, v, notes);
    }
    if (json === undefined) continue;
    if (note.inline) Object.assign(out, json);
    else out[note.json ?? field.name] = json;
  }
  return out;
}

/** One value of a field (an element, for repeated fields and maps). */
function value(field: protobuf.Field, v: unknown, notes: Notes): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toJson(field.resolvedType, v as protobuf.Message, notes);
  switch (field.type) {
    case "bytes":
      return Buffer.from(v as Uint8Array).toString("base64");
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      // JSON numbers are doubles on both sides; Kubernetes' int64 fields stay well below 2^53.
      return Number(toBigInt(v));
    default:
      return v;
  }
}

function isZero(v: unknown): boolean {
  if (v === "" || v === 0 || v === false || v === null || v === undefined) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  return typeof v === "object" && toBigInt(v) === 0n;
}

/** int64 arrives as a number, or as a Long when the `long` package is installed (protobufjs depends on it). */
function toBigInt(v: unknown): bigint {
  if (typeof v === "number") return BigInt(v);
  if (typeof v === "bigint") return v;
  if (typeof v === "object" && v !== null && "low" in v && "high" in v) {
    const { low, high, unsigned } = v as { low: number; high: number; unsigned?: boolean };
    const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return unsigned ? bits : BigInt.asIntN(64, bits);
  }
  throw new Error(`not an integer: ${String(v)}`);
}

/** RawExtension and FieldsV1 hold JSON (or, from protobuf clients, possibly a nested protobuf object). */
function embeddedJson(raw: unknown): unknown {
  const bytes = Buffer.from((raw as Uint8Array | undefined) ?? new Uint8Array());
  if (bytes.length === 0) return undefined;
  if (bytes.subarray(0, MAGIC.length).equals(MAGIC)) return decodeKubeProtobuf(bytes);
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new Error("an embedded object (RawExtension) is neither JSON nor Kubernetes protobuf");
  }
}

/** Go's RFC 3339 forms in UTC: metav1.Time has whole seconds, MicroTime always 6 fractional digits. */
function rfc3339(seconds: bigint, micros?: number): string {
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return micros === undefined ? `${base}Z` : `${base}.${String(micros).padStart(6, "0")}Z`;
}

/** time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". metav1.Duration's JSON is exactly that. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  let u = ns < 0n ? -ns : ns;
  let s: string;
  if (u < 1_000_000_000n) {
    const [unit, div] = u < 1_000n ? ["ns", 1n] : u < 1_000_000n ? ["µs", 1_000n] : ["ms", 1_000_000n];
    s = fraction(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const min = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    s = `${fraction(u, 1_000_000_000n)}s`;
    if (h > 0n || min > 0n) s = `${min}m${s}`;
    if (h > 0n) s = `${h}h${s}`;
  }
  return ns < 0n ? `-${s}` : s;
}

/** v/div with the fraction's trailing zeros (and a bare ".") dropped, as Go's fmtFrac does. */
function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return `${whole}`;
  const digits = rest
    .toString()
    .padStart(div.toString().length - 1, "0")
    .replace(/0+$/, "");
  return `${whole}.${digits}`;
}
