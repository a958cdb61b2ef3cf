/**
 * Validates an object against the real Kubernetes schema of its kind: the OpenAPI v3 component schemas
 * snapshotted from kube-apiserver (see openapi.ts), compiled with ajv. It reports what the real server's
 * decoding and required-field checks report — wrong types, missing required fields, unsupported enum values,
 * malformed int32/base64/date-time — plus unknown fields, which the server turns into a strict decoding
 * error, a warning or nothing according to `fieldValidation`.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { apiVersionOf } from "@kubefed/names";
import { v3Document, v3Keys } from "./openapi.ts";

export const CAUSE_REASONS = {
  required: "FieldValueRequired",
  invalid: "FieldValueInvalid",
  typeInvalid: "FieldValueTypeInvalid",
  notSupported: "FieldValueNotSupported",
  unknown: "FieldValueUnknown",
} as const;
export type CauseReason = (typeof CAUSE_REASONS)[keyof typeof CAUSE_REASONS];

/** One problem with an object, shaped as a Kubernetes Status cause. */
export interface Cause {
  reason: CauseReason;
  /** Kubernetes-style path: `spec.replicas`, `spec.template.spec.containers[0].image`, `data[key]`. */
  field: string;
  message: string;
}

type Json = any; // schemas are walked generically
type Schemas = Record<string, Json>;

/** Formats checked; any other format in a schema is ignored, as the real server ignores it too. */
const FORMATS = new Set(["int32", "int64", "float", "double", "byte", "date-time"]);
const INT32 = { min: -2147483648, max: 2147483647 };
// Go's encoding/json decodes []byte with padded standard base64 and skips line breaks.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isObject = (x: unknown): x is Record<string, Json> => typeof x === "object" && x !== null && !Array.isArray(x);
const isEmptyObject = (x: unknown) => isObject(x) && Object.keys(x).length === 0;

/**
 * Rewrites one OpenAPI schema for ajv:
 * - objects with `properties` get `additionalProperties: false` so that unknown fields are reported, unless
 *   they say `x-kubernetes-preserve-unknown-fields`;
 * - int-or-string (`format: int-or-string`, `x-kubernetes-int-or-string`) and oneOf-of-bare-types
 *   (Quantity) become a type list, so an error names the field once instead of once per branch;
 * - only `default: {}` is kept (with ajv's useDefaults): absent non-pointer structs decode as empty
 *   structs, so the required fields inside them are still checked, as the real server's validation does.
 *   Scalar defaults would hide missing required fields (Container.name has default "") and are dropped;
 * - an enum also accepts "": an empty string means unset, which the real server defaults;
 * - descriptions and other extensions are dropped: ajv does not need them.
 */
function forAjv(node: Json, kindRoot = false): Json {
  if (Array.isArray(node)) return node.map((n) => forAjv(n));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref") out.$ref = String(v).replace("#/components/schemas/", "#/$defs/");
    else if (k === "properties") {
      // The root's status is not defaulted: status is the controllers' to write and is not checked on create.
      out.properties = Object.fromEntries(
        Object.entries(v as Schemas).map(([name, p]) => [
          name,
          kindRoot && name === "status" ? withoutDefault(forAjv(p)) : forAjv(p),
        ]),
      );
    } else if (
      k === "items" ||
      k === "additionalProperties" ||
      k === "allOf" ||
      k === "anyOf" ||
      k === "oneOf" ||
      k === "not"
    )
      out[k] = forAjv(v);
    else if (k === "default") {
      if (isEmptyObject(v)) out.default = {};
    } else if (k === "format") {
      if (FORMATS.has(v)) out.format = v;
    } else if (k === "enum")
      out.enum = Array.isArray(v) && v.every((e) => typeof e === "string") && !v.includes("") ? [...v, ""] : v;
    else if (k === "description" || k.startsWith("x-")) continue;
    else out[k] = v;
  }
  const branches = node.oneOf ?? node.anyOf;
  if (
    Array.isArray(branches) &&
    branches.every((b: Json) => isObject(b) && Object.keys(b).length === 1 && typeof b.type === "string")
  ) {
    out.type = branches.map((b: Json) => b.type);
    delete out.oneOf;
    delete out.anyOf;
  }
  if (node.format === "int-or-string" || node["x-kubernetes-int-or-string"] === true) {
    out.type = ["integer", "string"];
    delete out.oneOf;
    delete out.anyOf;
    delete out.allOf;
  }
  if (out.properties && out.additionalProperties === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true)
    out.additionalProperties = false;
  return out;
}

function withoutDefault(s: Json): Json {
  const { default: _dropped, ...rest } = s;
  return rest;
}

interface DocValidators {
  ajv: Ajv;
  id: string;
  /** The rewritten schemas, for turning ajv's instance paths into Kubernetes field paths. */
  defs: Schemas;
}

interface KindSchema {
  docKey: string;
  schema: string;
}

let kinds: Map<string, KindSchema> | undefined;
const docValidators = new Map<string, DocValidators>();
const validators = new Map<string, ValidateFunction>();

const gvkKey = (apiVersion: string, kind: string) => `${apiVersion}|${kind}`;

/** apiVersion+kind -> (document, schema name), from the schemas' x-kubernetes-group-version-kind. */
function kindIndex(): Map<string, KindSchema> {
  if (kinds) return kinds;
  kinds = new Map();
  for (const docKey of v3Keys()) {
    const schemas: Schemas = (v3Document(docKey) as Json)?.components?.schemas ?? {};
    for (const [schema, s] of Object.entries(schemas)) {
      for (const g of s["x-kubernetes-group-version-kind"] ?? []) {
        const key = gvkKey(apiVersionOf(g), g.kind);
        if (!kinds.has(key)) kinds.set(key, { docKey, schema });
      }
    }
  }
  return kinds;
}

function docValidatorsFor(docKey: string): DocValidators {
  let d = docValidators.get(docKey);
  if (d) return d;
  const schemas: Schemas = (v3Document(docKey) as Json)?.components?.schemas ?? {};
  const defs: Schemas = {};
  for (const [name, s] of Object.entries(schemas))
    defs[name] = forAjv(s, Array.isArray(s["x-kubernetes-group-version-kind"]));
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, logger: false, inlineRefs: false });
  addFormats(ajv, ["date-time"]);
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addFormat("double", { type: "number", validate: () => true });
  ajv.addFormat("byte", { type: "string", validate: (s: string) => BASE64.test(s.replace(/[\r\n]/g, "")) });
  const id = `k8s:${docKey}`;
  ajv.addSchema({ $id: id, $defs: defs });
  d = { ajv, id, defs };
  docValidators.set(docKey, d);
  return d;
}

/** Compiled on first use per kind and cached: compiling PodSpec-sized schemas takes a moment. */
function validatorFor(k: KindSchema): ValidateFunction {
  const key = `${k.docKey}#${k.schema}`;
  let v = validators.get(key);
  if (!v) {
    const d = docValidatorsFor(k.docKey);
    v = d.ajv.compile({ $ref: `${d.id}#/$defs/${k.schema}` });
    validators.set(key, v);
  }
  return v;
}

/** JSON null means "unset" to the real server's decoder: drop null members before checking. */
function withoutNulls(x: Json): Json {
  if (Array.isArray(x)) return x.map(withoutNulls);
  if (!isObject(x)) return x;
  const out: Json = {};
  for (const [k, v] of Object.entries(x)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}

function deref(defs: Schemas, node: Json): Json {
  let n = node;
  for (let i = 0; i < 64 && isObject(n); i++) {
    if (typeof n.$ref === "string") n = defs[n.$ref.slice("#/$defs/".length)];
    else if (Array.isArray(n.allOf) && n.allOf.length === 1) n = n.allOf[0];
    else break;
  }
  return n;
}

/** ajv's `/spec/template/spec/containers/0` -> `spec.template.spec.containers[0]`; map keys as `[key]`. */
function fieldPath(defs: Schemas, root: string, segments: string[]): string {
  let node: Json = defs[root];
  let out = "";
  for (const seg of segments) {
    node = deref(defs, node);
    if (isObject(node) && isObject(node.properties) && node.properties[seg] !== undefined) {
      out += out === "" ? seg : `.${seg}`;
      node = node.properties[seg];
    } else if (isObject(node) && (node.type === "array" || isObject(node.additionalProperties))) {
      out += `[${seg}]`;
      node = node.type === "array" ? node.items : node.additionalProperties;
    } else {
      out += /^\d+$/.test(seg) ? `[${seg}]` : out === "" ? seg : `.${seg}`;
      node = undefined;
    }
  }
  return out;
}

const join = (base: string, name: string) => (base === "" ? name : `${base}.${name}`);

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function valueAt(data: Json, segments: string[]): unknown {
  let v = data;
  for (const s of segments) v = isObject(v) || Array.isArray(v) ? (v as Json)[s] : undefined;
  return v;
}

/** ajv errors -> Kubernetes causes, with messages worded like the real server's field errors. */
function toCauses(errors: ErrorObject[], data: Json, defs: Schemas, root: string): Cause[] {
  const out: Cause[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const segments =
      e.instancePath === ""
        ? []
        : e.instancePath
            .slice(1)
            .split("/")
            .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const at = fieldPath(defs, root, segments);
    const value = valueAt(data, segments);
    const p = e.params as Record<string, Json>;
    let cause: Cause;
    switch (e.keyword) {
      case "required": {
        const field = join(at, String(p.missingProperty));
        cause = { reason: CAUSE_REASONS.required, field, message: "Required value" };
        break;
      }
      case "additionalProperties": {
        const field = fieldPath(defs, root, [...segments, String(p.additionalProperty)]);
        cause = { reason: CAUSE_REASONS.unknown, field, message: `unknown field "${field}"` };
        break;
      }
      case "type": {
        const expected = String(p.type).split(",").join(" or ");
        cause = {
          reason: CAUSE_REASONS.typeInvalid,
          field: at,
          message: `Invalid value: "${jsonType(value)}": ${at} in body must be of type ${expected}: "${jsonType(value)}"`,
        };
        break;
      }
      case "enum": {
        const allowed = (p.allowedValues as unknown[])
          .filter((a) => a !== "")
          .map((a) => JSON.stringify(a))
          .join(", ");
        cause = {
          reason: CAUSE_REASONS.notSupported,
          field: at,
          message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed}`,
        };
        break;
      }
      case "format":
        cause = {
          reason: CAUSE_REASONS.invalid,
          field: at,
          message: `Invalid value: ${JSON.stringify(value)}: ${at} in body must be of type ${String(p.format)}: ${JSON.stringify(value)}`,
        };
        break;
      default:
        cause = {
          reason: CAUSE_REASONS.invalid,
          field: at,
          message: `Invalid value: ${JSON.stringify(value)}: ${at} in body ${e.message ?? "is invalid"}`,
        };
    }
    const key = `${cause.reason}|${cause.field}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(cause);
    }
  }
  return out;
}

/** Whether a schema is known for this apiVersion and kind (every served kind, their lists, Scale, ...). */
export function hasSchema(apiVersion: string, kind: string): boolean {
  return kindIndex().has(gvkKey(apiVersion, kind));
}

/**
 * Checks `obj` against the schema of its apiVersion and kind. An empty list means valid. Unknown fields
 * come back as FieldValueUnknown causes among the others; the caller decides what they mean.
 */
export function validateObject(obj: unknown): Cause[] {
  if (!isObject(obj))
    return [
      {
        reason: CAUSE_REASONS.typeInvalid,
        field: "",
        message: `Invalid value: "${jsonType(obj)}": body must be of type object: "${jsonType(obj)}"`,
      },
    ];
  const { apiVersion, kind } = obj;
  const missing: Cause[] = [];
  if (typeof apiVersion !== "string" || apiVersion === "")
    missing.push({ reason: CAUSE_REASONS.required, field: "apiVersion", message: "Required value" });
  if (typeof kind !== "string" || kind === "")
    missing.push({ reason: CAUSE_REASONS.required, field: "kind", message: "Required value" });
  if (missing.length > 0) return missing;
  const k = kindIndex().get(gvkKey(apiVersion, kind));
  if (!k)
    return [
      {
        reason: CAUSE_REASONS.notSupported,
        field: "kind",
        message: `Unsupported value: "${kind}": no kind "${kind}" is registered for version "${apiVersion}"`,
      },
    ];
  const validate = validatorFor(k);
  // Validation fills in empty-struct defaults, so it runs on a copy.
  const data = withoutNulls(obj);
  if (validate(data)) return [];
  return toCauses(validate.errors ?? [], data, docValidatorsFor(k.docKey).defs, k.schema);
}

/**
 * Compiles the validators of the given kinds now rather than on their first write (about a second for
 * the PodSpec-carrying kinds), e.g. at server start. Unknown kinds are skipped.
 */
export function precompile(kinds: readonly { apiVersion: string; kind: string }[]): void {
  for (const { apiVersion, kind } of kinds) {
    const k = kindIndex().get(gvkKey(apiVersion, kind));
    if (k) validatorFor(k);
  }
}
