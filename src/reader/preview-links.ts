import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { articleAccess } from '../articles/access';
import { ARTICLE_UID } from '../articles/constants';
import { publicUrl, readEnv } from '../env';

/**
 * Preview links: one document, one locale, one status, an expiry, signed with PREVIEW_SECRET
 * (HMAC-SHA256). Issued by the admin's Preview button only to a user who may read that document;
 * checked by the preview route. A link is a bearer credential until it expires: the access log
 * leaves its token out and the page sends no Referer.
 */
const Payload = z.object({
  d: z.string().min(1).max(64),
  l: z.string().min(1).max(20),
  s: z.enum(['draft', 'published']),
  e: z.number().int().positive(),
});
export type PreviewGrant = z.infer<typeof Payload>;

function signature(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

export function signPreview(secret: string, grant: Omit<PreviewGrant, 'e'>, ttlSeconds: number, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ ...grant, e: Math.floor(now / 1000) + ttlSeconds })).toString('base64url');
  return `${body}.${signature(secret, body).toString('base64url')}`;
}

export type PreviewCheck = { ok: true; grant: PreviewGrant } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyPreview(secret: string, token: string, now = Date.now()): PreviewCheck {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return { ok: false, reason: 'invalid' };
  const expected = signature(secret, body);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const grant = Payload.safeParse(parsed);
  if (!grant.success) return { ok: false, reason: 'invalid' };
  if (grant.data.e * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, grant: grant.data };
}

/**
 * The admin's preview handler (config/admin.ts): a link for an article the requesting admin user
 * may read, else none (the admin then shows no preview).
 */
export async function previewUrl(strapi: Core.Strapi, uid: string, params: { documentId: string; locale?: string; status?: string }): Promise<string | null> {
  if (uid !== ARTICLE_UID) return null;
  const env = readEnv();
  if (!env.PREVIEW_SECRET) return null;
  const request = strapi.requestContext.get() as { state?: { userAbility?: unknown } } | undefined;
  const locale = params.locale ?? 'en';
  if ((await articleAccess(strapi, request?.state?.userAbility, 'read', params.documentId, locale)) !== 'allowed') return null;
  const status = params.status === 'published' ? 'published' : 'draft';
  const token = signPreview(env.PREVIEW_SECRET, { d: params.documentId, l: locale, s: status }, env.PREVIEW_LINK_TTL);
  return `${publicUrl(env)}/news/preview/${params.documentId}?token=${token}`;
}
