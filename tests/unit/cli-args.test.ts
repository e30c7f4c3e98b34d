import { parseImportArgs } from '../../scripts/import';
import { parseFlags, UsageError } from '../../scripts/bench/flags';

describe('npm run import: its command line (util.parseArgs)', () => {
  it('takes flags in any order, with a value after a space or an =, and paths after --', () => {
    const parsed = parseImportArgs(['--draft', 'a.txt', '--section=world-news', '--locale', 'ru', '--', '--odd-name.txt']);
    expect(parsed).toEqual({
      ok: true,
      options: { draft: true, dryRun: false, force: false, locale: 'ru', section: 'world-news', publishAt: undefined, paths: ['a.txt', '--odd-name.txt'] },
    });
    const publishAt = parseImportArgs(['--publish-at', '2027-03-28T06:00:00Z', '--dry-run', '--force', 'dir']);
    expect(publishAt.ok && publishAt.options).toMatchObject({ dryRun: true, force: true, locale: 'en', publishAt: new Date('2027-03-28T06:00:00Z'), paths: ['dir'] });
  });

  it('refuses, with a message: an unknown option, a missing value, a bad value, no path', () => {
    const message = (argv: string[]) => {
      const parsed = parseImportArgs(argv);
      return parsed.ok ? 'accepted' : parsed.message;
    };
    expect(message(['--bogus', 'a.txt'])).toMatch(/--bogus/);
    expect(message(['a.txt', '--section'])).toMatch(/--section/);
    expect(message(['--section', '--draft', 'a.txt'])).toMatch(/--section/); // not a slug called "--draft"
    expect(message(['--draft=yes', 'a.txt'])).toMatch(/--draft/);
    expect(message(['--section', 'Not A Slug', 'a.txt'])).toMatch(/slug/);
    expect(message(['--publish-at', 'tomorrow', 'a.txt'])).toMatch(/ISO 8601/);
    expect(message(['--locale', 'xx', 'a.txt'])).not.toBe('accepted');
    expect(message(['--draft'])).toMatch(/at least one/);
  });
});

describe('npm run bench: its command line', () => {
  it('reads values and switches, defaults the rest', () => {
    expect(parseFlags(['--quick', '--articles=200', '--only', '1,5', '--cpu-prof'])).toMatchObject({ quick: true, articles: 200, only: [1, 5], cpuProf: true, edge: false });
    expect(parseFlags([])).toMatchObject({ quick: false, articles: 1000, cpuProf: false });
  });

  it('refuses unknown flags, missing values and bad values as usage errors', () => {
    for (const argv of [['--nope'], ['--articles'], ['--articles', 'many'], ['--only', 'a,b'], ['stray']]) {
      expect(() => parseFlags(argv)).toThrow(UsageError);
    }
  });
});
