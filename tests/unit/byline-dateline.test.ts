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

describe('wire copy in Chinese or Japanese parses as the same copy in English does', () => {
  it('a caption ending in full-width punctuation or CJK text, with no space before Credit:, is a photo', () => {
    const s = story('普京抵达哈尔滨\n\n俄罗斯总统普京在哈尔滨参观博览会。Credit: 美联社\n\n正文第一段。\n\n中俄两国领导人挥手致意（资料图）Credit: Reuters\n\n正文第二段。\n');
    expect(s.lead).toEqual({ caption: '俄罗斯总统普京在哈尔滨参观博览会。', credit: '美联社' });
    expect(s.body).toEqual([
      { type: 'paragraph', text: '正文第一段。' },
      { type: 'figure', caption: '中俄两国领导人挥手致意（资料图）', credit: 'Reuters' },
      { type: 'paragraph', text: '正文第二段。' },
    ]);
    // Japanese, ending in kana or a full-width bracket, and a full-width colon after Credit.
    expect(story('見出し\n\nプーチン大統領（中央）Credit: 共同通信\n\n本文。\n').lead).toEqual({ caption: 'プーチン大統領（中央）', credit: '共同通信' });
    expect(story('見出し\n\nハルビンの博覧会を視察するプーチン大統領Credit：AP\n\n本文。\n').lead).toEqual({ caption: 'ハルビンの博覧会を視察するプーチン大統領', credit: 'AP' });
    expect(story('标题\n\n图为哈尔滨的教堂，\nCredit: 新华社\n\n正文。\n').lead).toEqual({ caption: '图为哈尔滨的教堂，', credit: '新华社' });
  });

  it('Latin text still needs a space before Credit:, and CJK prose that says Credit: stays a paragraph as English does', () => {
    expect(story('H\n\nA crane at dawnCredit: AP\n\nText.\n').lead).toBeNull();
    // What follows is longer than any credit line (255), as in English prose.
    const prose = `${'这是一段很长的正文，'.repeat(20)}他说：Credit: ${'这不是图片说明，'.repeat(40)}`;
    const s = story(`标题\n\n${prose}\n`);
    expect(s.lead).toBeNull();
    expect(s.body).toEqual([{ type: 'paragraph', text: prose }]);
    expect(story('标题\n\n他说这是他的功劳。Credit:\n\n正文。\n').lead).toBeNull(); // nothing after it
  });

  it('Chinese and Japanese datelines: place (agency) and a dash; 【place＝agency】; a Xinhua dispatch', () => {
    const cases: Array<[string, string, string]> = [
      ['哈尔滨（美联社）——俄罗斯总统普京抵达。', '哈尔滨', '俄罗斯总统普京抵达。'],
      ['中国哈尔滨（美联社）— 俄罗斯总统普京抵达。', '中国哈尔滨', '俄罗斯总统普京抵达。'],
      ['北京，5月17日（美联社）——中俄两国签署协议。', '北京，5月17日', '中俄两国签署协议。'],
      ['ハルビン（AP）― プーチン大統領が到着した。', 'ハルビン', 'プーチン大統領が到着した。'],
      ['東京（ロイター）－日経平均は続伸。', '東京', '日経平均は続伸。'],
      ['【北京＝共同】中国外務省は17日、発表した。', '北京', '中国外務省は17日、発表した。'],
      ['【ワシントン時事】米政府は声明を出した。', 'ワシントン', '米政府は声明を出した。'],
      ['新华社北京5月17日电 国家主席习近平会见普京。', '北京', '国家主席习近平会见普京。'],
      ['本报哈尔滨5月17日电（记者 王芳）博览会开幕。', '哈尔滨', '博览会开幕。'],
    ];
    for (const [paragraph, dateline, rest] of cases) {
      const s = story(`标题\n\n${paragraph}\n\n第二段。\n`);
      expect([paragraph, s.dateline, s.body[0]]).toEqual([paragraph, dateline, { type: 'paragraph', text: rest }]);
    }
    // After a lead photo, as in English.
    const s = story('标题\n\n博览会。Credit: 美联社\n\n哈尔滨（美联社）——正文。\n');
    expect([s.lead?.credit, s.dateline, s.body[0]]).toEqual(['美联社', '哈尔滨', { type: 'paragraph', text: '正文。' }]);
  });

  it('CJK prose with a parenthesis or a dash is not a dateline', () => {
    for (const text of [
      '他说（这是真的）——我们会回来。', // a parenthesis that is a clause, not an agency
      '我（美联社）——', // nothing after the dash
      '中国经济——增长放缓。', // no agency
      '据美联社报道，普京抵达哈尔滨。',
      '【重要】通知。', // a bracketed label names no agency
      '这是一段（美联社，记者）——正文。',
    ]) {
      const s = story(`标题\n\n${text}\n`);
      expect([text, s.dateline]).toEqual([text, null]);
    }
  });
});
