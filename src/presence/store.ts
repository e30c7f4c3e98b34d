import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Who has an article open (presence) and who may write it (the edit lease), per document and
 * locale. Both live in PostgreSQL, which every instance shares, and every time is the database's
 * own `now()`, so instances with drifting clocks agree. Nothing is cleared at boot: a row ends by
 * its expiry, or when its tab says goodbye.
 */
export const PRESENCE_TABLE = 'article_edit_presence';
export const LEASE_TABLE = 'article_edit_leases';

// Its table: database/migrations/2026.12.02T00.00.00.service-tables.js.

export interface Editor {
  id: number;
  name: string;
}

export interface Ttl {
  /** Seconds a lease lives without a heartbeat. */
  lease: number;
  /** Seconds a tab stays present without a heartbeat. */
  presence: number;
}

export interface Place {
  documentId: string;
  locale: string;
}

export interface LeaseHolder {
  userId: number;
  name: string;
  since: string;
  expiresAt: string;
}

export interface PresenceState {
  /** The asking user's id: a lease of theirs in another tab does not make this one read-only. */
  me: number;
  /** Everyone else with this article open in this locale, earliest first. */
  others: Array<{ userId: number; name: string; since: string }>;
  /** The live lease, if anyone holds one. */
  lease: (LeaseHolder & { mine: boolean }) | null;
  /** Set when this tab held the lease and someone took it over. */
  takenOver: { by: string; at: string } | null;
}

interface LeaseRow {
  user_id: number;
  user_name: string;
  session_id: string;
  since: Date;
  expires_at: Date;
  live: boolean;
  taken_from_user_id: number | null;
  taken_from_session: string | null;
  taken_at: Date | null;
}

/** The name as the admin shows it: username, else first and last name, else e-mail. */
export function displayName(user: { username?: string | null; firstname?: string | null; lastname?: string | null; email?: string | null }): string {
  if (user.username) return user.username;
  const full = [user.firstname, user.lastname].filter(Boolean).join(' ');
  return full || user.email || 'Someone';
}

const iso = (value: Date | string) => new Date(value).toISOString();

async function leaseRow(db: Knex | Knex.Transaction, place: Place, lock?: 'update' | 'share'): Promise<LeaseRow | undefined> {
  const query = db(LEASE_TABLE)
    .select('user_id', 'user_name', 'session_id', 'since', 'expires_at', 'taken_from_user_id', 'taken_from_session', 'taken_at', db.raw('expires_at > now() AS live'))
    .where({ document_id: place.documentId, locale: place.locale });
  if (lock === 'update') query.forUpdate();
  if (lock === 'share') query.forShare();
  return (await query.first()) as LeaseRow | undefined;
}

/** What a tab sees: the others present, the lease, and whether its own lease was taken over. */
export async function presenceState(db: Knex, place: Place, me: Editor, session: string, ttl: Ttl): Promise<PresenceState> {
  const [rows, lease] = await Promise.all([
    db(PRESENCE_TABLE)
      .select('user_id')
      .max('user_name as user_name')
      .min('opened_at as since')
      .where({ document_id: place.documentId, locale: place.locale })
      .andWhere('user_id', '<>', me.id)
      .andWhere('seen_at', '>', db.raw(`now() - make_interval(secs => ?)`, [ttl.presence]))
      .groupBy('user_id')
      .orderBy('since', 'asc') as unknown as Promise<Array<{ user_id: number; user_name: string; since: Date }>>,
    leaseRow(db, place),
  ]);
  const live = lease?.live ? lease : undefined;
  const lost = lease && lease.taken_from_session === session && lease.taken_from_user_id === me.id && lease.session_id !== session;
  return {
    me: me.id,
    others: rows.map((row) => ({ userId: row.user_id, name: row.user_name, since: iso(row.since) })),
    lease: live
      ? { userId: live.user_id, name: live.user_name, since: iso(live.since), expiresAt: iso(live.expires_at), mine: live.session_id === session && live.user_id === me.id }
      : null,
    takenOver: lost && lease.taken_at ? { by: lease.user_name, at: iso(lease.taken_at) } : null,
  };
}

/**
 * A tab's heartbeat: it is present (since it first said so), and the lease it holds lives on.
 * Returns the token that lets the tab say goodbye without its credentials (a beacon on close).
 */
export async function heartbeat(db: Knex, place: Place, me: Editor, session: string, ttl: Ttl, mayEdit: boolean): Promise<string> {
  const token = randomBytes(16).toString('hex');
  const [row] = (await db.raw(
    `INSERT INTO ${PRESENCE_TABLE} (document_id, locale, session_id, user_id, user_name, leave_token, opened_at, seen_at)
     VALUES (?, ?, ?, ?, ?, ?, now(), now())
     ON CONFLICT (document_id, locale, session_id) DO UPDATE
       SET seen_at = now(), user_name = EXCLUDED.user_name,
           -- a tab that was gone (expired) and comes back is there since now
           opened_at = CASE WHEN ${PRESENCE_TABLE}.seen_at > now() - make_interval(secs => ?) THEN ${PRESENCE_TABLE}.opened_at ELSE now() END
     WHERE ${PRESENCE_TABLE}.user_id = EXCLUDED.user_id
     RETURNING leave_token`,
    [place.documentId, place.locale, session, me.id, me.name, token, ttl.presence]
  )).rows as Array<{ leave_token: string }>;
  // A lease lives on only while its holder may still edit the article (a role changed meanwhile).
  if (mayEdit) {
    await db(LEASE_TABLE)
      .where({ document_id: place.documentId, locale: place.locale, session_id: session, user_id: me.id })
      .andWhere('expires_at', '>', db.raw('now()'))
      .update({ expires_at: db.raw(`now() + make_interval(secs => ?)`, [ttl.lease]) });
  }
  // Rows long gone are swept now and then by whoever is here (a few at a time, rows another
  // instance is sweeping skipped; never at boot).
  if (Math.random() < 0.05) await sweep(db);
  return row?.leave_token ?? token;
}

export async function sweep(db: Knex): Promise<void> {
  for (const [table, column] of [
    [PRESENCE_TABLE, 'seen_at'],
    [LEASE_TABLE, 'expires_at'],
  ]) {
    await db.raw(
      `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${column} < now() - interval '1 hour' LIMIT 100 FOR UPDATE SKIP LOCKED)`
    );
  }
}

export type ClaimResult = { ok: true } | { ok: false; holder: LeaseHolder };

/**
 * Takes the lease for this tab: free, expired, or already this user's (another tab of theirs
 * hands it over). Held live by someone else: refused with the holder, unless `takeover`, which
 * the caller has checked the user may do; the previous holder's tab learns it on its next beat.
 */
export async function claimLease(db: Knex, place: Place, me: Editor, session: string, ttl: Ttl, takeover: boolean): Promise<ClaimResult> {
  return db.transaction(async (trx) => {
    // Serializes claims of one place: the row lock, or for a first claim the insert's key.
    const current = await leaseRow(trx, place, 'update');
    const expires = trx.raw(`now() + make_interval(secs => ?)`, [ttl.lease]);
    if (!current) {
      const inserted = await trx(LEASE_TABLE)
        .insert({ document_id: place.documentId, locale: place.locale, user_id: me.id, user_name: me.name, session_id: session, since: trx.raw('now()'), expires_at: expires })
        .onConflict(['document_id', 'locale'])
        .ignore()
        .returning('user_id');
      if (inserted.length > 0) return { ok: true } as const;
      return claimAgain(trx, place, me, session, ttl, takeover);
    }
    return settle(trx, place, current, me, session, ttl, takeover);
  });
}

async function claimAgain(trx: Knex.Transaction, place: Place, me: Editor, session: string, ttl: Ttl, takeover: boolean): Promise<ClaimResult> {
  const current = await leaseRow(trx, place, 'update');
  if (!current) throw new Error('edit lease vanished while it was claimed');
  return settle(trx, place, current, me, session, ttl, takeover);
}

async function settle(trx: Knex.Transaction, place: Place, current: LeaseRow, me: Editor, session: string, ttl: Ttl, takeover: boolean): Promise<ClaimResult> {
  const expires = trx.raw(`now() + make_interval(secs => ?)`, [ttl.lease]);
  const where = { document_id: place.documentId, locale: place.locale };
  if (current.live && current.session_id === session && current.user_id === me.id) {
    await trx(LEASE_TABLE).where(where).update({ expires_at: expires });
    return { ok: true };
  }
  if (current.live && current.user_id !== me.id && !takeover) {
    return { ok: false, holder: { userId: current.user_id, name: current.user_name, since: iso(current.since), expiresAt: iso(current.expires_at) } };
  }
  const takenFrom = current.live && current.user_id !== me.id;
  await trx(LEASE_TABLE)
    .where(where)
    .update({
      user_id: me.id,
      user_name: me.name,
      session_id: session,
      since: trx.raw('now()'),
      expires_at: expires,
      // Another tab of the same user, or an expired lease, is not a takeover: nobody is told.
      taken_from_user_id: takenFrom ? current.user_id : null,
      taken_from_name: takenFrom ? current.user_name : null,
      taken_from_session: takenFrom ? current.session_id : null,
      taken_at: takenFrom ? trx.raw('now()') : null,
    });
  return { ok: true };
}

/** A tab leaves: it is no longer present, and the lease it held is free. */
export async function leave(db: Knex, place: Place | null, session: string, token: string): Promise<boolean> {
  const gone = (await db(PRESENCE_TABLE)
    .where({ session_id: session, leave_token: token, ...(place ? { document_id: place.documentId, locale: place.locale } : {}) })
    .delete()
    .returning(['document_id', 'locale'])) as Array<{ document_id: string; locale: string }>;
  for (const row of gone) {
    await db(LEASE_TABLE).where({ document_id: row.document_id, locale: row.locale, session_id: session }).delete();
  }
  return gone.length > 0;
}

/**
 * The live lease on this document (a locale, or any of its locales) held by someone other than
 * `userId`, read in the write's transaction and share-locked: a takeover waits for the write.
 */
export async function leaseHeldByOther(trx: Knex.Transaction, documentId: string, locales: string[] | undefined, userId: number): Promise<LeaseHolder | null> {
  // Every lease row of the place is share-locked, the writer's own too: a takeover (which locks
  // the row for update) waits until this write has committed or rolled back.
  const query = trx(LEASE_TABLE)
    .select('user_id', 'user_name', 'since', 'expires_at', trx.raw('expires_at > now() AS live'))
    .where({ document_id: documentId })
    .forShare();
  if (locales) query.whereIn('locale', locales);
  const rows = (await query) as Array<{ user_id: number; user_name: string; since: Date; expires_at: Date; live: boolean }>;
  const row = rows.find((r) => r.live && r.user_id !== userId);
  return row ? { userId: row.user_id, name: row.user_name, since: iso(row.since), expiresAt: iso(row.expires_at) } : null;
}
