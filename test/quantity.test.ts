// The quantity check follows Kubernetes' grammar (k8s.io/apimachinery/pkg/api/resource): the cases below are those
// of apimachinery's quantity_test.go (TestQuantityParse's table and its invalid list), and the ones issue 20 met.
import * as assert from "assert";
import { checkQuantity } from "../components/pod/quantity";
import { ConfigError } from "../components/validation";

function accepted(value: string): boolean {
    try {
        checkQuantity("q", value);
        return true;
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return false;
    }
}

// Parsed by ParseQuantity: plain and signed numbers, every suffix, decimal exponents, a dot at either end.
const ACCEPTED = [
    "0", "-0", "+0", "1", "+1", "5.", ".5", "1.", ".001", ".0001k", "1.G", "0.5", "10m", "500m", "3.001n", "1u",
    "1k", "12E", "1M", "1G", "1T", "1P", "1E", "1Ki", "20Mi", "1Gi", "1Ti", "1Pi", "9Ei", "100.035Ki", "0.5Mi",
    "0.000000000001Ki", "1e3", "1E3", "1e+3", "1e-3", "0.5e-9", "1.1E-9", "300e6", "9223372036854775807Ki",
];

// Refused by ParseQuantity (apimachinery's invalid list first), or by the API server as a negative amount.
const REFUSED = [
    "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ",
    "1.2.3Mi", "1Mi2", "", "Mi", "1 Mi", "1K", "1ki", "1e", "1e1.5", "1Ee3", "--1", "+-1", "1..", "64 MB", "lots",
    "-1", "-0.5", "-1Mi", "-1e3",
];

describe("Kubernetes quantities", () => {
    for (const value of ACCEPTED) {
        it(`accepts ${JSON.stringify(value)}`, () => assert.ok(accepted(value)));
    }
    for (const value of REFUSED) {
        it(`refuses ${JSON.stringify(value)}`, () => assert.ok(!accepted(value)));
    }

    it("says what a quantity is, and that it may not be negative", () => {
        assert.throws(() => checkQuantity("proxy.resources.memoryLimit", "1.2.3Mi"), /^ConfigError: proxy\.resources\.memoryLimit: "1\.2\.3Mi" is not allowed; expected a Kubernetes quantity such as .*"1e3": a number, then optionally Ki, Mi, .* or an exponent e<integer>$/);
        assert.throws(() => checkQuantity("proxy.resources.cpuLimit", "-1"), /expected a Kubernetes quantity .*, not negative$/);
        assert.throws(() => checkQuantity("proxy.resources.cpuLimit", 1), /"?1"? is not allowed/);
    });
});
