import { PurgeError, type Purger, type PurgeRequest } from './purger';

/**
 * Keys per PURGE request: Varnish refuses a request header line over 8 KiB (http_req_hdr_len),
 * so the `xkey-purge: …` line stays well under that.
 */
const MAX_HEADER_BYTES = 7_000;
const TIMEOUT_MS = 3_000;

/**
 * Purges a Varnish that runs deploy/varnish/default.vcl: `PURGE /` with the keys, space
 * separated, in `xkey-purge` (hard: the copies go, never served again) or `xkey-softpurge`
 * (soft: served stale while one background fetch replaces them).
 */
export class VarnishPurger implements Purger {
  readonly id: string;
  private readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
    this.id = `varnish:${this.url}`;
  }

  async purge({ keys, hard }: PurgeRequest): Promise<void> {
    const header = hard ? 'xkey-purge' : 'xkey-softpurge';
    for (const batch of batches(keys, MAX_HEADER_BYTES - header.length - 2)) {
      let response: Response;
      try {
        response = await fetch(`${this.url}/`, { method: 'PURGE', headers: { [header]: batch }, signal: AbortSignal.timeout(TIMEOUT_MS) });
        await response.arrayBuffer();
      } catch (error) {
        throw new PurgeError(`PURGE ${this.url}/ failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (response.status !== 200) throw new PurgeError(`PURGE ${this.url}/ answered ${response.status} ${response.statusText}`.trim());
    }
  }
}

/** The keys as space-separated header values of at most `maxBytes` each. */
function batches(keys: readonly string[], maxBytes: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const key of keys) {
    if (!key) continue;
    const joined = current ? `${current} ${key}` : key;
    if (current && Buffer.byteLength(joined) > maxBytes) {
      out.push(current);
      current = key;
    } else {
      current = joined;
    }
  }
  if (current) out.push(current);
  return out;
}
