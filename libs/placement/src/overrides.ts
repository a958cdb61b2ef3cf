// Per-cluster overrides: the annotation `federation.kubernetes.io/overrides` holds, by cluster name, a JSON patch
// (RFC 6902) applied to that cluster's copy after placement and replica division, e.g.
// {"east": [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.27"}]}.
import jsonPatch, { type Operation } from "fast-json-patch";
import { ErrorCode, FederationError, toFederationError, type JsonObject, type KubeObject } from "@kubefed/events";

export const OVERRIDES_ANNOTATION = "federation.kubernetes.io/overrides";

export type Overrides = Readonly<Record<string, readonly Operation[]>>;

const OPS = ["add", "remove", "replace", "move", "copy", "test"];
/** What identifies the object in the member: a patch may not change it. */
const FIXED = ["/apiVersion", "/kind", "/metadata/name", "/metadata/namespace"];
const SHAPE = 'must be a JSON object {"<cluster>": [JSON patch operations]}';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function annotationOf(object: KubeObject): string | undefined {
  const a = isObj(object.metadata) && isObj(object.metadata.annotations) ? object.metadata.annotations : {};
  const v = a[OVERRIDES_ANNOTATION];
  return typeof v === "string" ? v : undefined;
}

function parse(value: string): { problems: string[]; overrides: Record<string, Operation[]> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return { problems: [`${SHAPE}: ${toFederationError(e).message}`], overrides: {} };
  }
  if (!isObj(parsed)) return { problems: [SHAPE], overrides: {} };
  const problems: string[] = [];
  const overrides: Record<string, Operation[]> = {};
  for (const [cluster, ops] of Object.entries(parsed)) {
    if (!Array.isArray(ops)) {
      problems.push(`${cluster}: must be a list of JSON patch operations`);
      continue;
    }
    ops.forEach((op: unknown, i) => {
      const at = `${cluster}[${i}]`;
      if (!isObj(op) || typeof op.op !== "string" || !OPS.includes(op.op) || typeof op.path !== "string")
        return void problems.push(`${at}: must be {"op": ${OPS.join("|")}, "path": "/...", ...}`);
      for (const p of [op.path, op.from])
        if (
          typeof p === "string" &&
          FIXED.some((f) => p === f || p.startsWith(`${f}/`) || f.startsWith(`${p}/`) || p === "")
        )
          problems.push(`${at}: ${p === "" ? "the whole object" : p} cannot be overridden`);
    });
    overrides[cluster] = ops as Operation[];
  }
  return { problems, overrides };
}

/**
 * Problems of an object's overrides, checked at write time: the shape, a cluster the federation does not have,
 * and a patch that does not apply to the object. [] when valid or absent.
 */
export function overridesProblems(object: KubeObject, clusters: readonly string[]): string[] {
  const value = annotationOf(object);
  if (value === undefined) return [];
  const { problems, overrides } = parse(value);
  for (const [cluster, ops] of Object.entries(overrides)) {
    if (!clusters.includes(cluster)) problems.push(`${cluster}: no such cluster in the federation`);
    try {
      jsonPatch.applyPatch(structuredClone(object), ops, true, true);
    } catch (e) {
      problems.push(`${cluster}: the patch does not apply: ${toFederationError(e).message.split("\n")[0]}`);
    }
  }
  return problems;
}

/**
 * The member copy with the cluster's override applied (the annotation itself is not pushed to members). An
 * override that stopped applying (the object changed under it) is a terminal error: admission refuses new ones.
 */
export function withOverrides(federated: KubeObject, member: KubeObject, cluster: string): KubeObject {
  const value = annotationOf(federated);
  const meta = isObj(member.metadata) ? member.metadata : {};
  const annotations = isObj(meta.annotations) ? { ...meta.annotations } : undefined;
  if (annotations && OVERRIDES_ANNOTATION in annotations) {
    delete annotations[OVERRIDES_ANNOTATION];
    const m = { ...meta } as JsonObject;
    if (Object.keys(annotations).length > 0) m.annotations = annotations as JsonObject;
    else delete m.annotations;
    member = { ...member, metadata: m };
  }
  if (value === undefined) return member;
  const { problems, overrides } = parse(value);
  const ops = overrides[cluster];
  if (problems.length > 0)
    throw new FederationError(ErrorCode.Invalid, `the overrides annotation is malformed: ${problems.join("; ")}`);
  if (!ops) return member;
  try {
    return jsonPatch.applyPatch(structuredClone(member), ops as Operation[], true, false).newDocument as KubeObject;
  } catch (e) {
    throw new FederationError(
      ErrorCode.Invalid,
      `the override for cluster ${cluster} does not apply: ${toFederationError(e).message.split("\n")[0]}`,
    );
  }
}
