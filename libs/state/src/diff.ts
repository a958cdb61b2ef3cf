// A compact structural diff of two versions of an object, for the history feature: which JSON paths were added,
// removed or changed. Paths are JSON Pointers (RFC 6901), so keys containing '/' (label keys) stay unambiguous.
// Values are deliberately not included: history of a Secret must not print its data.
import type { JsonValue } from "@kubefed/events";
import { isJsonObject } from "./json.ts";

export const DiffOp = { Added: "added", Removed: "removed", Changed: "changed" } as const;
export type DiffOp = (typeof DiffOp)[keyof typeof DiffOp];

export interface DiffEntry {
  readonly op: DiffOp;
  /** JSON Pointer; "" is the whole object. */
  readonly path: string;
}

export interface DiffOptions {
  /** JSON Pointers whose subtrees are not compared (e.g. VOLATILE_METADATA_PATHS). */
  readonly ignore?: readonly string[];
}

/** Fields every write changes; a history view usually hides them. */
export const VOLATILE_METADATA_PATHS: readonly string[] = ["/metadata/resourceVersion", "/metadata/managedFields"];

const escape = (segment: string): string => segment.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Differences from `before` to `after`, in a stable order (object keys sorted, array indexes ascending). A subtree
 * that appears or disappears as a whole is one entry; arrays are compared by index.
 */
export function diffObjects(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  options: DiffOptions = {},
): DiffEntry[] {
  const ignore = options.ignore ?? [];
  const ignored = (path: string): boolean => ignore.some((p) => path === p || path.startsWith(`${p}/`));
  const out: DiffEntry[] = [];

  const walk = (a: JsonValue | undefined, b: JsonValue | undefined, path: string): void => {
    if (ignored(path)) return;
    if (a === undefined && b === undefined) return;
    if (a === undefined) return void out.push({ op: DiffOp.Added, path });
    if (b === undefined) return void out.push({ op: DiffOp.Removed, path });
    if (isJsonObject(a) && isJsonObject(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const k of keys) walk(a[k], b[k], `${path}/${escape(k)}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}/${i}`);
      return;
    }
    if (a !== b) out.push({ op: DiffOp.Changed, path });
  };

  walk(before, after, "");
  return out;
}
