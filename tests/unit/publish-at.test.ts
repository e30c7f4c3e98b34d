import { parsePublishAt } from '../../scripts/import';

describe('--publish-at', () => {
  it('takes an instant with an offset as it is', () => {
    expect(parsePublishAt('2027-03-28T06:00:00Z')).toEqual({ ok: true, at: new Date('2027-03-28T06:00:00Z') });
    expect(parsePublishAt('2027-03-28T08:00:00+02:00')).toEqual({ ok: true, at: new Date('2027-03-28T06:00:00Z') });
  });

  it('refuses what is not an ISO 8601 time', () => {
    for (const bad of ['tomorrow', '28/03/2027 06:00', '2027-13-01T00:00Z', '']) expect(parsePublishAt(bad).ok).toBe(false);
  });
});
