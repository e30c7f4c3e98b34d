/** Response bodies in tests are walked by assertions, not by the type checker. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}
