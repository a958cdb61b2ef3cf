// The cluster-selector annotation: a JSON list of {key, operator, values} over member cluster labels, with the
// semantics of Kubernetes' NodeSelectorRequirement (all requirements must hold; NotIn and DoesNotExist hold
// when the label is missing; Gt/Lt compare integers).
import { ErrorCode, FederationError, toFederationError, type KubeObject } from "@kubefed/events";
import { CLUSTER_SELECTOR_ANNOTATION, isQualifiedName } from "@kubefed/names";

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface ClusterSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** A malformed cluster selector; terminal (the same value can never parse). */
export class PlacementError extends FederationError {
  constructor(message: string) {
    super(ErrorCode.Invalid, message);
  }
}

const SHAPE = 'must be a JSON list of {"key","operator","values"}';
// strconv.ParseInt's base-10 syntax minus the '+' sign, as the ingest has always accepted.
const INTEGER = /^-?\d+$/;

const isOperator = (v: unknown): v is SelectorOperator => SELECTOR_OPERATORS.includes(v as SelectorOperator);

/** Problems (human sentences, prefixed with the item's index) of an annotation value; [] when valid. */
export function clusterSelectorProblems(value: string): string[] {
  return check(value).problems;
}

/** The requirements of an annotation value; throws PlacementError listing every problem when malformed. */
export function parseClusterSelector(value: string): ClusterSelectorRequirement[] {
  const { problems, requirements } = check(value);
  if (problems.length > 0)
    throw new PlacementError(`invalid cluster selector ${JSON.stringify(value)}: ${problems.join("; ")}`);
  return requirements;
}

function check(value: string): { problems: string[]; requirements: ClusterSelectorRequirement[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return { problems: [`${SHAPE}: ${toFederationError(e).message}`], requirements: [] };
  }
  if (!Array.isArray(parsed)) return { problems: [SHAPE], requirements: [] };
  const problems: string[] = [];
  const requirements: ClusterSelectorRequirement[] = [];
  parsed.forEach((r: unknown, i) => {
    const at = `[${i}]`;
    if (typeof r !== "object" || r === null || Array.isArray(r)) return void problems.push(`${at}: must be an object`);
    const { key, operator, values } = r as Record<string, unknown>;
    const before = problems.length;
    if (typeof key !== "string" || key === "") problems.push(`${at}.key: must be a non-empty string`);
    else for (const m of isQualifiedName(key)) problems.push(`${at}.key: ${JSON.stringify(key)}: ${m}`);
    if (!isOperator(operator)) problems.push(`${at}.operator: must be one of ${SELECTOR_OPERATORS.join(", ")}`);
    const vals = values ?? [];
    if (!Array.isArray(vals) || vals.some((v) => typeof v !== "string"))
      problems.push(`${at}.values: must be a list of strings`);
    else if ((operator === "In" || operator === "NotIn") && vals.length === 0)
      problems.push(`${at}.values: must not be empty for ${operator}`);
    else if ((operator === "Exists" || operator === "DoesNotExist") && vals.length > 0)
      problems.push(`${at}.values: must be empty for ${operator}`);
    else if ((operator === "Gt" || operator === "Lt") && (vals.length !== 1 || !INTEGER.test(vals[0] as string)))
      problems.push(`${at}.values: must be exactly one integer for ${operator}`);
    if (problems.length === before)
      requirements.push({
        key: key as string,
        operator: operator as SelectorOperator,
        values: [...(vals as string[])],
      });
  });
  return { problems, requirements };
}

/** Whether a cluster with these labels satisfies every requirement; no requirement = every cluster. */
export function matchesCluster(
  reqs: readonly ClusterSelectorRequirement[],
  clusterLabels: Readonly<Record<string, string>>,
): boolean {
  return reqs.every((r) => matchesOne(r, clusterLabels));
}

function matchesOne(r: ClusterSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  // hasOwn, so that a key like "constructor" is not found on the prototype.
  const has = Object.hasOwn(labels, r.key);
  const label = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "In":
      return label !== undefined && r.values.includes(label);
    case "NotIn":
      return label === undefined || !r.values.includes(label);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      const bound = r.values.length === 1 ? r.values[0] : undefined;
      if (label === undefined || bound === undefined || !INTEGER.test(label) || !INTEGER.test(bound)) return false;
      // BigInt: label values may be longer than a double represents exactly.
      return r.operator === "Gt" ? BigInt(label) > BigInt(bound) : BigInt(label) < BigInt(bound);
    }
    default: {
      const never: never = r.operator;
      throw new PlacementError(`unknown cluster selector operator ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Whether the federated object goes to a cluster with these labels. No annotation = every cluster. A malformed
 * annotation = no cluster: admission rejects those, so one only reaches here from events written under older
 * rules, and placing nowhere is the safe reading of a selector nobody can interpret.
 */
export function isPlaced(object: KubeObject, clusterLabels: Readonly<Record<string, string>>): boolean {
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return true;
  const annotations = metadata.annotations;
  if (typeof annotations !== "object" || annotations === null || Array.isArray(annotations)) return true;
  if (!Object.hasOwn(annotations, CLUSTER_SELECTOR_ANNOTATION)) return true;
  const value = annotations[CLUSTER_SELECTOR_ANNOTATION];
  if (typeof value !== "string") return false;
  const { problems, requirements } = check(value);
  return problems.length === 0 && matchesCluster(requirements, clusterLabels);
}
