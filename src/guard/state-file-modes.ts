import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** The state folder's mode: its owner's only. */
const FOLDER_MODE = 0o700;
/** The database's, its WAL's and its shared memory's mode: they hold phone numbers and results. */
const FILE_MODE = 0o600;

/** Raised when a state path is looser than its owner's only and cannot be made so. */
class StateModeError extends Error {
  override readonly name = 'StateModeError';
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

// Makes `path` exactly `mode` when it is looser; says so, or throws when it cannot.
function tighten(path: string, mode: number, notes: string[]): void {
  const current = statSync(path).mode & 0o777;
  if ((current & ~mode) === 0) return;
  try {
    chmodSync(path, mode);
  } catch {
    throw new StateModeError(
      `${path} has mode ${octal(current)} and could not be made ${octal(mode)}: make it so (chmod ${octal(mode)}) or run the server as its owner.`,
    );
  }
  notes.push(`${path} was ${octal(current)}, now ${octal(mode)}`);
}

/** The database file and the two SQLite keeps beside it in WAL mode. */
const databaseFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`];

/**
 * Makes the state folder 0700 (creating it) and the database, WAL and shared-memory files 0600 where
 * they exist and are looser, as an older version may have left them. Returns a note for each path it
 * mended; throws `StateModeError` naming the path when it cannot.
 */
export function secureStateFiles(path: string): string[] {
  const notes: string[] = [];
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
  // A sticky folder is shared by design (/tmp): never made private, and no place for the state.
  if (statSync(folder).mode & 0o1000) {
    throw new StateModeError(`${folder} is a shared folder (sticky, like /tmp): give STATE_DB_PATH a folder of its own.`);
  }
  tighten(folder, FOLDER_MODE, notes);
  for (const file of databaseFiles(path)) if (existsSync(file)) tighten(file, FILE_MODE, notes);
  return notes;
}

/** Runs `open` with a umask that leaves every file it creates to its owner only. */
export function withPrivateUmask<T>(open: () => T): T {
  const previous = process.umask(0o077);
  try {
    return open();
  } finally {
    process.umask(previous);
  }
}
