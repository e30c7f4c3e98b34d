import type { Core } from '@strapi/strapi';

/** A content type whose documents the public can see, as the public view tracks it. */
export interface PublicModel {
  uid: string;
  tableName: string;
  draftAndPublish: boolean;
  /** The cache tag of its lists: any change to one of its documents can change a list of them. */
  listTag: string;
}

/** Content types whose rows reach public answers: the project's own and the media library's files. */
const TRACKED = /^(api::|plugin::upload\.file$)/;

/** Models whose changes mean "who may read what" changed: every public answer goes. */
export const PERMISSION_MODELS = new Set(['plugin::users-permissions.permission', 'plugin::users-permissions.role']);

export function listTag(singularName: string): string {
  return `list:${singularName}`;
}

export function documentTag(documentId: string): string {
  return `doc:${documentId}`;
}

/** The list tags of every content type the public view tracks. */
export function everyListTag(strapi: Core.Strapi): string[] {
  return Object.entries(strapi.contentTypes)
    .filter(([uid]) => TRACKED.test(uid))
    .map(([uid, contentType]) => listTag((contentType as { info?: { singularName?: string } }).info?.singularName ?? uid));
}

export class PublicModels {
  readonly byUid = new Map<string, PublicModel>();
  readonly byTable = new Map<string, PublicModel>();
  /** Tables of draft-and-publish content types: reading them publicly means published rows only. */
  readonly draftTables = new Set<string>();
  readonly draftUids = new Set<string>();
  /** Draft-and-publish types whose published rows end at `unpublishAt` (scheduled unpublishing). */
  readonly expiringTables = new Set<string>();
  readonly expiringUids = new Set<string>();

  constructor(strapi: Core.Strapi) {
    for (const [uid, contentType] of Object.entries(strapi.contentTypes)) {
      const schema = contentType as { options?: { draftAndPublish?: boolean }; info?: { singularName?: string }; attributes?: Record<string, { type?: string }> };
      const tableName = strapi.db.metadata.get(uid).tableName;
      const draftAndPublish = schema.options?.draftAndPublish === true;
      if (draftAndPublish) {
        this.draftTables.add(tableName);
        this.draftUids.add(uid);
        if (schema.attributes?.unpublishAt?.type === 'datetime') {
          this.expiringTables.add(tableName);
          this.expiringUids.add(uid);
        }
      }
      if (!TRACKED.test(uid)) continue;
      const model: PublicModel = { uid, tableName, draftAndPublish, listTag: listTag(schema.info?.singularName ?? uid) };
      this.byUid.set(uid, model);
      this.byTable.set(tableName, model);
    }
  }
}
