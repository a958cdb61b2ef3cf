/** Label and field selectors of list and watch requests, parsed once and matched against objects. */
import { ApiError, Reason } from "./status.ts";

export type Matcher = (obj: Record<string, unknown>) => boolean;

interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

export function parseLabelSelector(s: string | null): Requirement[] {
  if (!s) return [];
  return splitTop(s).map((term) => {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      return {
        key: m[1]!,
        op: m[2] as "in" | "notin",
        values: m[3]!
          .split(",")
          .map((v) => v.trim())
          .filter(Boolean),
      };
    }
    if ((m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term))) {
      return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", values: [m[3]!] };
    }
    if ((m = /^!\s*([^\s!=]+)$/.exec(term))) return { key: m[1]!, op: "!exists", values: [] };
    if ((m = /^([^\s!=()]+)$/.exec(term))) return { key: m[1]!, op: "exists", values: [] };
    throw new ApiError(Reason.BadRequest, `unable to parse requirement: ${JSON.stringify(term)}`);
  });
}

function matches(reqs: Requirement[], get: (key: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = get(r.key);
    switch (r.op) {
      case "=":
        return v === r.values[0];
      case "!=":
        return v !== r.values[0];
      case "in":
        return v !== undefined && r.values.includes(v);
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return v !== undefined;
      case "!exists":
        return v === undefined;
      default: {
        const never: never = r.op;
        return never;
      }
    }
  });
}

/** Field selectors every kind supports. */
const COMMON_FIELDS: readonly string[] = ["metadata.name", "metadata.namespace"];
/** Kubernetes' extra field labels per kind (those of core/v1 Events, which `kubectl describe` selects on). */
const KIND_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Event: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
};
/** Field labels that are not the JSON path of their field. */
const FIELD_PATHS: Readonly<Record<string, string>> = { source: "source.component" };

/** A field's value as a string, "" when absent (as Kubernetes' field sets have it). */
function fieldValue(obj: Record<string, unknown>, label: string): string {
  let v: unknown = obj;
  for (const part of (FIELD_PATHS[label] ?? label).split("."))
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v === undefined || v === null ? "" : String(v);
}

/** Matches label and field selectors; `kind` enables that kind's own field labels. */
export function selectorMatcher(labelSelector: string | null, fieldSelector: string | null, kind?: string): Matcher {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseLabelSelector(fieldSelector);
  const supported = new Set([...COMMON_FIELDS, ...(kind !== undefined ? (KIND_FIELDS[kind] ?? []) : [])]);
  for (const f of fields) {
    if (!supported.has(f.key) || (f.op !== "=" && f.op !== "!=")) {
      throw new ApiError(Reason.BadRequest, `field label not supported: ${f.key}`);
    }
  }
  return (obj) => {
    const meta = (obj.metadata ?? {}) as { labels?: Record<string, string>; name?: string };
    return (
      matches(labels, (k) => meta.labels?.[k]) &&
      matches(fields, (k) => (k === "metadata.name" ? meta.name : fieldValue(obj, k)))
    );
  };
}
