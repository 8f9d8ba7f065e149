import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Gradient kernels for the WASM backend, built from WASM's own fast (XNNPACK) forward Conv2D.
 *
 * - Conv2DBackpropFilter is missing from tfjs-backend-wasm 4.22. dW[i,j,ci,co] = sum_{n,y,x}
 *   xpad[n, s*y+i, s*x+j, ci] * dy[n,y,x,co] is itself a convolution: batch <- ci, channels <- n,
 *   filter <- dy (transposed to [Ho,Wo,N,Co]) dilated by the stride, output [Ci,kh,kw,Co].
 * - WASM's own Conv2DBackpropInput is a naive loop (~1.5 GFLOP/s vs ~24 for the forward conv). dx is the
 *   forward conv of dy (zero-dilated by the stride, padded by k-1-pad) with the filter flipped
 *   spatially and its in/out channels swapped.
 */
type TInfo = tf.TensorInfo;
type TKernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type TConvAttrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
};
type TExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

let registered = false;
let naiveBackpropInput: tf.KernelFunc | undefined;

function callKernel(name: string, backend: BackendWasm, inputs: Record<string, TInfo>, attrs: object): TInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as TInfo;
}

function release(backend: BackendWasm, ...infos: TInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function heap(backend: BackendWasm, info: TInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function conv(
  backend: BackendWasm,
  x: TInfo,
  filter: TInfo,
  pad: TExplicitPad,
  dilations: [number, number],
): TInfo {
  return callKernel(
    "Conv2D",
    backend,
    { x, filter },
    { strides: [1, 1], pad, dataFormat: "NHWC", dilations, dimRoundingMode: undefined },
  );
}

function convInfoOf(inShape: number[], filterShape: number[], attrs: TConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

function backpropFilter(args: TKernelArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TInfo; dy: TInfo };
  const attrs = args.attrs as unknown as TConvAttrs & { filterShape: number[] };
  if (attrs.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropFilter supports NHWC only");
  const info = convInfoOf(x.shape, attrs.filterShape, attrs);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  // Rows/cols the forward conv read beyond the input (zero padding), or unused ones when negative.
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - h - top;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - w - left;
  let xs = x;
  if (bottom < 0 || right < 0) {
    xs = callKernel(
      "Slice",
      backend,
      { x },
      { begin: [0, 0, 0, 0], size: [n, h + Math.min(0, bottom), w + Math.min(0, right), c] },
    );
  }
  const xt = callKernel("Transpose", backend, { x: xs }, { perm: [3, 1, 2, 0] });
  if (xs !== x) release(backend, xs);
  const dyt = callKernel("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const pad: TExplicitPad = [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ];
  const out = conv(backend, xt, dyt, pad, [info.strideHeight, info.strideWidth]);
  release(backend, xt, dyt);
  const dw = callKernel("Transpose", backend, { x: out }, { perm: [1, 2, 0, 3] });
  release(backend, out);
  return dw;
}

/** filter [kh,kw,ci,co] -> [kh,kw,co,ci] flipped in both spatial axes. */
function flipSwap(backend: BackendWasm, filter: TInfo): TInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], "float32");
  const src = heap(backend, filter);
  const dst = heap(backend, out);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const d = (i * kw + j) * co * ci;
      for (let a = 0; a < ci; a++)
        for (let b = 0; b < co; b++) dst[d + b * ci + a] = src[s + a * co + b] as number;
    }
  }
  return out;
}

/** Inserts stride-1 zeros between rows and columns of dy: [n,h,w,c] -> [n,(h-1)*sh+1,(w-1)*sw+1,c]. */
function dilate(backend: BackendWasm, dy: TInfo, sh: number, sw: number): TInfo {
  const [n, h, w, c] = dy.shape as [number, number, number, number];
  const hd = (h - 1) * sh + 1;
  const wd = (w - 1) * sw + 1;
  const out = backend.makeOutput([n, hd, wd, c], "float32");
  const src = heap(backend, dy);
  const dst = heap(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = ((b * h + y) * w + x) * c;
        dst.set(src.subarray(s, s + c), ((b * hd + y * sh) * wd + x * sw) * c);
      }
    }
  }
  return out;
}

function backpropInput(args: TKernelArgs): TInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TInfo; filter: TInfo };
  const attrs = args.attrs as unknown as TConvAttrs & { inputShape: number[] };
  const info = convInfoOf(attrs.inputShape, filter.shape, attrs);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  if (attrs.dataFormat === "NCHW" || padTop < 0 || padLeft < 0) {
    if (!naiveBackpropInput) throw new Error("unsupported Conv2DBackpropInput configuration on wasm");
    return naiveBackpropInput(args as Parameters<tf.KernelFunc>[0]) as TInfo;
  }
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  const src = strided ? dilate(backend, dy, info.strideHeight, info.strideWidth) : dy;
  const padBottom = info.inHeight + kh - 1 - (src.shape[1] as number) - padTop;
  const padRight = info.inWidth + kw - 1 - (src.shape[2] as number) - padLeft;
  const flipped = flipSwap(backend, filter);
  const pad: TExplicitPad = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ];
  const dx = conv(backend, src, flipped, pad, [1, 1]);
  release(backend, flipped);
  if (src !== dy) release(backend, src);
  return dx;
}

/** WASM's own (naive) Conv2DBackpropInput, kept for the fallback cases and for benchmarks. */
export function naiveConv2DBackpropInput(args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  if (!naiveBackpropInput) throw new Error("wasm backend not initialised");
  return naiveBackpropInput(args);
}

/** Registers the fast gradient kernels on the wasm backend (idempotent). */
export function registerWasmGradKernels(): void {
  if (registered) return;
  const existingInput = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (existingInput) {
    naiveBackpropInput = existingInput.kernelFunc;
    tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  }
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: backpropInput });
  tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: backpropFilter });
  registered = true;
}
