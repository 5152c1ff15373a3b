// Kubernetes resource quantities ("500m", "64Mi", "1e3"), by the grammar of k8s.io/apimachinery/pkg/api/resource
// (Quantity's doc comment and ParseQuantity):
//   <quantity> ::= <signedNumber><suffix>             <signedNumber> ::= <number> | <sign><number>
//   <number>   ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>   ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI> ::= Ki | Mi | Gi | Ti | Pi | Ei         <decimalSI> ::= n | u | m | "" | k | M | G | T | P | E
//   <decimalExponent> ::= "e" <integer> | "E" <integer>   (ParseQuantity reads the exponent with strconv.ParseInt)
// Resource requests, limits and sizes must also not be negative (the API server's ValidateNonnegativeQuantity).
import { ConfigError } from "../validation";

const NUMBER = String.raw`(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)`;
const SUFFIX = String.raw`(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?`;
const QUANTITY = new RegExp(`^([+-]?)(${NUMBER})${SUFFIX}$`);

const ALLOWED = 'a Kubernetes quantity such as "10m", "0.5", "20Mi", "1Gi" or "1e3": a number, then optionally Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent e<integer>';

/** A non-negative Kubernetes quantity. */
export function checkQuantity(path: string, value: unknown): void {
    const match = typeof value === "string" ? QUANTITY.exec(value) : null;
    if (match === null) {
        throw new ConfigError(path, value, ALLOWED);
    }
    if (match[1] === "-" && /[1-9]/.test(match[2])) {
        throw new ConfigError(path, value, `${ALLOWED}, not negative`);
    }
}
