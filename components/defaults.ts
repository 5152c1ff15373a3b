// The defaults of the workload's arguments, in one place for the components, their checks and the program.
export const WORKLOAD_DEFAULTS = {
    proxyPort: 8443,
    adminPort: 9901,
    servicePort: 443,
    shutdownTimeoutSeconds: 25,
    drainSeconds: 5,
    replicas: 1,
} as const;
