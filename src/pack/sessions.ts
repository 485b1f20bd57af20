/**
 * onnxruntime-node sessions and the choice of execution provider.
 *
 * - `cpu`: CPU only.
 * - `cuda`: CUDA or fail (PROVIDER_UNAVAILABLE) when the CUDA provider is not installed or cannot start.
 * - `webgpu`: WebGPU or fail (PROVIDER_UNAVAILABLE) when no WebGPU adapter can be opened.
 * - `auto`: CUDA when its provider library is installed and a session starts on it, else WebGPU when a session
 *   starts on it, else CPU, with a note saying why each GPU provider was passed over (the note goes into reports
 *   so users see which provider actually ran).
 *
 * onnxruntime-node ships the CUDA provider as a separate library (libonnxruntime_providers_cuda.so) installed
 * next to its binding only on request (its download comes from outside the npm registry); its presence is the
 * cheap first check, starting a session is the real one. The WebGPU provider (Dawn: Vulkan on Linux, D3D12 on
 * Windows, Metal on macOS) is built into the npm package itself, so it needs nothing beyond `npm install` and a
 * GPU driver; whether an adapter exists is only known by starting a session, which is tried once per process.
 *
 * Privacy: the provider changes where the encoder and the hypernetwork run, never what is released: the noise
 * is added on the CPU from `crypto` (src/dp), after the encoder and before the hypernetwork.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';

const log = logger('pack');

/** What the user asks for. */
export type ProviderChoice = 'cpu' | 'cuda' | 'webgpu' | 'auto';

/** A provider that can actually run a session. */
export type UsedProvider = 'cpu' | 'cuda' | 'webgpu';

/** The choices accepted by `--provider`, in the order `auto` would try the GPU ones. */
export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;

/** The provider that actually runs, with a note when `auto` fell back. */
export interface ProviderResolution {
  readonly requested: ProviderChoice;
  readonly used: UsedProvider;
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

async function createOn(path: string, provider: UsedProvider): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { ...SESSION_OPTIONS, executionProviders: [provider] });
}

/** The first line of an onnxruntime error, without the source-file prefix of its native message. */
function firstLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
  return line.replace(/^\/onnxruntime_src\/\S+ /, '').trim();
}

/**
 * `auto` on Linux tries WebGPU only where a GPU device node exists (/dev/dri/renderD*, /dev/nvidia*). Without one,
 * Dawn can only find a software Vulkan device, fails, and prints native errors to stderr on every start, which
 * would greet every CPU-only user of `demo`; `--provider webgpu` still tries, so its real error stays visible.
 */
export function linuxGpuDeviceMissing(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const names = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
  const found = names('/dev/dri').some((n) => n.startsWith('renderD')) || names('/dev').some((n) => /^nvidia\d/.test(n));
  return found ? undefined : 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*) on this Linux machine';
}

/** Once per process: undefined when a WebGPU session starts (on `path`), else why not. */
let webgpuVerdict: Promise<string | undefined> | undefined;

/** Undefined when WebGPU can run `path` in this process, else a short reason (onnxruntime's own words). */
export async function webgpuProblem(path: string): Promise<string | undefined> {
  webgpuVerdict ??= (async () => {
    try {
      const s = await createOn(path, 'webgpu');
      await s.release();
      return undefined;
    } catch (e) {
      return `the WebGPU provider failed to start (${firstLine(e)})`;
    }
  })();
  return webgpuVerdict;
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
    return this.resolution ?? { requested: this.requested, used: this.requested === 'auto' ? 'cpu' : this.requested };
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

  private async decide(path: string, label: string): Promise<UsedProvider> {
    if (this.requested === 'cpu') {
      this.resolution = { requested: 'cpu', used: 'cpu' };
      return 'cpu';
    }
    const notes: string[] = [];
    for (const gpu of ['cuda', 'webgpu'] as const) {
      if (this.requested !== 'auto' && this.requested !== gpu) continue;
      const why = gpu === 'cuda'
        ? await this.cudaProblem(path)
        : (this.requested === 'auto' ? linuxGpuDeviceMissing() : undefined) ?? await webgpuProblem(path);
      if (why === undefined) {
        this.resolution = { requested: this.requested, used: gpu, ...(notes.length > 0 ? { note: `${notes.join('; ')}; ran on WebGPU.` } : {}) };
        return gpu;
      }
      if (this.requested === gpu) {
        throw new DpHyperLoraError('PROVIDER_UNAVAILABLE', gpu === 'cuda'
          ? `--provider cuda was requested but ${why}. Install the CUDA 12 build of onnxruntime-node (npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12; it downloads from outside the npm registry) or use --provider cpu, webgpu or auto.`
          : `--provider webgpu was requested but ${why}. WebGPU needs a GPU with a Vulkan (Linux), D3D12 (Windows) or Metal (macOS) driver; use --provider cpu or auto.`,
        { details: { file: label } });
      }
      notes.push(`${gpu === 'cuda' ? 'CUDA' : 'WebGPU'} not used (${why})`);
    }
    const note = `${notes.join('; ')}; ran on CPU.`;
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
      return `the CUDA provider failed to start (${firstLine(e)})`;
    }
  }
}
