// What runs and fronts the pods: the Deployment or bare Pod with its rollout and PodDisruptionBudget, the Service
// (and the `url` clients use), and the opt-in NetworkPolicy.
export * from "./networkPolicy";
export * from "./service";
export * from "./workload";
