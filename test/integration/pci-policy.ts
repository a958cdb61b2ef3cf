/** The walkthrough's scheduling policy: ReplicaSets that require PCI go to the clusters annotated `<annotation>=<value>`. */
import { REPLICA_SET_PREFERENCES_ANNOTATION } from "@kubefed/names";

export const pciPolicy = (annotation = "pci-certified", value = "true") => `# Placement of PCI workloads.
package kubernetes.placement

pci_clusters contains name if {
	some name, c in input.clusters
	c.metadata.annotations["${annotation}"] == "${value}"
}

annotations["${REPLICA_SET_PREFERENCES_ANNOTATION}"] := json.marshal({"rebalance": true, "clusters": {name: {"weight": 1} | some name in pci_clusters}}) if {
	input.resource.kind == "ReplicaSet"
	input.resource.metadata.annotations["requires-pci"] == "true"
}
`;
