/** Response bodies in tests are walked by assertions, not by the type checker. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

/**
 * An article's edit view as the admin form sends it back on save: system fields and the given
 * relations dropped (the admin sends relations as connect/disconnect, and only when changed),
 * figures without their credit relation.
 */
export function asEditViewSends(data: Json, relations: string[]): Json {
  if (!data) return data;
  for (const key of ['id', 'documentId', 'createdAt', 'updatedAt', 'publishedAt', 'createdBy', 'updatedBy', 'status', 'localizations', 'locale', ...relations]) {
    delete data[key];
  }
  const figure = (f: Json) => {
    if (f) delete f.credit;
    return f;
  };
  figure(data.lead);
  data.body = (data.body ?? []).map((block: Json) => (block.__component === 'media.figure' ? figure(block) : block));
  return data;
}

/** Logs in to the admin and returns the JWT (the admin allows a few logins per minute per process). */
export async function adminLogin(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await json(response);
  if (!body.data?.token) throw new Error(`login failed: ${response.status} ${JSON.stringify(body)}`);
  return body.data.token;
}
