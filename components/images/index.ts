// The proxy and init images (built and pushed, or prebuilt) and the pull Secret for a private registry.
export * from "./images";
export * from "./pullSecret";
