// The TLS material: the certificates and their Secret (tls/certificates.ts), their renewal schedule, a brought
// certificate's checks, and the `tls` argument of TlsSidecarApp and TlsSidecar.
export * from "./broughtCertificate";
export * from "./certificates";
export * from "./rotation";
export * from "./tls";
