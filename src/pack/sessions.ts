/**
 * onnxruntime-node sessions and the choice of execution provider.
 *
 * - `cpu`: CPU only.
 * - `cuda`: CUDA or fail (PROVIDER_UNAVAILABLE) when the CUDA provider is not installed or cannot start.
 * - `auto`: CUDA when its provider library is installed and a session starts on it; otherwise CPU, with a note
 *   saying why (the note goes into reports so users see which provider actually ran).
 *
 * onnxruntime-node ships the CUDA provider as a separate library (libonnxruntime_providers_cuda.so) installed
 * next to its binding only on request; its presence is the cheap first check, starting a session is the real one.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';

const log = logger('pack');

/** What the user asks for. */
export type ProviderChoice = 'cpu' | 'cuda' | 'auto';

/** The provider that actually runs, with a note when `auto` fell back. */
export interface ProviderResolution {
  readonly requested: ProviderChoice;
  readonly used: 'cpu' | 'cuda';
  readonly note?: string;
}

/** True when onnxruntime-node's CUDA provider library is installed next to its native binding. */
export function cudaProviderInstalled(): boolean {
  if (process.platform !== 'linux' && process.platform !== 'win32') return false;
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve('onnxruntime-node/package.json'));
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch, lib));
  } catch (e) {
    log.debug(`could not locate onnxruntime-node: ${(e as Error).message}`);
    return false;
  }
}

/**
 * Intra-op threads do not spin-wait between operators: on a small or shared CPU, spinning threads burn the cores
 * the other threads need (measured on the 2-core machine: the reference UNet ran 1.7× faster, at half the CPU).
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

async function createOn(path: string, provider: 'cpu' | 'cuda'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { ...SESSION_OPTIONS, executionProviders: [provider] });
}

/**
 * Opens ONNX sessions for one pack on one provider. The first session decides the provider (so that all of a
 * pack's models run on the same one); later sessions reuse the decision.
 */
export class SessionFactory {
  private resolution: ProviderResolution | undefined;

  constructor(private readonly requested: ProviderChoice) {}

  /** The provider decision, once the first session has been opened. */
  get provider(): ProviderResolution {
    return this.resolution ?? { requested: this.requested, used: this.requested === 'cuda' ? 'cuda' : 'cpu' };
  }

  /** Opens the ONNX model at `path` (`label` names the pack file in error messages). */
  async open(path: string, label: string): Promise<ort.InferenceSession> {
    const used = this.resolution?.used ?? await this.decide(path, label);
    try {
      return await createOn(path, used);
    } catch (e) {
      throw new DpHyperLoraError('PACK_INVALID', `pack file ${label} could not be loaded by onnxruntime (${(e as Error).message}); the pack is damaged or needs a newer runtime.`,
        { cause: e, details: { file: label } });
    }
  }

  private async decide(path: string, label: string): Promise<'cpu' | 'cuda'> {
    if (this.requested === 'cpu') {
      this.resolution = { requested: 'cpu', used: 'cpu' };
      return 'cpu';
    }
    const why = await this.cudaProblem(path);
    if (why === undefined) {
      this.resolution = { requested: this.requested, used: 'cuda' };
      return 'cuda';
    }
    if (this.requested === 'cuda') {
      throw new DpHyperLoraError('PROVIDER_UNAVAILABLE',
        `--provider cuda was requested but ${why}. Install the CUDA build of onnxruntime-node (npm install onnxruntime-node --onnxruntime-node-install-cuda=v12) or use --provider cpu or auto.`,
        { details: { file: label } });
    }
    const note = `CUDA not used (${why}); ran on CPU.`;
    log.debug(note);
    this.resolution = { requested: 'auto', used: 'cpu', note };
    return 'cpu';
  }

  /** Undefined when CUDA works for this model, else a short reason. */
  private async cudaProblem(path: string): Promise<string | undefined> {
    if (!cudaProviderInstalled()) return 'the onnxruntime CUDA provider is not installed';
    try {
      const s = await createOn(path, 'cuda');
      await s.release();
      return undefined;
    } catch (e) {
      return `the CUDA provider failed to start (${(e as Error).message.split('\n')[0]})`;
    }
  }
}
