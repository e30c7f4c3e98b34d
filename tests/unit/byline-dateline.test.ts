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

  it('the issue examples, and a caption ending in the katakana ー (no script of its own), are photos', () => {
    expect(story('标题\n\n普京在哈尔滨。Credit: AP\n\n正文。\n').lead).toEqual({ caption: '普京在哈尔滨。', credit: 'AP' });
    expect(story('見出し\n\nプーチン大統領（中央）Credit: 共同通信\n\n本文。\n').lead).toEqual({ caption: 'プーチン大統領（中央）', credit: '共同通信' });
    expect(story('見出し\n\nハルビンの屋台で売られるコーヒーCredit: AP\n\n本文。\n').lead).toEqual({ caption: 'ハルビンの屋台で売られるコーヒー', credit: 'AP' });
    expect(story('見出し\n\nニューヨーク・タイムズスクエアCredit：ロイター\n\n本文。\n').lead).toEqual({ caption: 'ニューヨーク・タイムズスクエア', credit: 'ロイター' });
  });

  it('"Credit:" in prose is a photo or a paragraph in CJK exactly when it is in English', () => {
    const kind = (block: string) => {
      const s = story(`H\n\n${block}\n\nText.\n`);
      return s.lead ? 'photo' : 'paragraph';
    };
    const longTail = (unit: string) => unit.repeat(Math.ceil(300 / unit.length));
    const pairs: Array<[string, string, 'photo' | 'paragraph']> = [
      // Mid-sentence in a long paragraph: what follows is longer than any credit line.
      [`The board gave him Credit: ${longTail('for the rescue, and more, ')}`, `董事会把功劳归于他，Credit: ${longTail('因为他救了大家，')}`, 'paragraph'],
      // Right after an opening bracket or quote: no space in English, an opening mark in CJK.
      ['A card (Credit: Visa) is accepted.', '信用卡（Credit: 维萨）可以使用。', 'paragraph'],
      ['He said "Credit: none".', '他说「Credit: 没有」。', 'paragraph'],
      // Nothing after it, or another Credit: after it.
      ['He deserves the Credit:', '他应得的Credit：', 'paragraph'],
      ['Credit: where due. Credit: and again: Credit:', 'Credit：应得的。Credit：再来：Credit：', 'paragraph'],
      // A short line after a closing mark or a space: the credit of a photo in both.
      ['The square at dawn. Credit: AP', '黎明时的广场。Credit: 美联社', 'photo'],
    ];
    for (const [english, cjk, expected] of pairs) {
      expect([english, kind(english)]).toEqual([english, expected]);
      expect([cjk, kind(cjk)]).toEqual([cjk, expected]);
    }
    expect(story(`H\n\n${pairs[0][1]}\n`).body).toEqual([{ type: 'paragraph', text: pairs[0][1] }]);
  });

  it('a CJK dateline gives what the English one does: the place with its region or date, no agency, the text after the dash', () => {
    const english = story('H\n\nHARBIN, China (AP) — Putin arrived.\n');
    const chinese = story('H\n\n哈尔滨，中国（美联社）—— 普京抵达。\n');
    expect([english.dateline, english.body[0]]).toEqual(['HARBIN, China', { type: 'paragraph', text: 'Putin arrived.' }]);
    expect([chinese.dateline, chinese.body[0]]).toEqual(['哈尔滨，中国', { type: 'paragraph', text: '普京抵达。' }]);
    const cases: Array<[string, string | null, string]> = [
      ['北京，5月17日（美联社）—— 正文', '北京，5月17日', '正文'],
      ['ハルビン（AP）― 本文', 'ハルビン', '本文'],
      ['【北京＝共同】本文', '北京', '本文'],
      ['ニューヨーク（ロイター）－本文', 'ニューヨーク', '本文'], // ー has no script of its own
      ['アメリカ・ニューヨーク（AFP＝時事）　本文', null, 'アメリカ・ニューヨーク（AFP＝時事）　本文'], // no dash: not one
      ['アメリカ・ニューヨーク（AFP＝時事）―　本文', 'アメリカ・ニューヨーク', '本文'],
      ['ソウル（聯合ニュース）― 本文', 'ソウル', '本文'],
      ['【北京共同】本文', '北京', '本文'],
      ['新华社北京５月１７日电 正文', '北京', '正文'],
    ];
    for (const [paragraph, dateline, rest] of cases) {
      const s = story(`标题\n\n${paragraph}\n`);
      expect([paragraph, s.dateline, s.body[0]]).toEqual([paragraph, dateline, { type: 'paragraph', text: rest }]);
    }
  });

  it('CJK prose with a parenthesis and a dash, or a bracketed label, stays a plain paragraph', () => {
    for (const text of [
      '人工智能（AI）——这项技术正在改变世界。', // an abbreviation, not an agency
      '国内生产总值（GDP）——经济的晴雨表。',
      '他们使用了新技术（ChatGPT）——效果很好。',
      '人工知能（AI）― 技術は進歩している。',
      '这本书（人民出版社）——值得一读。', // a publisher, not an agency
      '我们关注了天气（天气预报）——明天有雨。',
      '他去了电视台（湖南电视台）——录节目。',
      '这座城市（互联网）——发展很快。',
      '美联社（AP）——美国最大的通讯社。', // the agency is the subject
      '美国有线电视新闻网（CNN）——全球媒体。',
      '他说（美联社）——消息属实。', // a clause before the agency
      '日本は（共同）― 報じた。', // hiragana: Japanese prose
      '【今日新闻】今天的新闻。', // a source label, not 【place＝agency】
      '【人民日报】评论：坚持。',
      '【央视新闻】记者获悉。',
      '【新华网】消息。',
      '【ワシントン＝田中太郎】米政府は声明を出した。', // a reporter, not an agency
    ]) {
      const s = story(`标题\n\n${text}\n`);
      expect([text, s.dateline, s.body[0]]).toEqual([text, null, { type: 'paragraph', text }]);
    }
  });
});
