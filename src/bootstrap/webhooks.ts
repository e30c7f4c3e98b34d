import type { Core } from '@strapi/strapi';

const NAME = 'News: article published, updated or unpublished';
const EVENTS = ['entry.publish', 'entry.update', 'entry.unpublish'];

interface Webhook {
  id: string | number;
  name: string;
  url: string;
  headers: Record<string, string>;
  events: string[];
  isEnabled: boolean;
}

interface WebhookStore {
  findWebhooks(): Promise<Webhook[]>;
  createWebhook(data: Omit<Webhook, 'id'>): Promise<Webhook>;
  updateWebhook(id: Webhook['id'], data: Omit<Webhook, 'id'>): Promise<Webhook>;
}
interface WebhookRunner {
  update(webhook: Webhook): void;
}

/**
 * WEBHOOK_URL as a Strapi webhook (shown and editable in Settings → Webhooks) for the article
 * events; kept in step with the variable at each boot.
 */
export async function ensureArticleWebhook(strapi: Core.Strapi, url: string | undefined): Promise<void> {
  if (!url) return;
  const store = strapi.get('webhookStore') as WebhookStore;
  const runner = strapi.get('webhookRunner') as WebhookRunner;
  const wanted = { name: NAME, url, headers: {}, events: EVENTS, isEnabled: true };
  const existing = (await store.findWebhooks()).find((w) => w.name === NAME);
  if (!existing) {
    runner.update(await store.createWebhook(wanted));
  } else if (existing.url !== url || EVENTS.some((e) => !existing.events.includes(e))) {
    runner.update(await store.updateWebhook(existing.id, { ...existing, ...wanted }));
  }
}
