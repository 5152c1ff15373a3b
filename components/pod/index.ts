// The pod: the sidecar's containers (the proxy, the redirect), what they share, the pod spec built from them, and the
// app's side of the pod (probes and hooks, security contexts, volumes, scheduling, labels, the pod's own fields).
export * from "./containers";
export * from "./labels";
export * from "./pod";
export * from "./podSpec";
export * from "./ports";
export * from "./probes";
export * from "./proxy";
export * from "./quantity";
export * from "./redirect";
export * from "./scheduling";
export * from "./securityContext";
export * from "./volumes";
