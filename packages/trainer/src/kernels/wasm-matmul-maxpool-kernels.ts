import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Two more WASM hot spots found by profiling a training step (CPU ms, batch 64):
 * - BatchMatMul with transposeA/transposeB (every dense layer's backward pass) takes WASM's slow path:
 *   43 ms for [64,2304]^T x [64,256] vs 6 ms for an explicit Transpose + plain MatMul. The wrapper
 *   transposes explicitly and calls WASM's own kernel.
 * - MaxPoolGrad: 65 ms for a 2x2 pool over [64,24,24,64] (forward: 3 ms). This replacement routes each
 *   output gradient to the first maximum of its window (the tfjs CPU backend's rule) in one pass.
 */
type TInfo = tf.TensorInfo;
type TKernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

let registered = false;
let wasmBatchMatMul: tf.KernelFunc | undefined;

function transposeLast2(backend: BackendWasm, x: TInfo): TInfo {
  const kernel = tf.getKernel("Transpose", "wasm");
  if (!kernel) throw new Error("wasm Transpose kernel missing");
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
  return kernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TInfo;
}

function batchMatMul(args: TKernelArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: TInfo; b: TInfo };
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const base = wasmBatchMatMul as tf.KernelFunc;
  if (!attrs.transposeA && !attrs.transposeB) return base(args as Parameters<tf.KernelFunc>[0]) as TInfo;
  const at = attrs.transposeA ? transposeLast2(backend, a) : a;
  const bt = attrs.transposeB ? transposeLast2(backend, b) : b;
  const out = base({
    inputs: { a: at, b: bt },
    backend,
    attrs: { ...args.attrs, transposeA: false, transposeB: false },
  }) as TInfo;
  if (at !== a) backend.disposeData(at.dataId);
  if (bt !== b) backend.disposeData(bt.dataId);
  return out;
}

/** The pooling geometry of a MaxPoolGrad call (shared with the native kernel). */
export function maxPoolGradInfo(
  input: TInfo,
  attrsIn: tf.NamedAttrMap | undefined,
): tf.backend_util.Conv2DInfo {
  const attrs = attrsIn as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  return tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function maxPoolGrad(args: TKernelArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: TInfo; input: TInfo };
  const info = maxPoolGradInfo(input, args.attrs);
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels: c,
    outHeight,
    outWidth,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput(input.shape, "float32");
  // Views after makeOutput: an allocation may grow (and detach) the WASM heap.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const gBase = ((n * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let wy = Math.max(0, y0); wy < Math.min(inHeight, y0 + filterHeight); wy++) {
            for (let wx = Math.max(0, x0); wx < Math.min(inWidth, x0 + filterWidth); wx++) {
              const idx = ((n * inHeight + wy) * inWidth + wx) * c + ch;
              const v = x[idx] as number;
              if (v > best || at < 0) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] as number) + (g[gBase + ch] as number);
        }
      }
    }
  }
  return out;
}

/**
 * Identity shares its input's memory (a reference count, as the CPU backend does) instead of copying it.
 * tfjs clones every tensor a gradient saves for the backward pass through this kernel; WASM's own copies,
 * which came to 186 copies per training step of `fast` (4% of its time). Tensors are immutable and no
 * kernel writes into its inputs, so a shared buffer is never seen to change (WASM's Reshape shares the same way).
 */
function identity(args: TKernelArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TInfo;
  if (x.dtype === "string") throw new Error("Identity on a string tensor");
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let wasmCast: tf.KernelFunc | undefined;

/**
 * Cast to the tensor's own dtype shares its memory too (WASM's copies it; tfjs casts float32 gradients to
 * float32, e.g. every gradient through a saved clone: 2% of a `fast` step). Other casts are WASM's.
 */
function cast(args: TKernelArgs): TInfo {
  const x = args.inputs.x as TInfo;
  if ((args.attrs as { dtype?: string } | undefined)?.dtype === x.dtype && x.dtype !== "string")
    return identity(args);
  return (wasmCast as tf.KernelFunc)(args as Parameters<tf.KernelFunc>[0]) as TInfo;
}

/**
 * Registers the BatchMatMul wrapper, the MaxPoolGrad replacement and the sharing Identity and same-dtype
 * Cast on the wasm backend (idempotent).
 */
export function registerWasmExtraKernels(): void {
  if (registered) return;
  const mm = tf.getKernel("BatchMatMul", "wasm");
  if (!mm) throw new Error("wasm BatchMatMul kernel missing");
  wasmBatchMatMul = mm.kernelFunc;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    kernelFunc: batchMatMul,
    setupFunc: mm.setupFunc,
  });
  if (tf.getKernel("MaxPoolGrad", "wasm")) tf.unregisterKernel("MaxPoolGrad", "wasm");
  tf.registerKernel({ kernelName: "MaxPoolGrad", backendName: "wasm", kernelFunc: maxPoolGrad });
  if (tf.getKernel("Identity", "wasm")) tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: identity });
  const castKernel = tf.getKernel("Cast", "wasm");
  if (!castKernel) throw new Error("wasm Cast kernel missing");
  wasmCast = castKernel.kernelFunc;
  tf.unregisterKernel("Cast", "wasm");
  tf.registerKernel({ kernelName: "Cast", backendName: "wasm", kernelFunc: cast });
  registered = true;
}
