// Cloudflare Tunnel as a sidecar: cloudflared beside the app, its token Secret, and the checks of its arguments.
export * from "./tunnel";
