import { nameCase, parseStory } from '../../src/story';

const story = (text: string) => {
  const parsed = parseStory(text, 'x.txt');
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.story;
};

describe('byline block', () => {
  it('a one-line block right after the headline starting "By ": the authors, all-caps names in name case', () => {
    const s = story('Headline\n\nBy DAKE KANG and EMILY WANG FUJIYAMA\n\nFirst paragraph.\n');
    expect(s.authors).toEqual(['Dake Kang', 'Emily Wang Fujiyama']);
    expect(s.body).toEqual([{ type: 'paragraph', text: 'First paragraph.' }]);
  });

  it('names split on commas, " and " and "&", any case of "by"', () => {
    expect(story('H\n\nby Anna Smith, JOHN O’NEILL & Li Wei and MØLLER-JENSEN\n\nText.\n').authors).toEqual(['Anna Smith', 'John O’Neill', 'Li Wei', 'Møller-Jensen']);
    expect(story('H\nBY JEAN-PIERRE DUPONT\n\nText.\n').authors).toEqual(['Jean-Pierre Dupont']);
  });

  it('not a byline: prose starting "By", two lines, or a later block', () => {
    expect(story('H\n\nBy the way, nobody signed this.\n\nText.\n').authors).toEqual([]);
    expect(story('H\n\nBy ANNA SMITH\nand more text\n\nText.\n').authors).toEqual([]);
    expect(story('H\n\nText first.\n\nBy ANNA SMITH\n').authors).toEqual([]);
    expect(story('H\n\nBy 2030, the city will have grown.\n').authors).toEqual([]);
  });

  it('name case leaves mixed-case names as written', () => {
    expect(nameCase('McDonald')).toBe('McDonald');
    expect(nameCase("O'NEILL")).toBe("O'Neill");
  });
});

describe('dateline', () => {
  it('PLACE, Region (AGENCY) — text: the dateline without the agency; the paragraph keeps the text', () => {
    const s = story('Putin visits\n\nHARBIN, China (AP) — Russian President Vladimir Putin arrived.\n\nMore.\n');
    expect(s.dateline).toBe('HARBIN, China');
    expect(s.body[0]).toEqual({ type: 'paragraph', text: 'Russian President Vladimir Putin arrived.' });
  });

  it('with an en dash, a spaced hyphen, no region, no agency; after the lead photo and a byline', () => {
    expect(story('H\n\nKYIV, Ukraine – Sirens sounded.\n').dateline).toBe('KYIV, Ukraine');
    expect(story('H\n\nST. PETERSBURG - The river froze.\n').dateline).toBe('ST. PETERSBURG');
    expect(story('H\n\nSÃO PAULO (Reuters) — Rain.\n').dateline).toBe('SÃO PAULO');
    const s = story('H\n\nBy ANNA SMITH\n\nA crane. Credit: AP\n\nNEW YORK (AP) — Markets rose.\n');
    expect([s.authors, s.dateline, s.lead?.credit, s.body[0]]).toEqual([['Anna Smith'], 'NEW YORK', 'AP', { type: 'paragraph', text: 'Markets rose.' }]);
  });

  it('a mixed-case opening, or none, is an ordinary paragraph (no guessing)', () => {
    for (const text of ['Harbin, China (AP) — Putin arrived.', 'The PRESIDENT — said nothing.', 'A — B', 'NATO allies met on Monday.']) {
      const s = story(`H\n\n${text}\n`);
      expect([text, s.dateline]).toEqual([text, null]);
      expect(s.body[0]).toEqual({ type: 'paragraph', text });
    }
  });

  it('a story without either hashes as before (re-imports stay "unchanged")', () => {
    const before = story('Headline\n\nA paragraph.\n');
    expect(before.authors).toEqual([]);
    expect(before.dateline).toBeNull();
    expect(before.contentHash).toBe(
      require('node:crypto').createHash('sha256').update(JSON.stringify({ headline: 'Headline', lead: null, body: [{ type: 'paragraph', text: 'A paragraph.' }] })).digest('hex')
    );
  });
});
