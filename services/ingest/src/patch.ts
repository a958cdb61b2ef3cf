/**
 * The three patch types of the Kubernetes API: JSON patch (RFC 6902, by library), JSON merge patch
 * (RFC 7386) and strategic merge patch, whose lists of objects merge by a key instead of being replaced.
 */
import jsonPatch, { type Operation } from "fast-json-patch";
import { toFederationError } from "@kubefed/events";
import { ApiError, Reason } from "./status.ts";

type Json = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const PatchType = {
  Json: "application/json-patch+json",
  Merge: "application/merge-patch+json",
  Strategic: "application/strategic-merge-patch+json",
  Apply: "application/apply-patch+yaml",
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

export function applyJsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw new ApiError(Reason.BadRequest, "the JSON patch must be an array of operations");
  try {
    return jsonPatch.applyPatch(structuredClone(target), patch as Operation[], true, false).newDocument;
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    // A failed `test` op or a missing path is the caller's mistake, not the server's.
    throw new ApiError(
      name === "TEST_OPERATION_FAILED" ? Reason.Conflict : Reason.Invalid,
      `the JSON patch could not be applied: ${toFederationError(e).message.split("\n")[0]}`,
    );
  }
}

/** RFC 7386: objects merge recursively, null deletes, anything else (lists too) replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/**
 * Merge keys of the lists Kubernetes merges by key (x-kubernetes-patch-merge-key in its schemas), by field
 * name. Field names decide alone here because, within the federated types, each name has one merge key.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  tolerations: "key",
  conditions: "type",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
};

/** Container ports merge by containerPort; Service ports by port. */
function mergeKeyFor(field: string, parent: string | undefined): string | undefined {
  if (field === "ports") return parent === "spec" ? "port" : "containerPort";
  return MERGE_KEYS[field];
}

/**
 * Strategic merge patch: like a merge patch, but lists with a merge key merge element by element, and the
 * directives `$patch: replace|delete` and `$deleteFromPrimitiveList/<field>` are honoured.
 * `$setElementOrder` and `$retainKeys` are accepted and only affect order/retention loosely (not enforced).
 */
export function applyStrategicMergePatch(target: Json, patch: Json, field?: string, parentField?: string): Json {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === "replace") {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === "delete") return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$setElementOrder/") || k === "$retainKeys" || k === "$patch") continue;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const f = k.slice("$deleteFromPrimitiveList/".length);
      const cur = out[f];
      if (Array.isArray(cur) && Array.isArray(v)) out[f] = cur.filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const key = mergeKeyFor(k, field);
    if (Array.isArray(v) && key !== undefined && Array.isArray(out[k])) {
      out[k] = mergeList(out[k] as Json[], v, key, k);
    } else if (isObj(v)) {
      const merged = applyStrategicMergePatch(out[k], v, k, field);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = structuredClone(v);
    }
  }
  void parentField;
  return out;
}

function mergeList(current: Json[], patch: Json[], key: string, field: string): Json[] {
  const replace = patch.find((p) => isObj(p) && p.$patch === "replace" && Object.keys(p).length === 1);
  if (replace) return patch.filter((p) => p !== replace).map((p) => structuredClone(p));
  const out = current.map((c) => structuredClone(c));
  for (const p of patch) {
    if (!isObj(p) || p[key] === undefined) {
      out.push(structuredClone(p));
      continue;
    }
    const i = out.findIndex((c) => isObj(c) && c[key] === p[key]);
    if (p.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = applyStrategicMergePatch(out[i], p, field);
    } else {
      const { $patch: _, ...rest } = p;
      out.push(structuredClone(rest));
    }
  }
  return out;
}

export function applyPatch(type: string, target: Json, patch: Json): Json {
  switch (type) {
    case PatchType.Json:
      return applyJsonPatch(target, patch);
    case PatchType.Merge:
      return applyMergePatch(target, patch);
    case PatchType.Strategic:
      return applyStrategicMergePatch(target, patch);
    default:
      throw new ApiError(
        Reason.UnsupportedMediaType,
        `the body of the request was in an unknown format - accepted media types include: ${Object.values(PatchType).join(", ")}`,
      );
  }
}
