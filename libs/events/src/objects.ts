// Typed reads of a Kubernetes object in its JSON form: one accessor for its metadata, so no file guesses at the shape.
import type { JsonObject } from "./types.ts";

/**
 * The metadata fields the project reads, with the types Kubernetes gives them. A stored object has them (the fold
 * writes them); a request body may not until validation at the edge has refused it, so code before validation
 * compares rather than trusts (e.g. `meta.name === undefined || meta.name === ""`).
 */
export type ObjectMeta = JsonObject & {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
};

const EMPTY: ObjectMeta = Object.freeze({}) as ObjectMeta;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The object's `metadata`, or an empty (frozen) one when it has none or it is not an object. Read-only: copy to change. */
export const metaOf = (o: { readonly metadata?: unknown }): ObjectMeta =>
  isObject(o.metadata) ? (o.metadata as ObjectMeta) : EMPTY;
