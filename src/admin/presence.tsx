import * as React from 'react';
import { createPortal } from 'react-dom';
import { useFetchClient } from '@strapi/strapi/admin';

const ARTICLE = 'api::article.article';
/** How often the open edit view beats: presence, the lease's refresh, and news of both. */
const BEAT_MS = 3000;

interface Holder {
  userId: number;
  name: string;
  since: string;
  expiresAt: string;
  mine: boolean;
}
interface State {
  me: number;
  /** Whether this user may edit, and so take over, this article (from the beat). */
  mayEdit?: boolean;
  /** The draft's version now (from the beat). */
  version?: number;
  others: Array<{ userId: number; name: string; since: string }>;
  lease: Holder | null;
  takenOver: { by: string; at: string } | null;
  leaveToken?: string;
}
interface FetchFailure {
  response?: { status?: number; data?: { error?: { status?: number; message?: string; details?: { lease?: Omit<Holder, 'mine'> } } } };
}

/**
 * This tab. Kept in the tab's sessionStorage, so a page reloaded after a takeover is the same tab
 * to the server: it still holds the lease, and leaves no second entry behind.
 */
const TAB = (() => {
  const KEY = 'news-presence-tab';
  try {
    const kept = window.sessionStorage.getItem(KEY);
    if (kept && /^[0-9a-f]{32}$/.test(kept)) return kept;
  } catch {
    // storage blocked: a tab per page load
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const made = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  try {
    window.sessionStorage.setItem(KEY, made);
  } catch {
    // as above
  }
  return made;
})();

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const backend = () => ((window as unknown as { strapi?: { backendURL?: string } }).strapi?.backendURL ?? '').replace(/\/$/, '');
const editForm = () => document.querySelector<HTMLFormElement>('main form');

const bar: React.CSSProperties = {
  position: 'fixed',
  left: '50%',
  bottom: 16,
  transform: 'translateX(-50%)',
  zIndex: 1000,
  maxWidth: 720,
  padding: '10px 16px',
  borderRadius: 6,
  boxShadow: '0 2px 12px rgba(33,33,52,.25)',
  fontSize: 14,
  lineHeight: 1.45,
};
const button: React.CSSProperties = {
  border: '1px solid #4945ff',
  background: '#4945ff',
  color: '#fff',
  borderRadius: 4,
  padding: '4px 10px',
  marginRight: 8,
  cursor: 'pointer',
  fontSize: 13,
};
const quiet: React.CSSProperties = { ...button, background: '#fff', color: '#4945ff' };

/**
 * Who else has this article open, and the edit lease: the first to type holds it, everyone else
 * reads the form read-only and may take over (if they may edit this article). Beats every 3 s;
 * a closed tab says goodbye with a beacon, a crashed one expires on the server.
 */
function EditingNow({ documentId, locale, formVersion }: { documentId: string; locale: string; formVersion: number | null }) {
  const { post } = useFetchClient();
  const [state, setState] = React.useState<State | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [keepReading, setKeepReading] = React.useState(false);
  const leaveToken = React.useRef<string | null>(null);
  const claiming = React.useRef(false);
  const beating = React.useRef(false);
  const reloading = React.useRef(false);
  const stateRef = React.useRef<State | null>(null);
  stateRef.current = state;
  // Answers can arrive out of order (a beat sent before a takeover, answered after it): only
  // the answer to the newest request counts.
  const sent = React.useRef(0);
  const applied = React.useRef(0);
  const apply = (ticket: number, update: (previous: State | null) => State | null) => {
    if (ticket < applied.current) return;
    applied.current = ticket;
    setState(update);
  };

  const beat = React.useCallback(async () => {
    if (beating.current) return; // one beat at a time: a slow server is not piled on
    beating.current = true;
    const ticket = ++sent.current;
    try {
      const { data } = await post<{ data: State }>(`/news-admin/articles/${documentId}/presence`, { locale, session: TAB });
      leaveToken.current = data.data.leaveToken ?? leaveToken.current;
      apply(ticket, () => data.data);
    } catch {
      // The next beat tries again; the server expires what it stops hearing.
    } finally {
      beating.current = false;
    }
  }, [post, documentId, locale]);

  const claim = React.useCallback(
    async (takeover: boolean) => {
      // A first keystroke's claim is made once; Take over is never swallowed by one in flight.
      if (claiming.current && !takeover) return;
      claiming.current = true;
      const ticket = ++sent.current;
      try {
        const { data } = await post<{ data: State }>(`/news-admin/articles/${documentId}/lease`, { locale, session: TAB, takeover });
        apply(ticket, (previous) => ({ ...previous, ...data.data }));
        setNotice(null);
        setKeepReading(false);
        const latest = stateRef.current?.version;
        if (takeover && formVersion !== null && latest !== undefined && latest !== formVersion) {
          // Someone saved while this page was read-only: its form is older than the draft. It
          // reloads as the same tab (no goodbye), so it still holds the lease.
          reloading.current = true;
          window.location.reload();
        }
      } catch (error) {
        const failure = (error as FetchFailure).response?.data?.error;
        if (failure?.status === 409 && failure.details?.lease) {
          const holder = failure.details.lease;
          apply(ticket, (previous) => (previous ? { ...previous, lease: { ...holder, mine: false } } : previous));
        } else if (failure?.status === 403) {
          setNotice(failure.message ?? 'You may not take over this article.');
        }
      } finally {
        claiming.current = false;
      }
    },
    [post, documentId, locale, formVersion]
  );

  // Heartbeat, and goodbye on leaving the view or closing the tab.
  React.useEffect(() => {
    void beat();
    // The beat comes from a worker's clock when it can: a hidden tab's own timers slow down to one
    // a minute, which would drop an editor with a background tab from everyone's list.
    let worker: Worker | null = null;
    let timer: number | undefined;
    try {
      worker = new Worker(`${backend()}/news-admin/presence/clock.js`);
      worker.onmessage = () => void beat();
      worker.onerror = () => {
        worker?.terminate();
        worker = null;
        timer ??= window.setInterval(() => void beat(), BEAT_MS);
      };
      worker.postMessage(BEAT_MS);
    } catch {
      timer = window.setInterval(() => void beat(), BEAT_MS);
    }
    const goodbye = () => {
      if (!leaveToken.current || reloading.current) return;
      navigator.sendBeacon(`${backend()}/news-admin/presence/leave?session=${TAB}&token=${leaveToken.current}`);
    };
    window.addEventListener('pagehide', goodbye);
    return () => {
      worker?.terminate();
      if (timer !== undefined) window.clearInterval(timer);
      window.removeEventListener('pagehide', goodbye);
      goodbye();
    };
  }, [beat]);

  // The first keystroke (or any change) in the form claims the lease.
  React.useEffect(() => {
    const onChange = (event: Event) => {
      const form = editForm();
      if (!form || !(event.target instanceof Node) || !form.contains(event.target)) return;
      const current = stateRef.current;
      if (current?.lease && (current.lease.mine || current.lease.userId !== current.me)) return;
      void claim(false);
    };
    document.addEventListener('input', onChange, true);
    document.addEventListener('change', onChange, true);
    return () => {
      document.removeEventListener('input', onChange, true);
      document.removeEventListener('change', onChange, true);
    };
  }, [claim]);

  // Another tab of this same person holding it does not lock this one (its saves are still
  // checked against the version this page edits).
  const holder = state?.lease && state.lease.userId !== state.me ? state.lease : null;
  // A tab that held the lease and lost it (taken over, or lapsed while the page was offline)
  // stays editable so its unsaved text can be copied; the server refuses its save.
  const heldBefore = React.useRef(false);
  if (state?.lease?.mine) heldBefore.current = true;
  if (state && !state.lease) heldBefore.current = false;
  const takenOver =
    state?.takenOver ?? (holder && heldBefore.current ? { by: holder.name, at: holder.since } : null);
  // Read-only while someone else holds the lease.
  const readOnly = Boolean(holder && !takenOver);

  React.useEffect(() => {
    const form = editForm();
    if (!form) return;
    if (readOnly) {
      form.setAttribute('inert', '');
      form.setAttribute('aria-readonly', 'true');
      form.style.opacity = '0.65';
    } else {
      form.removeAttribute('inert');
      form.removeAttribute('aria-readonly');
      form.style.opacity = '';
    }
  }, [readOnly, state]);
  React.useEffect(
    () => () => {
      const form = editForm();
      form?.removeAttribute('inert');
      form?.removeAttribute('aria-readonly');
      if (form) form.style.opacity = '';
    },
    []
  );

  const others = state?.others ?? [];
  const names = (testId: string) => others.map((other) => (
    <div key={other.userId} data-testid={testId}>
      <strong>{other.name}</strong> is editing since {time(other.since)}
      {holder?.userId === other.userId ? ' (holds the article)' : ''}
    </div>
  ));

  const banner =
    others.length > 0 || holder || takenOver || notice ? (
      <div
        role="status"
        aria-live="polite"
        data-testid="presence-banner"
        style={{ ...bar, background: takenOver ? '#fcecea' : '#eaf5ff', border: `1px solid ${takenOver ? '#d02b20' : '#7b79ff'}`, color: '#32324d' }}
      >
        {takenOver ? (
          <div data-testid="presence-taken-over" style={{ marginBottom: 6 }}>
            <strong>{takenOver.by}</strong> took over this article at {time(takenOver.at)}. Your unsaved changes are still on this page:
            copy them now. Saving them is refused and they are kept in the revisions.{' '}
            {state?.mayEdit && holder ? (
              <button type="button" style={button} onClick={() => void claim(true)}>
                Take over
              </button>
            ) : null}
          </div>
        ) : null}
        {names('presence-person')}
        {holder && !takenOver ? (
          <div data-testid="presence-read-only" style={{ marginTop: 6 }}>
            {keepReading ? (
              <span>Read-only while {holder.name} edits. </span>
            ) : (
              <span>
                The form is read-only: <strong>{holder.name}</strong> is typing in it since {time(holder.since)}.{' '}
              </span>
            )}
            {state?.mayEdit ? (
              <button type="button" style={button} onClick={() => void claim(true)}>
                Take over
              </button>
            ) : (
              <span>Only someone who may edit this article can take it over. </span>
            )}
            {keepReading ? null : (
              <button type="button" style={quiet} onClick={() => setKeepReading(true)}>
                Keep reading
              </button>
            )}
          </div>
        ) : null}
        {notice ? <div style={{ marginTop: 6, color: '#b72b1a' }}>{notice}</div> : null}
      </div>
    ) : null;

  return (
    <div style={{ width: '100%', fontSize: 13, lineHeight: 1.4 }} data-testid="presence-panel">
      {others.length === 0 ? <p style={{ margin: 0 }}>Only you have this article open.</p> : names('presence-panel-person')}
      {state?.lease?.mine ? <p style={{ margin: '4px 0 0' }}>You hold the article: others see it read-only.</p> : null}
      {banner ? createPortal(banner, document.body) : null}
    </div>
  );
}

export const EditingNowPanel = (props: { model: string; documentId?: string; document?: { locale?: string | null; version?: number | null } | null }) => {
  // Not before the document (and so its locale) has loaded: a beat in the wrong locale would name
  // this person where they are not.
  const locale = props.document?.locale;
  if (props.model !== ARTICLE || !props.documentId || !locale) return null;
  return {
    title: 'Editing now',
    // Keyed by place: another article or locale is another presence.
    content: (
      <EditingNow key={`${props.documentId}:${locale}`} documentId={props.documentId} locale={locale} formVersion={props.document?.version ?? null} />
    ),
  };
};
