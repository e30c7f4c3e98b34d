import * as React from 'react';
import type { StrapiApp } from '@strapi/strapi/admin';
import { useFetchClient } from '@strapi/strapi/admin';
import { EditingNowPanel } from './presence';

const ARTICLE = 'api::article.article';

interface Revision {
  id: number;
  kind: 'publish' | 'conflict';
  locale: string;
  version: number | null;
  author: string | null;
  createdAt: string;
  headline: string | null;
}

export interface PanelProps {
  model: string;
  documentId?: string;
  document?: { locale?: string | null; version?: number | null } | null;
}

const box: React.CSSProperties = { width: '100%', fontSize: 13, lineHeight: 1.4 };
const button: React.CSSProperties = {
  border: '1px solid #dcdce4',
  background: '#fff',
  borderRadius: 4,
  padding: '2px 8px',
  marginRight: 4,
  cursor: 'pointer',
  fontSize: 12,
};

/**
 * The article's revision history in the edit view: every published version (and saves refused
 * as conflicts), a readable diff against the newest, and restore as a new draft.
 */
function RevisionHistory({ documentId, locale, version }: { documentId: string; locale: string; version: number }) {
  const { get, post } = useFetchClient();
  const [revisions, setRevisions] = React.useState<Revision[] | null>(null);
  const [diff, setDiff] = React.useState<{ id: number; text: string } | null>(null);
  const [message, setMessage] = React.useState<string | null>(null);

  const load = React.useCallback(async () => {
    const { data } = await get<{ data: Revision[] }>(`/news-admin/articles/${documentId}/revisions?locale=${encodeURIComponent(locale)}`);
    setRevisions(data.data);
  }, [get, documentId, locale]);

  React.useEffect(() => {
    load().catch(() => setMessage('Could not load the revisions.'));
  }, [load]);

  const showDiff = async (revision: Revision) => {
    const newest = revisions?.find((r) => r.kind === 'publish');
    if (!newest) return;
    const { data } = await get<{ data: { text: string } }>(
      `/news-admin/articles/${documentId}/revisions/diff?from=${revision.id}&to=${newest.id}`
    );
    setDiff({ id: revision.id, text: data.data.text });
  };

  const restore = async (revision: Revision) => {
    if (!window.confirm('Restore this revision as the draft? Readers keep seeing the published version until you publish.')) return;
    try {
      // The version this page shows: a save made since then refuses the restore (409).
      await post(`/news-admin/articles/${documentId}/revisions/${revision.id}/restore`, { version });
    } catch (error) {
      const message = (error as { response?: { data?: { error?: { message?: string } } } }).response?.data?.error?.message;
      setMessage(message ?? 'The revision was not restored.');
      return;
    }
    setMessage('Restored as the draft. Reloading…');
    window.location.reload();
  };

  if (message) return <p style={box}>{message}</p>;
  if (!revisions) return <p style={box}>Loading revisions…</p>;
  if (revisions.length === 0) return <p style={box}>No revisions yet: one is kept at every publish.</p>;
  return (
    <div style={box} data-testid="revision-history">
      <ol style={{ paddingLeft: 16, margin: 0 }}>
        {revisions.map((revision) => (
          <li key={revision.id} style={{ marginBottom: 8 }} data-revision-id={revision.id}>
            <div>
              <strong>{revision.kind === 'publish' ? 'Published' : 'Refused save (conflict)'}</strong>{' '}
              {new Date(revision.createdAt).toLocaleString()}
              {revision.author ? ` by ${revision.author}` : ''}
            </div>
            <div style={{ color: '#666' }}>{revision.headline}</div>
            <button type="button" style={button} onClick={() => void showDiff(revision)}>
              Compare
            </button>
            <button type="button" style={button} onClick={() => void restore(revision)}>
              Restore
            </button>
            {diff?.id === revision.id ? (
              <pre style={{ whiteSpace: 'pre-wrap', background: '#f6f6f9', padding: 6, marginTop: 4 }} aria-label="Changes since this revision">
                {diff.text}
              </pre>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

const RevisionsPanel = (props: PanelProps) => {
  if (props.model !== ARTICLE || !props.documentId) return null;
  return {
    title: 'Revisions',
    content: <RevisionHistory documentId={props.documentId} locale={props.document?.locale ?? 'en'} version={props.document?.version ?? 0} />,
  };
};

export default {
  config: {
    locales: [],
    tutorials: false,
    notifications: { releases: false },
  },
  bootstrap(app: StrapiApp) {
    const contentManager = app.getPlugin('content-manager') as unknown as {
      apis: { addEditViewSidePanel(panels: Array<(props: PanelProps) => unknown>): void };
    };
    contentManager.apis.addEditViewSidePanel([EditingNowPanel, RevisionsPanel]);
  },
};
