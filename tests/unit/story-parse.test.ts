import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  StorySchema,
  formatStoryError,
  parseStory,
  parseStoryBytes,
  slugify,
  type BodyBlock,
  type ParseResult,
  type Story,
  type StoryError,
} from '../../src/story';

const BUNDLED_NAME = '000_2783d38fba8e7824';
const BUNDLED_PATH = path.join(__dirname, '../../data/stories', `${BUNDLED_NAME}.txt`);

function expectStory(result: ParseResult): Story {
  if (!result.ok) {
    throw new Error(`expected a story, got error: ${formatStoryError(result.error)}`);
  }
  return result.story;
}

function expectError(result: ParseResult): StoryError {
  if (result.ok) {
    throw new Error(`expected an error, got story "${result.story.headline}"`);
  }
  return result.error;
}

function paragraphs(story: Story): string[] {
  return story.body.flatMap((block) => (block.type === 'paragraph' ? [block.text] : []));
}

function figures(story: Story): Array<Extract<BodyBlock, { type: 'figure' }>> {
  return story.body.flatMap((block) => (block.type === 'figure' ? [block] : []));
}

function lines(...text: string[]): string {
  return text.join('\n');
}

describe('the bundled story', () => {
  const fileName = `data/stories/${BUNDLED_NAME}.txt`;
  const story = expectStory(parseStoryBytes(readFileSync(BUNDLED_PATH), fileName));

  it('takes its source from the file base name', () => {
    expect(story.source).toBe(BUNDLED_NAME);
  });

  it('keeps the headline as written, straight quotes included', () => {
    expect(story.headline).toBe("Putin visits China's 'Little Moscow' as allies continue to discuss trade");
  });

  it('has a lead photo credited AP', () => {
    expect(story.lead).not.toBeNull();
    expect(story.lead?.credit).toBe('AP');
    expect(story.lead?.caption.startsWith('Russian President Vladimir Putin, left,')).toBe(true);
    expect(story.lead?.caption.endsWith('on May 16, 2024.')).toBe(true);
  });

  it('has 13 body paragraphs in reading order', () => {
    const texts = paragraphs(story);
    expect(texts).toHaveLength(13);
    expect(texts[0]).toBe(
      'Russian President Vladimir Putin focused on trade and cultural exchanges on the second day of his state visit to China.',
    );
    expect(texts[5].startsWith('Their joint statement')).toBe(true);
    expect(texts[6].startsWith('Russia’s Putin has become isolated')).toBe(true);
    expect(texts[12].startsWith('Xi and Putin have a longstanding agreement')).toBe(true);
  });

  it('has exactly one figure in the body, after the sixth paragraph', () => {
    expect(figures(story)).toHaveLength(1);
    const figure = story.body[6];
    expect(figure.type).toBe('figure');
    if (figure.type !== 'figure') return;
    expect(figure.credit).toBe('AP');
    expect(figure.caption.startsWith('President Xi Jinping and President Vladimir Putin wave')).toBe(true);
    expect(figure.caption.endsWith('May 16, 2024')).toBe(true);
    expect(figure.caption.endsWith('.')).toBe(false);
    expect(story.body[5]).toMatchObject({ type: 'paragraph' });
    expect(story.body[7]).toMatchObject({ type: 'paragraph' });
  });

  it('drops the promotional footer', () => {
    expect(JSON.stringify(story)).not.toContain('Want a quick and expert briefing');
    expect(JSON.stringify(story)).not.toContain('What You Need To Know');
    expect(story.body[story.body.length - 1]).toEqual({
      type: 'paragraph',
      text: 'Xi and Putin have a longstanding agreement to visit each other’s countries once a year, and Xi was welcomed at the Kremlin last year.',
    });
  });

  it('keeps curly quotes intact', () => {
    const second = paragraphs(story)[1];
    expect(second).toContain('China’s leader');
    expect(second).toContain('“no-limits”');
    expect(JSON.stringify(story)).not.toContain("China's leader");
  });

  it('hashes headline, lead and body', () => {
    const expected = createHash('sha256')
      .update(JSON.stringify({ headline: story.headline, lead: story.lead, body: story.body }))
      .digest('hex');
    expect(story.contentHash).toBe(expected);
  });

  it('passes the schema the importer trusts', () => {
    expect(StorySchema.safeParse(story).success).toBe(true);
  });

  it('parses the same from text as from bytes', () => {
    const fromText = expectStory(parseStory(readFileSync(BUNDLED_PATH, 'utf8'), fileName));
    expect(fromText).toEqual(story);
  });
});

describe('noise that does not change the story', () => {
  const clean = lines(
    'Harbour bridge reopens after repairs',
    '',
    'Crews finished the work overnight. Credit: AP',
    '',
    'The bridge reopened on Monday morning after',
    'three weeks of repairs.',
    '',
    'Traffic was light.',
    '',
    '',
    'Subscribe to our newsletter.',
    '',
  );
  const cleanStory = expectStory(parseStory(clean, 'stories/bridge.txt'));

  it('parses the clean version as expected', () => {
    expect(cleanStory.headline).toBe('Harbour bridge reopens after repairs');
    expect(cleanStory.lead).toEqual({ caption: 'Crews finished the work overnight.', credit: 'AP' });
    expect(cleanStory.body).toEqual([
      { type: 'paragraph', text: 'The bridge reopened on Monday morning after three weeks of repairs.' },
      { type: 'paragraph', text: 'Traffic was light.' },
    ]);
  });

  it('ignores a UTF-8 byte-order mark', () => {
    const story = expectStory(parseStory(`\uFEFF${clean}`, 'stories/bridge.txt'));
    expect(story.headline).toBe(cleanStory.headline);
    expect(story.contentHash).toBe(cleanStory.contentHash);
  });

  it('ignores a byte-order mark in the bytes', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(clean, 'utf8')]);
    expect(expectStory(parseStoryBytes(bytes, 'stories/bridge.txt'))).toEqual(cleanStory);
  });

  it('ignores CRLF line ends', () => {
    const story = expectStory(parseStory(clean.replace(/\n/g, '\r\n'), 'stories/bridge.txt'));
    expect(story).toEqual(cleanStory);
  });

  it('ignores lone CR line ends', () => {
    const story = expectStory(parseStory(clean.replace(/\n/g, '\r'), 'stories/bridge.txt'));
    expect(story.contentHash).toBe(cleanStory.contentHash);
  });

  it('ignores trailing spaces and tabs', () => {
    const noisy = clean
      .split('\n')
      .map((line) => `${line}  \t `)
      .join('\n');
    const story = expectStory(parseStory(noisy, 'stories/bridge.txt'));
    expect(story).toEqual(cleanStory);
  });

  it('changes the hash when a word changes', () => {
    const story = expectStory(parseStory(clean.replace('Traffic was light.', 'Traffic was heavy.'), 'x.txt'));
    expect(story.contentHash).not.toBe(cleanStory.contentHash);
  });

  it('changes the hash when only a photo credit changes', () => {
    const story = expectStory(parseStory(clean.replace('Credit: AP', 'Credit: Reuters'), 'x.txt'));
    expect(story.contentHash).not.toBe(cleanStory.contentHash);
  });

  it('does not change the hash when only the footer changes', () => {
    const story = expectStory(parseStory(clean.replace('Subscribe', 'Listen'), 'stories/bridge.txt'));
    expect(story.contentHash).toBe(cleanStory.contentHash);
  });

  it('keeps the file base name as source whatever the directory', () => {
    expect(expectStory(parseStory(clean, '/srv/wire/2024/bridge.txt')).source).toBe('bridge');
    expect(expectStory(parseStory(clean, 'bridge')).source).toBe('bridge');
  });
});

describe('characters are kept as written', () => {
  it('keeps curly quotes, em dashes and other punctuation', () => {
    const paragraph = '“We won’t go back,” she said — firmly – and left… ‘for good’.';
    const story = expectStory(parseStory(lines('Quotes — and dashes', '', paragraph), 'q.txt'));
    expect(story.headline).toBe('Quotes — and dashes');
    expect(story.body).toEqual([{ type: 'paragraph', text: paragraph }]);
  });

  it('does not apply Unicode normalisation', () => {
    const decomposed = 'Cafe\u0301 owners protest';
    const story = expectStory(parseStory(lines(decomposed, '', 'Owners of the cafe\u0301 met.'), 'n.txt'));
    expect(story.headline).toBe(decomposed);
    expect(story.headline).not.toBe(decomposed.normalize('NFC'));
  });

  it('handles CJK headline and paragraphs, and its slug falls back to the hash', () => {
    const text = lines('北京举行新闻发布会', '', '发言人表示，会议将于明天举行。', '', '“我们欢迎各方参与。”他说。');
    const story = expectStory(parseStory(text, 'stories/cjk.txt'));
    expect(story.headline).toBe('北京举行新闻发布会');
    expect(paragraphs(story)).toEqual(['发言人表示，会议将于明天举行。', '“我们欢迎各方参与。”他说。']);
    expect(slugify(story.headline, story.contentHash)).toBe(`story-${story.contentHash.slice(0, 8)}`);
    expect(slugify(story.headline, story.contentHash)).toMatch(/^story-[0-9a-f]{8}$/);
  });
});

describe('photos', () => {
  function leadOf(block: string): Story['lead'] {
    return expectStory(parseStory(lines('Headline', '', block, '', 'A paragraph.'), 'p.txt')).lead;
  }

  it('reads a multi-word credit', () => {
    expect(leadOf('Fans celebrate in the square. Credit: Getty Images')).toEqual({
      caption: 'Fans celebrate in the square.',
      credit: 'Getty Images',
    });
  });

  it('reads a credit with a slash and a dot', () => {
    expect(leadOf('Protesters gather outside parliament in Warsaw. Credit: Agencja Wyborcza.pl/Reuters')).toEqual({
      caption: 'Protesters gather outside parliament in Warsaw.',
      credit: 'Agencja Wyborcza.pl/Reuters',
    });
  });

  it('keeps a caption without a full stop as it is', () => {
    expect(leadOf('The mayor at the opening on Monday Credit: AP')).toEqual({
      caption: 'The mayor at the opening on Monday',
      credit: 'AP',
    });
  });

  it('treats "credit" inside a caption as a word', () => {
    expect(leadOf('A customer pays with a credit card in Lagos. Credit: Reuters')).toEqual({
      caption: 'A customer pays with a credit card in Lagos.',
      credit: 'Reuters',
    });
    expect(leadOf('Credit Suisse shares fell sharply. Credit: Bloomberg')).toEqual({
      caption: 'Credit Suisse shares fell sharply.',
      credit: 'Bloomberg',
    });
  });

  it('joins a wrapped caption and reads the credit from its last line', () => {
    expect(leadOf('Fans celebrate\nin the square. Credit: AP')).toEqual({
      caption: 'Fans celebrate in the square.',
      credit: 'AP',
    });
  });

  it('reads a bare credit as a photo with an empty caption', () => {
    expect(leadOf('Credit: AP')).toEqual({ caption: '', credit: 'AP' });
  });

  it('treats "credit" inside a paragraph as a word', () => {
    const texts = [
      'Credit Suisse shares fell 5 per cent on Monday, and credit markets tightened.',
      'The agency cut the bank’s credit: rating outlook to negative.',
      'He said the team deserved the Credit:',
      'Credit: where it is due. Credit: and again: Credit:',
    ];
    const story = expectStory(parseStory(lines('Banks', '', ...texts.flatMap((t) => [t, ''])), 'c.txt'));
    expect(story.lead).toBeNull();
    expect(story.body).toEqual(texts.map((text) => ({ type: 'paragraph', text })));
  });

  it('allows a story with no photo', () => {
    const story = expectStory(parseStory(lines('Headline', '', 'One.', '', 'Two.'), 'n.txt'));
    expect(story.lead).toBeNull();
    expect(story.body).toEqual([
      { type: 'paragraph', text: 'One.' },
      { type: 'paragraph', text: 'Two.' },
    ]);
  });

  it('puts a second photo before the first paragraph into the body', () => {
    const text = lines('Headline', '', 'First photo. Credit: AP', '', 'Second photo Credit: Getty Images', '', 'Text.');
    const story = expectStory(parseStory(text, 'two.txt'));
    expect(story.lead).toEqual({ caption: 'First photo.', credit: 'AP' });
    expect(story.body).toEqual([
      { type: 'figure', caption: 'Second photo', credit: 'Getty Images' },
      { type: 'paragraph', text: 'Text.' },
    ]);
  });

  it('keeps a photo that is the last block before the footer', () => {
    const text = lines('Headline', '', 'Text.', '', 'Closing photo. Credit: AP', '', '', 'Read more at our site.');
    const story = expectStory(parseStory(text, 'last.txt'));
    expect(story.lead).toBeNull();
    expect(story.body).toEqual([
      { type: 'paragraph', text: 'Text.' },
      { type: 'figure', caption: 'Closing photo.', credit: 'AP' },
    ]);
  });
});

describe('blocks and the footer', () => {
  it('keeps the last paragraph when there is no footer', () => {
    const story = expectStory(parseStory(lines('Headline', '', 'One.', '', 'Two.', '', 'Last one.', '', '', ''), 'f.txt'));
    expect(paragraphs(story)).toEqual(['One.', 'Two.', 'Last one.']);
  });

  it('drops everything after the last double blank line, however many blocks', () => {
    const text = lines('Headline', '', 'One.', '', '', 'Two.', '', '', '', 'Footer one.', '', 'Footer two.');
    const story = expectStory(parseStory(text, 'f.txt'));
    expect(paragraphs(story)).toEqual(['One.', 'Two.']);
  });

  it('does not take a double blank line straight after the headline for a footer break', () => {
    const story = expectStory(parseStory(lines('Headline', '', '', 'Only paragraph.'), 'f.txt'));
    expect(paragraphs(story)).toEqual(['Only paragraph.']);
  });

  it('does not take a double blank line after the lead photo for a footer break', () => {
    const story = expectStory(parseStory(lines('Headline', '', 'Photo. Credit: AP', '', '', 'Text.'), 'f.txt'));
    expect(story.lead).toEqual({ caption: 'Photo.', credit: 'AP' });
    expect(paragraphs(story)).toEqual(['Text.']);
  });

  it('still finds the footer when the headline is followed by a double blank line', () => {
    const text = lines('Headline', '', '', 'Body.', '', '', 'Footer.');
    expect(paragraphs(expectStory(parseStory(text, 'f.txt')))).toEqual(['Body.']);
  });

  it('reads lines under the headline without a blank line as the next block', () => {
    const story = expectStory(parseStory(lines('', '  Headline  ', 'First paragraph', 'continues.', '', 'Second.'), 'h.txt'));
    expect(story.headline).toBe('Headline');
    expect(paragraphs(story)).toEqual(['First paragraph continues.', 'Second.']);
  });

  it('trims whitespace only at block edges', () => {
    const story = expectStory(parseStory(lines('Headline', '', '   Indented  start.'), 'w.txt'));
    expect(paragraphs(story)).toEqual(['Indented  start.']);
  });
});

describe('errors name the file and the problem', () => {
  it('rejects an empty file', () => {
    const error = expectError(parseStory('', 'stories/empty.txt'));
    expect(error).toEqual({ file: 'stories/empty.txt', message: 'file is empty' });
    expect(formatStoryError(error)).toBe('stories/empty.txt: file is empty');
  });

  it('rejects a whitespace-only file', () => {
    expect(expectError(parseStory(' \n\t\r\n  \r\n\n', 'stories/blank.txt'))).toEqual({
      file: 'stories/blank.txt',
      message: 'file is empty',
    });
    expect(expectError(parseStory('\uFEFF\n', 'stories/bom.txt')).message).toBe('file is empty');
  });

  it('rejects a headline with no body', () => {
    const error = expectError(parseStory('Just a headline\n', 'stories/h.txt'));
    expect(formatStoryError(error)).toBe('stories/h.txt: story has no body paragraph');
  });

  it('rejects a headline with only photos', () => {
    const text = lines('Headline', '', 'A photo. Credit: AP', '', 'Another. Credit: Reuters');
    expect(formatStoryError(expectError(parseStory(text, 'stories/p.txt')))).toBe(
      'stories/p.txt: story has no body paragraph',
    );
  });

  it('rejects a headline of 301 code points, giving its line', () => {
    const headline = 'é'.repeat(301);
    const error = expectError(parseStory(lines('', '', headline, '', 'Body.'), 'stories/long.txt'));
    expect(error.line).toBe(3);
    expect(error.message).toContain('300');
    expect(error.message).toContain('301');
    expect(formatStoryError(error)).toBe('stories/long.txt:3: headline is longer than 300 characters (301)');
  });

  it('accepts a headline of exactly 300 emoji, though its UTF-16 length is 600', () => {
    const headline = '😀'.repeat(300);
    expect(headline.length).toBe(600);
    const story = expectStory(parseStory(lines(headline, '', 'Body.'), 'emoji.txt'));
    expect(story.headline).toBe(headline);
  });

  it('accepts 300 supplementary CJK ideographs and rejects 301', () => {
    const ideograph = '\u{20000}';
    expect(expectStory(parseStory(lines(ideograph.repeat(300), '', '正文。'), 'cjk.txt')).headline).toHaveLength(600);
    expect(expectError(parseStory(lines(ideograph.repeat(301), '', '正文。'), 'cjk.txt')).message).toBe(
      'headline is longer than 300 characters (301)',
    );
  });

  it('rejects invalid UTF-8, naming file and line', () => {
    const bytes = Buffer.concat([Buffer.from('Headline\n\nCaf', 'utf8'), Buffer.from([0xe9]), Buffer.from(' owners.\n')]);
    const error = expectError(parseStoryBytes(bytes, 'stories/latin1.txt'));
    expect(error.file).toBe('stories/latin1.txt');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/not valid UTF-8/);
    expect(error.message).toContain('0xe9');
    expect(formatStoryError(error)).toMatch(/^stories\/latin1\.txt:3: file is not valid UTF-8/);
  });

  it('rejects overlong and surrogate UTF-8 encodings', () => {
    const overlong = Buffer.from([0x48, 0x0a, 0x0a, 0xc0, 0xaf]);
    const surrogate = Buffer.from([0x48, 0x0a, 0x0a, 0xed, 0xa0, 0x80]);
    expect(expectError(parseStoryBytes(overlong, 'o.txt')).message).toMatch(/not valid UTF-8/);
    expect(expectError(parseStoryBytes(surrogate, 's.txt')).message).toMatch(/not valid UTF-8/);
  });

  it('rejects binary content with a NUL byte', () => {
    const bytes = Buffer.from('Headline\n\nBody\u0000with a NUL.\n', 'utf8');
    const error = expectError(parseStoryBytes(bytes, 'stories/binary.bin'));
    expect(error.file).toBe('stories/binary.bin');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/binary.*NUL/);
  });

  it('rejects other control characters but accepts tabs', () => {
    const bell = expectError(parseStoryBytes(Buffer.from('Headline\n\nDing\u0007\n'), 'bell.txt'));
    expect(bell.message).toContain('U+0007');
    expect(expectStory(parseStoryBytes(Buffer.from('Headline\n\nTab\there.\n'), 'tab.txt')).body).toEqual([
      { type: 'paragraph', text: 'Tab\there.' },
    ]);
  });

  it('rejects a caption longer than 1000 characters, giving its line', () => {
    const caption = `${'word '.repeat(201)}end.`;
    const error = expectError(parseStory(lines('Headline', '', 'Text.', '', `${caption} Credit: AP`), 'cap.txt'));
    expect(error.line).toBe(5);
    expect(error.message).toContain('1000');
  });

  it('never throws, whatever the text', () => {
    const inputs = ['\u0000', '\uD800 lone surrogate\n\nbody', 'Credit: AP', '\n\n\n', '\uFEFF'];
    for (const input of inputs) {
      const result = parseStory(input, 'odd.txt');
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.file).toBe('odd.txt');
    }
  });
});
