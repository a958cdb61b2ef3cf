import { Partitioners, type ICustomPartitioner } from "kafkajs";

/**
 * Kafka's own key hashing (murmur2, as the Java client places keys), skipped when a topic has one partition (the
 * objects log's default): hashing every key in JavaScript cost a propagator about 1.5% of its CPU during a join's
 * burst of status reports, to compute 0. Naming a partitioner also keeps kafkajs from warning about its default.
 */
export const byKeyUnlessSingle: ICustomPartitioner = () => {
  const hashed = Partitioners.DefaultPartitioner();
  return (args) =>
    args.message.partition == null && args.partitionMetadata.length === 1
      ? args.partitionMetadata[0]!.partitionId
      : hashed(args);
};
