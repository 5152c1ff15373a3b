// The certificate schedule: which CAs exist, which one signs, and which server-certificate period it is,
// as pure functions of the time the program runs. These values become resource names and certificate inputs,
// so a plain `pulumi up` renews exactly when the schedule moves on, and nothing changes in between.
//
// Why not the tls provider's `earlyRenewalHours`: the provider renews only from its plan modifier / refresh
// (`ready_for_renewal`), and pulumi/pulumi-tls#39 reports that a plain `pulumi up` does not renew. See
// docs/certificates.md.

const DAY_MS = 24 * 60 * 60 * 1000;

/** Default anchor of the schedule's periods. Set `scheduleEpoch` to a stack's first deployment to align to it. */
export const DEFAULT_SCHEDULE_EPOCH = "2025-01-01T00:00:00Z";

export interface ScheduleInputs {
    /** Server (and client) certificate lifetime in days. */
    validityDays: number;
    /** Renew this many days before expiry: a period lasts `validityDays - renewBeforeDays`. */
    renewBeforeDays: number;
    /** CA lifetime in days. */
    caValidityDays: number;
    /** Days a new CA is in `ca.crt` before it signs, and days the old one stays after it stopped signing. */
    caOverlapDays: number;
    /** RFC 3339 anchor of all periods. */
    epoch: string;
}

export interface Schedule {
    /** Index of the server-certificate period: a new one issues a new key and certificate. */
    leafPeriod: number;
    /** CA generations in `ca.crt`, oldest first (one, or two during a rollover). */
    caGenerations: number[];
    /** The CA generation that signs the server and client certificates now. */
    signerGeneration: number;
    /** Identity of the current server certificate: changes exactly when it must be reissued. */
    leafId: string;
    /** From this time on, the next `pulumi up` issues a new server certificate (RFC 3339). */
    renewAfter: string;
    /** Days in one server-certificate period. */
    leafPeriodDays: number;
    /** Days between two CA generations. */
    caPeriodDays: number;
}

/** Milliseconds since 1970 of an RFC 3339 time; NaN when it is not one. */
export function parseTime(value: string): number {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
}

/**
 * The schedule at `now` (ms since 1970).
 *
 * Server certificate: period k = ⌊(now − epoch) / (validity − renewBefore)⌋. A certificate issued in period k is
 * still valid for at least `renewBeforeDays` after period k+1 begins, so a `pulumi up` at least every
 * `renewBeforeDays` days never lets it expire.
 *
 * CA generation g starts at A_g = epoch + g·P with P = caValidity − 2·overlap:
 *   [A_g, A_g + overlap)              ca.crt = CA(g−1) + CA(g), CA(g−1) still signs   (clients fetch the bundle)
 *   [A_g + overlap, A_g + 2·overlap)  ca.crt = CA(g−1) + CA(g), CA(g) signs           (old client certs still verify)
 *   [A_g + 2·overlap, A_{g+1})        ca.crt = CA(g) only
 * CA(g−1) was made at or after A_{g−1}, so it is valid until at least A_g + 2·overlap: through its whole use.
 */
export function scheduleAt(now: number, s: ScheduleInputs): Schedule {
    const epoch = parseTime(s.epoch);
    const leafPeriodDays = s.validityDays - s.renewBeforeDays;
    const caPeriodDays = s.caValidityDays - 2 * s.caOverlapDays;
    const since = now - epoch;
    const leafPeriod = Math.floor(since / (leafPeriodDays * DAY_MS));
    const g = Math.floor(since / (caPeriodDays * DAY_MS));
    const intoGeneration = since - g * caPeriodDays * DAY_MS;
    const overlap = s.caOverlapDays * DAY_MS;
    const rollingOver = g >= 1 && intoGeneration < 2 * overlap;
    const caGenerations = rollingOver ? [g - 1, g] : [g];
    const signerGeneration = g >= 1 && intoGeneration < overlap ? g - 1 : g;

    // The next instant the server certificate changes: its period ends, or the signer switches.
    const generationStart = epoch + g * caPeriodDays * DAY_MS;
    const candidates = [epoch + (leafPeriod + 1) * leafPeriodDays * DAY_MS];
    if (signerGeneration !== g) {
        candidates.push(generationStart + overlap);
    }
    candidates.push(epoch + (g + 1) * caPeriodDays * DAY_MS + overlap);
    const renewAfter = new Date(Math.min(...candidates)).toISOString();

    return {
        leafPeriod,
        caGenerations,
        signerGeneration,
        leafId: `ca${signerGeneration}-p${leafPeriod}`,
        renewAfter,
        leafPeriodDays,
        caPeriodDays,
    };
}
