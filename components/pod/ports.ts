// The pod's own ports: the app's, the proxy's two and cloudflared's metrics. Each needs its own number.
import * as pulumi from "@pulumi/pulumi";
import { checked, checkPort, isKnown, Problems } from "../validation";
import { PROXY_DEFAULTS, TlsProxy } from "./proxy";

/** A port and the argument it comes from (e.g. `proxy.port`). */
export type NamedPort = [string, pulumi.Input<number>];

/** The pod's own ports by argument path: app.port, proxy.port, proxy.adminPort, and cloudflared's when there is one. */
export function ownPorts(appPort: pulumi.Input<number>, proxy: TlsProxy | undefined, tunnelMetricsPort?: pulumi.Input<number>): NamedPort[] {
    const ports: NamedPort[] = [
        ["app.port", appPort],
        ["proxy.port", proxy?.port ?? PROXY_DEFAULTS.port],
        ["proxy.adminPort", proxy?.adminPort ?? PROXY_DEFAULTS.adminPort],
    ];
    return tunnelMetricsPort === undefined ? ports : [...ports, ["tunnel.metricsPort", tunnelMetricsPort]];
}

/** The app's and the proxy's ports: each valid, and no two the same. Returns them by argument path. */
export function checkOwnPorts(appPort: pulumi.Input<number>, proxy: TlsProxy | undefined, problems: Problems): NamedPort[] {
    const ports = ownPorts(appPort, proxy);
    for (const [path, port] of ports) {
        problems.check(() => checked(port, (v) => checkPort(path, v)));
    }
    for (let i = 0; i < ports.length; i++) {
        const [pathB, b] = ports[i];
        const clash = ports.slice(0, i).find(([, a]) => isKnown(a) && isKnown(b) && a === b);
        if (clash !== undefined) {
            const [pathA, a] = clash;
            problems.add({ path: pathB, value: b, allowed: `a port other than ${pathA} (${a}): each of app.port, proxy.port and proxy.adminPort needs its own` });
        }
    }
    return ports;
}
