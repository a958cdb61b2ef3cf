// Kafka ACLs in the project's own small shape, for whoever sets up an authorizing broker (the local environment).
import kafkajs, { type AclEntry } from "kafkajs";
import type { AclGrant } from "./types.ts";

// kafkajs's module.exports is built in a way Node's CommonJS export detection misses for these constants.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const RESOURCE = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
} as const;

const OPERATION = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  describe: AclOperationTypes.DESCRIBE,
  describeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
} as const;

/** One kafkajs entry per operation: Kafka stores an ACL binding per (resource, principal, operation). */
export const aclEntries = (grants: readonly AclGrant[]): AclEntry[] =>
  grants.flatMap((g) =>
    g.operations.map((op) => ({
      resourceType: RESOURCE[g.resource],
      resourceName: g.resource === "cluster" ? "kafka-cluster" : g.name,
      resourcePatternType: g.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: g.principal,
      host: "*",
      operation: OPERATION[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
