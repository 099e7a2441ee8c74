import { z } from 'zod';

const httpsUrl = z.url({ protocol: /^https$/, message: 'expected an https:// URL' });
const pem = z
  .string()
  .regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate')
  .max(65_536)
  .optional();

/**
 * Where audit events stream to: Splunk's HTTP Event Collector (OCSF events in HEC's envelope), a
 * generic HTTPS endpoint (a JSON array of OCSF events per request), or syslog over TLS (RFC 5425)
 * with CEF messages. `caPem` is the CA the endpoint chains to when it is not a public one.
 */
export const SiemDestinationBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('splunk_hec'), name: z.string().trim().min(1).max(100), url: httpsUrl, token: z.string().min(1, 'expected the HEC token').max(200), caPem: pem }),
  z.strictObject({ kind: z.literal('https_ocsf'), name: z.string().trim().min(1).max(100), url: httpsUrl, authorization: z.string().max(500).optional(), caPem: pem }),
  z.strictObject({
    kind: z.literal('syslog_cef'),
    name: z.string().trim().min(1).max(100),
    host: z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or address'),
    port: z.number().int().min(1).max(65_535),
    caPem: pem,
  }),
]);
export type SiemDestinationBody = z.infer<typeof SiemDestinationBody>;

/** A destination as the API shows it: secrets never leave the control plane. */
export const SiemDestinationView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['splunk_hec', 'https_ocsf', 'syslog_cef']),
  target: z.string(),
  createdAt: z.string(),
  /** The last event delivered (at least once: a resend after a failure may repeat a few). */
  lastSeq: z.number().int(),
  lastSentAt: z.string().nullable(),
  lastError: z.string().nullable(),
  behind: z.number().int(),
});
export type SiemDestinationView = z.infer<typeof SiemDestinationView>;
