// The app container, as its owner wrote it, with what the sidecar adds to it.
export * from "./appContainer";
