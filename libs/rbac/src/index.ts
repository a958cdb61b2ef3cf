export * from "./types.ts";
export { ruleAllows, uncovered, breakdown, compactString } from "./rules.ts";
export { RbacIndex, forbiddenMessage, escalationMessage, type RbacObjects, type IndexOptions } from "./authorizer.ts";
export { BOOTSTRAP_CLUSTER_ROLES, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, VIEWERS_GROUP, isBootstrap } from "./bootstrap.ts";
