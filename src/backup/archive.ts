import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import * as tar from 'tar';
import { ArchiveError, parseManifest, type Manifest, type UploadEntry } from './manifest';

/**
 * The archive on disk: one tar file (what `tar -tf` lists), with `manifest.json` first, each
 * table's rows gzip-compressed under `data/`, and the uploaded files under `uploads/` as the
 * local provider keeps them. Built in a staging folder and renamed into place at the end, so a
 * failed backup leaves no file under the name asked for.
 */
export const MANIFEST = 'manifest.json';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !entry.name.startsWith('.')) found.push(path); // not .gitkeep
    }
  };
  walk(root);
  return found.sort();
}

/**
 * The local provider's files, copied under `staging/uploads` with their sums (copies, not links:
 * Strapi's "replace media" rewrites a file in place, and the archive must hold the bytes it was
 * summed with). `known`: paths staged already (a second pass takes only what appeared since); a
 * file deleted while this runs is left out.
 */
export async function stageUploads(uploadsDir: string, staging: string, known: ReadonlySet<string> = new Set()): Promise<UploadEntry[]> {
  const entries: UploadEntry[] = [];
  for (const source of filesUnder(uploadsDir)) {
    const path = relative(uploadsDir, source).split(sep).join('/');
    if (known.has(path)) continue;
    const target = join(staging, 'uploads', path);
    mkdirSync(dirname(target), { recursive: true });
    try {
      copyFileSync(source, target);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') continue; // deleted meanwhile
      throw error;
    }
    entries.push({ path, bytes: statSync(target).size, sha256: await sha256File(target) });
  }
  return entries;
}

/** Packs the staging folder into `file` (through `file.partial-<pid>`, renamed when complete). */
export async function packArchive(staging: string, file: string): Promise<number> {
  const partial = `${file}.partial-${process.pid}`;
  const members = [MANIFEST, 'data', 'uploads'].filter((name) => existsSync(join(staging, name)));
  const removePartial = () => rmSync(partial, { force: true });
  process.on('exit', removePartial); // interrupted: no half-written archive is left
  try {
    writeFileSync(partial, '', { mode: 0o600 }); // it holds the secrets: private from its first byte
    chmodSync(partial, 0o600);
    await tar.c({ file: partial, cwd: staging, portable: true }, members);
    renameSync(partial, file);
  } finally {
    removePartial();
    process.off('exit', removePartial);
  }
  return statSync(file).size;
}

const MEMBER = /^(manifest\.json|data\/[^/]+|uploads\/.+|data\/?|uploads\/?)$/;

/**
 * Unpacks `file` into `staging` and checks it whole before anything is restored: a tar, a
 * manifest this code reads, and every member the manifest names present, of its size and sum.
 * Anything else in the archive (links, devices, paths outside it) is refused.
 */
export async function unpackArchive(file: string, staging: string): Promise<Manifest> {
  let stat;
  try {
    stat = statSync(file); // a link to an archive (latest.backup) is followed
  } catch {
    throw new ArchiveError(`no such file: ${file}`);
  }
  if (!stat.isFile()) throw new ArchiveError(`not a file: ${file}`);
  let refused: string | null = null;
  try {
    await tar.x({
      file,
      cwd: staging,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (path, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const ok = MEMBER.test(path.replace(/^\.\//, '')) && (type === 'File' || type === 'OldFile' || type === 'Directory');
        if (!ok && !refused) refused = path;
        return ok;
      },
    });
  } catch (error) {
    throw new ArchiveError(`not a readable backup archive (${(error as Error).message.split('\n')[0]})`);
  }
  if (refused) throw new ArchiveError(`it holds ${JSON.stringify(refused)}, which no backup of this service has: not one of its archives`);
  const manifestPath = join(staging, MANIFEST);
  if (!existsSync(manifestPath)) throw new ArchiveError('it has no manifest.json: not a news-service backup');
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
  const members = [...manifest.tables.map((table) => ({ path: table.file, bytes: table.bytes, sha256: table.sha256 })), ...manifest.uploads.files.map((upload) => ({ ...upload, path: `uploads/${upload.path}` }))];
  for (const member of members) {
    const path = join(staging, member.path);
    if (!existsSync(path)) throw new ArchiveError(`${member.path} is missing: the archive is incomplete`);
    if (statSync(path).size !== member.bytes || (await sha256File(path)) !== member.sha256) {
      throw new ArchiveError(`${member.path} does not match its checksum: the archive is damaged`);
    }
  }
  return manifest;
}

/** Moves the restored uploads into the local provider's folder (the archive's files win). */
export function placeUploads(staging: string, uploads: readonly UploadEntry[], uploadsDir: string): void {
  for (const upload of uploads) {
    const target = join(uploadsDir, upload.path);
    mkdirSync(dirname(target), { recursive: true });
    const source = join(staging, 'uploads', upload.path);
    try {
      renameSync(source, target);
    } catch {
      copyFileSync(source, target);
    }
  }
}
