/**
 * Shared-memory tensor transport for a worker on the same machine as ComfyUI.
 *
 * The worker makes one private folder per connection, `<prefix>-<pid>-<16 hex>` in /dev/shm (RAM-backed tmpfs;
 * the OS temp folder where there is none), mode 0700, and writes a `probe` file holding a random nonce. Its
 * `hello` names the folder and the nonce; a bridge that can read the same nonce there is on the same machine and
 * answers `welcome` with `shm: true`. From then on both sides write large tensors as files in that folder (mode
 * 0600, created exclusively) and send only a small frame naming the file (./tensor-frames.ts); the receiver reads
 * the file and deletes it at once. A remote worker's folder does not exist on the bridge's machine, so it keeps
 * the WebSocket path.
 *
 * The files hold a node's input bytes for the milliseconds between write and read, readable by this user only:
 * the same trust domain as the worker's own memory. Clean-up: the reader deletes each file; the writer deletes
 * what it wrote when its call ends; the folder goes when the connection closes or the worker exits (and the bridge
 * removes it when the worker dies); folders left by dead processes (both sides killed) are removed by
 * {@link sweepStaleShmDirs} when the next worker starts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSdkError } from './errors.js';
import { SILENT_LOGGER, type SdkLogger } from './logger.js';
import { TENSOR_FILE_PATTERN, type TensorFileChannel } from './tensor-frames.js';

/** Who owns the folders: the prefix of their names, and what to tell a user when a file is wrong. */
export interface ShmNaming {
  /** Folder name prefix (lower-case letters, digits and '-'), e.g. `my-pack`; the bridge checks it. */
  readonly prefix: string;
  /** The environment variable that turns the path off (`NAME=off`), named in error messages. */
  readonly offEnv: string;
  readonly log?: SdkLogger;
}

/** The folder name pattern (`<prefix>-<pid>-<16 hex>`), checked by the bridge before it trusts a folder. */
export function shmDirPattern(prefix: string): RegExp {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(prefix)) throw new NodeSdkError('INVALID_ARGUMENT', `shared-memory folder prefix ${JSON.stringify(prefix)} must be 1-32 lower-case letters, digits or '-'.`);
  return new RegExp(`^${prefix}-(\\d+)-[0-9a-f]{16}$`);
}

/** Where the folders go: /dev/shm when it is a writable folder, else the OS temp folder. */
export function shmBase(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes folders of ours whose owning worker process is gone (left when both sides were killed). */
export function sweepStaleShmDirs(naming: ShmNaming, base = shmBase()): number {
  const log = naming.log ?? SILENT_LOGGER;
  const pattern = shmDirPattern(naming.prefix);
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(base);
  } catch (e) {
    log.debug(`cannot list ${base} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return 0;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    const path = join(base, name);
    try {
      if (lstatSync(path).uid !== process.getuid?.()) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch (e) {
      log.debug(`could not remove a stale shared-memory folder (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return removed;
}

/** One connection's shared-memory folder: writes outgoing tensors, reads (and deletes) incoming ones. */
export class SharedMemoryChannel implements TensorFileChannel {
  /** Absolute path of the folder (sent in `hello`). */
  readonly dir: string;
  /** The nonce in `<dir>/probe` (sent in `hello`; proves the bridge sees the same folder). */
  readonly probe: string;
  /** True once the bridge has confirmed it sees the folder (`welcome` with shm). */
  enabled = false;
  private readonly written = new Map<string, Set<string>>();

  constructor(private readonly naming: ShmNaming, base = shmBase()) {
    shmDirPattern(naming.prefix);
    this.dir = join(base, `${naming.prefix}-${process.pid}-${randomBytes(8).toString('hex')}`);
    this.probe = randomBytes(16).toString('hex');
    mkdirSync(this.dir, { mode: 0o700 });
    writeFileSync(join(this.dir, 'probe'), this.probe, { mode: 0o600, flag: 'wx' });
  }

  /** Writes `data` as a new owner-only file for call `id`; returns its name (for the frame header). */
  write(id: string, data: Uint8Array): string {
    const name = `${randomBytes(16).toString('hex')}.t`;
    writeFileSync(join(this.dir, name), data, { mode: 0o600, flag: 'wx' });
    let files = this.written.get(id);
    if (files === undefined) this.written.set(id, files = new Set());
    files.add(name);
    return name;
  }

  /** Reads file `name` (exactly `total` bytes) and deletes it. Throws PROTOCOL for a bad name or size. */
  read(name: string, total: number): Uint8Array {
    if (!TENSOR_FILE_PATTERN.test(name)) throw this.protocolError(`file name ${JSON.stringify(name)} is not one the bridge makes`);
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw this.protocolError(`tensor file missing (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      unlinkSync(path);
      const size = fstatSync(fd).size;
      if (size !== total) throw this.protocolError(`tensor file holds ${size} bytes, the frame says ${total}`);
      const out = Buffer.allocUnsafe(total);
      let got = 0;
      while (got < total) {
        const n = readSync(fd, out, got, total - got, got);
        if (n === 0) throw this.protocolError('tensor file ended early');
        got += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes whatever call `id` wrote that the bridge has not consumed (call ended, cancelled or failed). */
  releaseCall(id: string): void {
    for (const name of this.written.get(id) ?? []) rmSync(join(this.dir, name), { force: true });
    this.written.delete(id);
  }

  /** Stops tracking call `id`'s files: they were sent, and the bridge deletes each one as it reads it. */
  handedOver(id: string): void {
    this.written.delete(id);
  }

  /** Deletes the folder and everything in it (connection closed, worker exiting). */
  dispose(): void {
    this.enabled = false;
    this.written.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private protocolError(message: string): NodeSdkError {
    return new NodeSdkError('PROTOCOL', `shared-memory tensor: ${message}. The bridge and worker disagree; update both to the same version, or set ${this.naming.offEnv}=off.`);
  }
}
